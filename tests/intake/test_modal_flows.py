"""Shortcuts, the slash command, "Edit details" and modal submissions, end to end on the fakes."""

from __future__ import annotations

import json
from typing import Any

import httpx

from app.runtime import metadata_key
from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.slack.ids import ActionId
from app.slack.modal_metadata import decode_intake_meta
from tests.conftest import Bridge
from tests.intake.test_reaction_intake import CHANNEL, bot_replies, creates
from tests.payloads import (
    SIGNING_SECRET,
    block_actions,
    form_body,
    global_shortcut,
    message_shortcut,
    sign,
    slash_command_form,
    view_submission,
)
from tests.slack.modal_state import state_for

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def send(bridge: Bridge, payload: dict[str, Any]) -> httpx.Response:
    body = form_body(payload)
    return await bridge.client.post("/slack/events", content=body, headers={**FORM, **sign(body)})


async def command(
    bridge: Bridge, text: str, *, user: str = "U0ALICE", channel: str = CHANNEL
) -> httpx.Response:
    body = slash_command_form(
        command="/interrupt", text=text, user_id=user, channel_id=channel, trigger_id="111.555.valid"
    )
    return await bridge.client.post("/slack/events", content=body, headers={**FORM, **sign(body)})


def opened(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return [
        json.loads(c["view"]) if isinstance(c["view"], str) else c["view"]
        for c in fake_slack.calls("views.open")
    ]


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


async def submit(
    bridge: Bridge, view: dict[str, Any], answers: dict[str, object], *, user: str = "U0ALICE"
) -> httpx.Response:
    values = state_for(view, answers)
    submitted = {k: view[k] for k in ("blocks", "callback_id", "private_metadata")}
    return await send(
        bridge, view_submission(user=user, view={**submitted, "id": "V0X", "hash": "1.x"}, values=values)
    )


async def test_message_shortcut_opens_a_prefilled_modal(bridge: Bridge, fake_slack: FakeSlack) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Grafana login loops forever\nsince this morning")
    message = fake_slack.thread(CHANNEL, ts)[0]
    response = await send(bridge, message_shortcut(channel=CHANNEL, message=message, user="U0BOB"))
    assert response.status_code == 200
    [view] = opened(fake_slack)
    assert block(view, "summary")["element"]["initial_value"] == "Grafana login loops forever"
    assert all(b.get("block_id") != "team" for b in view["blocks"])  # the channel names the team
    meta = decode_intake_meta(view["private_metadata"], key=metadata_key(SIGNING_SECRET))
    assert (meta.source, meta.channel, meta.message_ts, meta.team) == ("message", CHANNEL, ts, "platform")


async def test_submission_creates_the_ticket_in_the_message_thread(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Need access to the billing DB")
    message = fake_slack.thread(CHANNEL, ts)[0]
    await send(bridge, message_shortcut(channel=CHANNEL, message=message, user="U0ALICE"))
    [view] = opened(fake_slack)
    answers = {
        "bucket": "ci-broken",
        "summary": "Billing DB is down for everyone",
        "impact": "customers",
        "urgency": "blocked",
        "description": "All writes fail with timeouts",
    }
    response = await submit(bridge, view, answers)
    assert response.status_code == 200
    assert response.content == b""
    await bridge.drain()
    [create] = creates(fake_jira)
    fields = create["fields"]
    assert isinstance(fields, dict)
    assert fields["summary"] == "Billing DB is down for everyone"
    assert fields["priority"] == {"name": "Highest"}  # customers x blocked
    assert "bucket-ci-broken" in fields["labels"]
    assert "All writes fail with timeouts" in fields["description"]
    assert len(bot_replies(fake_slack, ts)) == 1


async def test_missing_required_field_comes_back_on_the_field(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "help")
    await send(
        bridge, message_shortcut(channel=CHANNEL, message=fake_slack.thread(CHANNEL, ts)[0], user="U0ALICE")
    )
    [view] = opened(fake_slack)
    response = await submit(bridge, view, {"summary": "", "impact": "team", "urgency": "not-blocked"})
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) >= {"summary", "bucket"}
    assert bridge.rows("tickets") == []


async def test_tampered_metadata_is_refused(bridge: Bridge, fake_slack: FakeSlack) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "help")
    await send(
        bridge, message_shortcut(channel=CHANNEL, message=fake_slack.thread(CHANNEL, ts)[0], user="U0ALICE")
    )
    [view] = opened(fake_slack)
    raw = view["private_metadata"]
    view["private_metadata"] = raw[:-2] + ("A" if raw[-2] != "A" else "B") + raw[-1]
    response = await submit(
        bridge, view, {"bucket": "question", "summary": "x", "impact": "team", "urgency": "not-blocked"}
    )
    assert response.json()["response_action"] == "errors"
    assert "could not be verified" in response.json()["errors"]["summary"]
    assert bridge.rows("tickets") == []


