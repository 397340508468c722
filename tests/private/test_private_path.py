"""The private path: "Ask privately" under the DM answer opens the modal, the ticket is created with the
private label and security level, the answer and all sync stay in the DM thread, on call gets the link
only, and no Slack call touching a public channel carries the request or concerns the ticket."""

from __future__ import annotations

import json
from typing import Any

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.slack.ids import ActionId
from tests.conftest import Bridge
from tests.intake.test_dm_redirect import dm_event
from tests.intake.test_modal_flows import opened, send, submit
from tests.oncall.conftest import berlin, dms, settle
from tests.payloads import block_actions
from tests.private.conftest import DM, TRIAGE
from tests.sla.jira_payloads import comment_event, encode, sign, user
from tests.sla.slack_events import envelope, reply

DM_TEXT = "my manager shares his password with the whole team, zebra-secret-1"
SUMMARY = "Shared credentials on the payroll admin account"
DESCRIPTION = "Someone uses one login for payroll-admin-7731; please rotate it quietly."
SECRETS = ("zebra-secret-1", "payroll", "Shared credentials", "password")


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


async def ask_privately(bridge: Bridge, fake_slack: FakeSlack) -> str:
    """Alice writes to the bot, clicks "Ask privately" and submits the modal; the DM message's ts."""
    ts = fake_slack.post_user_message(DM, "U0ALICE", DM_TEXT)
    await bridge.post_event(dm_event(channel=DM, ts=ts, user="U0ALICE"))
    await settle(bridge)
    [answer] = [m for m in fake_slack.thread(DM, ts) if m.get("bot_id")]
    labels = {b["action_id"]: b["text"]["text"] for b in buttons(answer)}
    assert labels == {ActionId.open_modal: "Ask in a channel", ActionId.ask_privately: "Ask privately"}
    [private] = [b for b in buttons(answer) if b["action_id"] == ActionId.ask_privately]
    await send(
        bridge,
        block_actions(user="U0ALICE", action_id=ActionId.ask_privately, value=private["value"], channel=DM),
    )
    [view] = opened(fake_slack)
    assert view["title"]["text"] == "Ask privately"
    assert view["blocks"][0]["elements"][0]["text"].startswith(":lock: Private: nothing is posted")
    answers = {
        "team": "platform",
        "bucket": "question",
        "summary": SUMMARY,
        "description": DESCRIPTION,
        "impact": "person",
        "urgency": "slowed",
    }
    response = await submit(bridge, view, answers)
    assert response.status_code == 200
    assert response.content == b""
    await settle(bridge)
    return ts


def public_channels(fake_slack: FakeSlack) -> set[str]:
    with fake_slack.lock:
        return {cid for cid, c in fake_slack.state.channels.items() if not c.is_im and not c.is_private}


def every_call(fake_slack: FakeSlack) -> list[tuple[str, dict[str, Any]]]:
    with fake_slack.lock:
        return [(name, dict(args)) for name, args in fake_slack._calls]


