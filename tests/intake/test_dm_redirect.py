"""A direct message to the bot gets the standard redirect, with a button that opens the modal."""

from __future__ import annotations

import json

from app.sandbox.fake_slack import FakeSlack
from app.slack.ids import ActionId
from tests.conftest import Bridge
from tests.intake.test_modal_flows import opened, send
from tests.payloads import block_actions, reaction_added


def dm_event(*, channel: str, ts: str, user: str, **extra: object) -> dict[str, object]:
    payload = reaction_added(channel=channel, ts=ts)  # the real envelope, with a message event inside
    payload["event"] = {
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "user": user,
        "text": "hey, can you give me access to prod?",
        "ts": ts,
        "event_ts": ts,
        **extra,
    }
    return payload


async def test_dm_gets_the_redirect_once_and_the_button_opens_the_modal(
    bridge: Bridge, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("D0ALICE", "", members=["UBOT", "U0ALICE"], is_im=True)
    ts = fake_slack.post_user_message("D0ALICE", "U0ALICE", "hey, can you give me access to prod?")
    event = dm_event(channel="D0ALICE", ts=ts, user="U0ALICE")
    await bridge.post_event(event)
    await bridge.post_event(event, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    await bridge.drain()
    replies = [m for m in fake_slack.thread("D0ALICE", ts) if m.get("bot_id")]
    assert len(replies) == 1
    assert "<#C0PLATSUP>" in replies[0]["text"]
    assert "public and searchable" in replies[0]["text"]
    button = next(e for b in replies[0]["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == ActionId.open_modal

    await send(
        bridge, block_actions(user="U0ALICE", action_id=ActionId.open_modal, value="dm", channel="D0ALICE")
    )
    [view] = opened(fake_slack)
    assert json.dumps(view).count('"block_id": "summary"') == 1


async def test_bot_messages_edits_and_thread_replies_in_dms_are_ignored(
    bridge: Bridge, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("D0BOB", "", members=["UBOT", "U0BOB"], is_im=True)
    ts = fake_slack.post_user_message("D0BOB", "U0BOB", "first")
    await bridge.post_event(dm_event(channel="D0BOB", ts="1.000001", user="UBOT", bot_id="BBOT"))
    await bridge.post_event(dm_event(channel="D0BOB", ts="1.000002", user="U0BOB", subtype="message_changed"))
    await bridge.post_event(dm_event(channel="D0BOB", ts="1.000003", user="U0BOB", thread_ts=ts))
    await bridge.drain()
    assert [j for j in bridge.rows("jobs") if j["kind"] == "dm.redirect"] == []