async def test_bucket_change_rerenders_with_that_buckets_inputs(
    bridge: Bridge, fake_slack: FakeSlack
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Access please")
    await send(
        bridge, message_shortcut(channel=CHANNEL, message=fake_slack.thread(CHANNEL, ts)[0], user="U0ALICE")
    )
    [live] = fake_slack.views
    view = {
        **live,
        "state": {"values": state_for(live, {"bucket": "access-request", "summary": "Access please"})},
    }
    await send(bridge, block_actions(user="U0ALICE", action_id=ActionId.intake_bucket, view=view))
    [update] = fake_slack.calls("views.update")
    assert update["view_id"] == live["id"]
    assert update["hash"] == live["hash"]
    new_view = json.loads(update["view"]) if isinstance(update["view"], str) else update["view"]
    assert any(str(b.get("block_id", "")).startswith("input:") for b in new_view["blocks"])


async def test_global_shortcut_and_command_post_the_request_in_the_team_channel(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    await send(bridge, global_shortcut(user="U0ALICE"))
    [view] = opened(fake_slack)
    assert block(view, "team")  # two teams in the template: the requester picks one
    answers = {
        "team": "networking",
        "bucket": "question",
        "summary": "Which VPN profile for the lab?",
        "impact": "person",
        "urgency": "not-blocked",
    }
    assert (await submit(bridge, view, answers)).status_code == 200
    await bridge.drain()
    [post] = [m for m in fake_slack.messages("C0NETSUP") if m.get("bot_id")]
    assert "Which VPN profile for the lab?" in post["text"]
    assert "<@U0ALICE>" in post["text"]
    [create] = creates(fake_jira)
    assert create["fields"]["project"] == {"key": "NET"}  # type: ignore[index]
    replies = [
        m for m in fake_slack.thread("C0NETSUP", post["ts"]) if m.get("bot_id") and m["ts"] != post["ts"]
    ]
    assert len(replies) == 1
    assert "NET-1" in replies[0]["text"]


async def test_slash_command_opens_the_modal_and_help_explains(bridge: Bridge, fake_slack: FakeSlack) -> None:
    response = await command(bridge, "CI is red on main")
    assert response.status_code == 200
    [view] = opened(fake_slack)
    assert block(view, "summary")["element"]["initial_value"] == "CI is red on main"
    help_response = await command(bridge, "help")
    body = help_response.json()
    assert body["response_type"] == "ephemeral"
    assert "Access request" in body["text"]
    assert ":lock:" in body["text"]


async def test_expired_trigger_tells_the_user_to_retry(bridge: Bridge, fake_slack: FakeSlack) -> None:
    fake_slack.expired_trigger_ids.add("111.555.valid")
    await command(bridge, "anything")
    [notice] = fake_slack.ephemerals
    assert notice["user"] == "U0ALICE"
    assert "try again" in notice["text"]


async def test_a_trigger_slack_refuses_is_acknowledged_and_the_user_told(
    bridge: Bridge, fake_slack: FakeSlack
) -> None:
    """Found by tests/fuzz: an empty or malformed trigger_id made views.open fail and the command 503."""
    for trigger in ("", "not-a-trigger"):
        body = slash_command_form(
            command="/interrupt", text="x", user_id="U0ALICE", channel_id=CHANNEL, trigger_id=trigger
        )
        response = await bridge.client.post("/slack/events", content=body, headers={**FORM, **sign(body)})
        assert response.status_code == 200
    notices = fake_slack.ephemerals
    assert len(notices) == 2
    assert all("would not open the form" in n["text"] for n in notices)


async def test_edit_details_by_outsider_is_refused_and_by_requester_updates_jira_and_slack(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Please add me to the deploy group")
    message = fake_slack.thread(CHANNEL, ts)[0]
    await send(bridge, message_shortcut(channel=CHANNEL, message=message, user="U0ALICE"))
    [view] = opened(fake_slack)
    await submit(
        bridge,
        view,
        {"bucket": "question", "summary": "Add me to deploy", "impact": "person", "urgency": "not-blocked"},
    )
    await bridge.drain()
    [reply] = bot_replies(fake_slack, ts)
    button = next(e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"])

    await send(
        bridge,
        block_actions(
            user="U0CAROL", action_id=ActionId.edit_details, value=button["value"], channel=CHANNEL
        ),
    )
    assert any("Only the requester" in e["text"] for e in fake_slack.ephemerals)
    assert len(opened(fake_slack)) == 1

    await send(
        bridge,
        block_actions(
            user="U0ALICE", action_id=ActionId.edit_details, value=button["value"], channel=CHANNEL
        ),
    )
    edit_view = opened(fake_slack)[-1]
    assert block(edit_view, "summary")["element"]["initial_value"] == "Add me to deploy"
    answers = {"bucket": "ci-broken", "summary": "Add me to deploy", "impact": "team", "urgency": "blocked"}
    response = await submit(bridge, edit_view, answers)
    assert response.status_code == 200
    assert response.content == b""
    await bridge.drain()
    [issue] = fake_jira.issues()
    labels = issue["fields"]["labels"]
    assert "bucket-ci-broken" in labels
    assert "bucket-question" not in labels
    assert issue["fields"]["priority"]["name"] == "High"  # team x blocked
    [update] = fake_slack.calls("chat.update")
    assert update["ts"] == reply["ts"]


async def test_slash_command_oncall_answers_privately_with_the_handle(bridge: Bridge) -> None:
    response = await command(bridge, "oncall")
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "<!subteam^S0PLATONCALL>" in body["text"]
    assert "Platform" in body["text"]