async def test_private_request_leaves_no_trace_in_public_channels(
    private_bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    bridge = private_bridge
    ts = await ask_privately(bridge, fake_slack)
    [ticket] = bridge.rows("tickets")
    key = ticket["jira_key"]
    assert (ticket["channel_id"], ticket["message_ts"], ticket["thread_ts"]) == (DM, ts, ts)
    assert ticket["source"] == "private"

    # Jira: the private label and the team's security level; the DM text is in the ticket.
    issue = fake_jira.issue(key)["fields"]
    assert "private-request" in issue["labels"]
    assert "interrupt" in issue["labels"]
    assert issue["security"]["name"] == "Staff only"
    assert issue["summary"] == SUMMARY
    assert "Original message: my manager shares his password" in issue["description"]

    # The requester is answered in the DM thread, with the link.
    bot_replies = [m for m in fake_slack.thread(DM, ts) if m.get("bot_id")]
    assert any(key in m["text"] and "private request" in m["text"] for m in bot_replies)

    # The next handoff counts open interrupts in the team channel: the private one stays out of it.
    bridge.clock.now = berlin("2026-01-19 09:00") + 30
    await bridge.runtime.scheduler.tick()
    await settle(bridge)
    [handoff] = [m for m in fake_slack.messages("C0PLATSUP") if "is on call now" in m.get("text", "")]
    assert "Open interrupts: none" in handoff["text"]

    # Every Slack call the fake received: none aimed at a public channel says anything about it.
    posted_to = {str(a.get("channel")) for n, a in every_call(fake_slack) if n == "chat.postMessage"}
    assert {DM, TRIAGE, "C0PLATSUP"} <= posted_to  # the check below is not vacuous
    public = public_channels(fake_slack)
    assert "C0PLATSUP" in public
    touching_public = [
        (name, args) for name, args in every_call(fake_slack) if str(args.get("channel", "")) in public
    ]
    for name, args in touching_public:
        text = json.dumps(args)
        assert key not in text, (name, args)
        assert ticket["id"] not in text, (name, args)
        for secret in SECRETS:
            assert secret not in text, (name, secret)
    # and nothing but the handoff was posted, updated or reacted in a public channel
    writes = {"chat.postMessage", "chat.update", "chat.postEphemeral", "reactions.add", "chat.delete"}
    assert [name for name, _ in touching_public if name in writes] == ["chat.postMessage"]


async def test_on_call_is_told_in_triage_with_the_link_and_no_request_text(
    private_bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    await ask_privately(private_bridge, fake_slack)
    [ticket] = private_bridge.rows("tickets")
    [notice] = [m for m in fake_slack.messages(TRIAGE) if m.get("bot_id")]
    assert f"<{ticket['jira_url']}|{ticket['jira_key']}>" in notice["text"]
    assert "<@U0CAROL>" in notice["text"]  # on call on Wednesday 14 Jan
    assert "U0ALICE" not in json.dumps(notice)  # not even who asked
    for secret in SECRETS:
        assert secret not in json.dumps(notice)
    assert fake_jira.issue(ticket["jira_key"])["fields"]["assignee"]["displayName"].startswith("Carol")


async def test_sync_of_a_private_ticket_lands_in_the_dm_thread(
    private_bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    bridge = private_bridge
    ts = await ask_privately(bridge, fake_slack)
    [ticket] = bridge.rows("tickets")
    key = ticket["jira_key"]

    # Jira -> Slack: Carol's public comment is mirrored into Alice's DM thread.
    payload = comment_event(
        "comment_created",
        fake_jira,
        key,
        comment_id="10500",
        author=user(fake_jira, "carol"),
        body="Rotated; thanks for telling us.",
        at=bridge.clock(),
    )
    body = encode(payload)
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature": sign(body),
        "X-Atlassian-Webhook-Identifier": "wh-private-1",
    }
    assert (await bridge.client.post("/jira/webhook", content=body, headers=headers)).status_code == 200
    await settle(bridge)
    mirrored = [m for m in fake_slack.thread(DM, ts) if "Rotated; thanks" in m.get("text", "")]
    assert len(mirrored) == 1
    for channel in public_channels(fake_slack) | {TRIAGE}:
        assert not [m for m in fake_slack.messages(channel) if "Rotated" in m.get("text", "")]

    # Slack -> Jira: Alice's reply in the DM thread becomes a Jira comment.
    answer_ts = fake_slack.post_user_message(DM, "U0ALICE", "Thank you!", thread_ts=ts)
    event = reply(channel=DM, thread_ts=ts, ts=answer_ts, user="U0ALICE", text="Thank you!")
    event["channel_type"] = "im"
    assert (await bridge.post_event(envelope(event))).status_code == 200
    await settle(bridge)
    [comment] = fake_jira.comments(key)
    assert comment.startswith("*Alice Liddell* in Slack: Thank you")
    assert f"/archives/{DM}/" in comment  # the permalink to the reply in the DM thread


async def test_tampered_or_foreign_private_button_is_refused(
    private_bridge: Bridge, fake_slack: FakeSlack
) -> None:
    ts = fake_slack.post_user_message(DM, "U0ALICE", DM_TEXT)
    await private_bridge.post_event(dm_event(channel=DM, ts=ts, user="U0ALICE"))
    await settle(private_bridge)
    [answer] = [m for m in fake_slack.thread(DM, ts) if m.get("bot_id")]
    [private] = [b for b in buttons(answer) if b["action_id"] == ActionId.ask_privately]
    value = private["value"]
    tampered = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    await send(
        private_bridge,
        block_actions(user="U0ALICE", action_id=ActionId.ask_privately, value=tampered, channel=DM),
    )
    await send(
        private_bridge, block_actions(user="U0BOB", action_id=ActionId.ask_privately, value=value, channel=DM)
    )
    assert opened(fake_slack) == []


async def test_without_a_triage_channel_on_call_is_told_by_dm(
    database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    from tests.private.conftest import private_bridge_for, private_template

    template = private_template(security_levels={"buckets": {"question": "10101"}})
    async with private_bridge_for(database_url, fake_slack, fake_jira, template) as bridge:
        await ask_privately(bridge, fake_slack)
        [ticket] = bridge.rows("tickets")
    assert fake_jira.issue(ticket["jira_key"])["fields"]["security"]["name"] == "Security team"  # by id
    [notice] = dms(fake_slack, "U0CAROL")
    assert f"<{ticket['jira_url']}|{ticket['jira_key']}>" in notice["text"]
    for secret in SECRETS:
        assert secret not in json.dumps(notice)
    assert not [m for m in fake_slack.messages(TRIAGE) if m.get("bot_id")]


async def test_with_the_private_path_off_the_dm_answer_has_no_private_button(
    database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    from tests.private.conftest import private_bridge_for, private_template

    async with private_bridge_for(
        database_url, fake_slack, fake_jira, private_template(enabled=False)
    ) as bridge:
        ts = fake_slack.post_user_message(DM, "U0ALICE", DM_TEXT)
        await bridge.post_event(dm_event(channel=DM, ts=ts, user="U0ALICE"))
        await settle(bridge)
    [answer] = [m for m in fake_slack.thread(DM, ts) if m.get("bot_id")]
    assert [b["action_id"] for b in buttons(answer)] == [ActionId.open_modal]
    assert "privately" not in answer["text"]


async def test_edit_details_in_the_dm_moves_a_private_ticket_to_the_new_buckets_level(
    database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    from tests.private.conftest import private_bridge_for, private_template

    template = private_template(
        triage_channels={"platform": TRIAGE},
        security_levels={"teams": {"platform": "Staff only"}, "buckets": {"ci-broken": "10101"}},
    )
    async with private_bridge_for(database_url, fake_slack, fake_jira, template) as bridge:
        ts = await ask_privately(bridge, fake_slack)
        [ticket] = bridge.rows("tickets")
        [reply_msg] = [m for m in fake_slack.thread(DM, ts) if m["ts"] == ticket["reply_ts"]]
        [edit_button] = [b for b in buttons(reply_msg) if b["action_id"] == ActionId.edit_details]
        await send(
            bridge,
            block_actions(
                user="U0ALICE", action_id=ActionId.edit_details, value=edit_button["value"], channel=DM
            ),
        )
        view = opened(fake_slack)[-1]
        answers = {"bucket": "ci-broken", "summary": SUMMARY, "impact": "person", "urgency": "slowed"}
        assert (await submit(bridge, view, answers)).status_code == 200
        await settle(bridge)
    fields = fake_jira.issue(ticket["jira_key"])["fields"]
    assert fields["security"]["name"] == "Security team"
    assert "private-request" in fields["labels"]
    assert "bucket-ci-broken" in fields["labels"]
    # the answer in the DM was edited in place; nothing reached a public channel
    updates = [a for n, a in every_call(fake_slack) if n == "chat.update"]
    assert updates
    assert {str(a["channel"]) for a in updates} == {DM}
    public = public_channels(fake_slack)
    assert not [a for n, a in every_call(fake_slack) if str(a.get("channel", "")) in public]
