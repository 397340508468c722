"""FAQ answers under the redirect reply; "This solved it" resolves and labels the ticket exactly once."""

from __future__ import annotations

from typing import Any

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.slack.ids import ActionId
from tests.conftest import Bridge
from tests.intake.test_modal_flows import command, opened, send, submit
from tests.intake.test_reaction_intake import CHANNEL, bot_replies
from tests.payloads import block_actions, reaction_added

VPN_QUESTION = "where do I download my wireguard config for the vpn?"


async def raise_ticket(bridge: Bridge, fake_slack: FakeSlack, text: str) -> tuple[str, dict[str, Any]]:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", text)
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0BOB"))
    await bridge.drain()
    [reply] = bot_replies(fake_slack, ts)
    return ts, reply


def faq_buttons(reply: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    buttons: dict[str, list[dict[str, Any]]] = {}
    for block in reply["blocks"]:
        elements = [block["accessory"]] if "accessory" in block else block.get("elements", [])
        for element in elements:
            if element.get("type") == "button":
                buttons.setdefault(element["action_id"], []).append(element)
    return buttons


def click(user: str, action_id: str, value: str, action_ts: str) -> dict[str, Any]:
    payload = block_actions(user=user, action_id=action_id, value=value, channel=CHANNEL)
    payload["actions"][0]["action_ts"] = action_ts  # a second click is a new delivery, not a retry
    return payload


def ephemeral_texts(fake_slack: FakeSlack, user: str) -> list[str]:
    return [str(e["text"]) for e in fake_slack.ephemerals if e.get("user") == user]


async def test_matching_request_shows_answers_and_solved_resolves_once(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts, reply = await raise_ticket(bridge, fake_slack, VPN_QUESTION)
    text = " ".join(b["text"]["text"] for b in reply["blocks"] if b["type"] == "section")
    assert "How do I connect to the VPN?" in text
    assert "WireGuard" in text
    buttons = faq_buttons(reply)
    assert [b["text"]["text"] for b in buttons[ActionId.faq_solved]][:1] == ["This solved it"]
    assert [b["text"]["text"] for b in buttons[ActionId.faq_need_help]] == ["Still need help"]
    assert ActionId.edit_details in buttons  # the redirect's own button is still there
    solved = buttons[ActionId.faq_solved][0]["value"]
    [issue] = fake_jira.issues()
    key = issue["key"]
    assert issue["fields"]["status"]["statusCategory"]["key"] != "done"

    # the requester clicks twice, and Slack redelivers the first click
    first = click("U0ALICE", ActionId.faq_solved, solved, "10.1")
    for payload in (first, click("U0ALICE", ActionId.faq_solved, solved, "11.1"), first):
        assert (await send(bridge, payload)).status_code == 200
    await bridge.drain()

    resolved = fake_jira.issue(key)
    assert resolved["fields"]["status"]["statusCategory"]["key"] == "done"
    assert resolved["fields"]["labels"].count("faq-deflected") == 1
    assert len(fake_jira.calls("POST", rf"/issue/{key}/transitions$")) == 1
    assert len([j for j in bridge.rows("jobs") if j["kind"] == "faq.resolve"]) == 1
    [row] = bridge.rows("faq_deflections")
    assert row["entry_id"] == "vpn-setup"
    assert row["user_id"] == "U0ALICE"
    assert row["resolved_at"] is not None
    told = ephemeral_texts(fake_slack, "U0ALICE")
    assert sum("being resolved as answered by the FAQ" in t for t in told) == 1
    assert any("already marked as answered" in t for t in told)

    # the redirect reply now says so, and offers no FAQ buttons any more
    [updated] = bot_replies(fake_slack, ts)
    assert ActionId.faq_solved not in faq_buttons(updated)
    assert any("marked this as answered" in str(b) for b in updated["blocks"])


async def test_still_need_help_changes_nothing(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    _, reply = await raise_ticket(bridge, fake_slack, VPN_QUESTION)
    [need_help] = faq_buttons(reply)[ActionId.faq_need_help]
    jobs_before = len(bridge.rows("jobs"))
    await send(bridge, click("U0ALICE", ActionId.faq_need_help, need_help["value"], "12.1"))
    await bridge.drain()
    [issue] = fake_jira.issues()
    assert issue["fields"]["status"]["statusCategory"]["key"] != "done"
    assert "faq-deflected" not in issue["fields"]["labels"]
    assert bridge.rows("faq_deflections") == []
    assert len(bridge.rows("jobs")) == jobs_before
    assert any("stays open" in t for t in ephemeral_texts(fake_slack, "U0ALICE"))


async def test_only_the_requester_can_mark_it_solved(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    _, reply = await raise_ticket(bridge, fake_slack, VPN_QUESTION)
    solved = faq_buttons(reply)[ActionId.faq_solved][0]["value"]
    await send(bridge, click("U0CAROL", ActionId.faq_solved, solved, "13.1"))
    await bridge.drain()
    assert bridge.rows("faq_deflections") == []
    assert any("Only the requester" in t for t in ephemeral_texts(fake_slack, "U0CAROL"))


async def test_unrelated_request_gets_no_faq_part(bridge: Bridge, fake_slack: FakeSlack) -> None:
    _, reply = await raise_ticket(bridge, fake_slack, "the payments API returns 502 since the last deploy")
    buttons = faq_buttons(reply)
    assert ActionId.faq_solved not in buttons
    assert ActionId.faq_need_help not in buttons
    assert not any(str(b.get("block_id", "")).startswith("ib_faq") for b in reply["blocks"])


async def test_the_template_threshold_decides(bridge: Bridge, fake_slack: FakeSlack) -> None:
    version = bridge.runtime.faq.current()
    [best, *_] = version.matcher.rank(VPN_QUESTION)
    strict = version.settings.model_copy(update={"threshold": min(1.0, best.confidence + 0.01)})
    object.__setattr__(version, "settings", strict)  # as if the template had said so
    _, reply = await raise_ticket(bridge, fake_slack, VPN_QUESTION)
    assert ActionId.faq_solved not in faq_buttons(reply)


async def test_faq_command_answers_privately(bridge: Bridge, fake_slack: FakeSlack) -> None:
    response = await command(bridge, "faq docker push says unauthorized")
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "How do I push or pull images from the container registry?" in body["text"]
    assert fake_slack.calls("views.open") == []  # no modal: an answer
    nothing = (await command(bridge, "faq the coffee machine is broken")).json()
    assert nothing["response_type"] == "ephemeral"
    assert "No FAQ entry matches" in nothing["text"]
    empty = (await command(bridge, "faq")).json()
    assert "Ask a question after `faq`" in empty["text"]


async def test_command_raised_request_gets_answers_and_can_be_resolved(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    await command(bridge, "docker push to our registry says unauthorized")
    [view] = opened(fake_slack)
    answers = {
        "team": "platform",
        "bucket": "question",
        "summary": "docker push to our registry says unauthorized",
        "description": "Since this morning, from my laptop.",
        "impact": "person",
        "urgency": "slowed",
    }
    assert (await submit(bridge, view, answers)).status_code == 200
    await bridge.drain()
    [post] = [m for m in fake_slack.messages(CHANNEL) if m.get("bot_id")]
    [reply] = [m for m in fake_slack.thread(CHANNEL, post["ts"]) if m.get("bot_id") and m["ts"] != post["ts"]]
    [solved, *_] = faq_buttons(reply)[ActionId.faq_solved]
    assert "registry" in str(reply["blocks"])
    await send(bridge, click("U0ALICE", ActionId.faq_solved, solved["value"], "14.1"))
    await bridge.drain()
    [issue] = fake_jira.issues()
    assert issue["fields"]["status"]["statusCategory"]["key"] == "done"
    assert "faq-deflected" in issue["fields"]["labels"]
    assert bridge.rows("faq_deflections")[0]["entry_id"] == "docker-registry-login"
