"""A bucket's playbook is posted for the on-call person; a DM's redirect carries matching answers."""

from __future__ import annotations

from typing import Any

import yaml

from app.config.template import Template
from app.sandbox.fake_slack import FakeSlack
from app.slack.ids import ActionId
from tests.conftest import EXAMPLE_TEMPLATE, Bridge, FakeClock
from tests.intake.test_dm_redirect import dm_event
from tests.intake.test_reaction_intake import CHANNEL, bot_replies
from tests.oncall.conftest import MakeBridge, berlin
from tests.payloads import reaction_added

PLAYBOOK_URL = "https://wiki.example.com/platform/incident-playbook"


def with_playbook() -> Template:
    raw = yaml.safe_load(EXAMPLE_TEMPLATE.read_text(encoding="utf-8"))
    raw["playbooks"] = {"incident": {"url": PLAYBOOK_URL, "summary": "Open an incident channel first."}}
    return Template.model_validate(raw)


def playbook_posts(fake_slack: FakeSlack, ts: str) -> list[dict[str, Any]]:
    return [
        m
        for m in bot_replies(fake_slack, ts)
        if (m.get("metadata") or {}).get("event_type") == "interrupt_bridge_playbook"
    ]


async def test_playbook_is_posted_once_in_the_thread_mentioning_on_call(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    clock = FakeClock()
    clock.now = berlin("2026-01-14 10:00")  # Carol's week (Wednesday, within support hours)
    bridge = await make_bridge(template=with_playbook(), clock=clock)
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Payments API returns 503 for everyone")
    event = reaction_added(channel=CHANNEL, ts=ts, reaction="rotating_light")
    await bridge.post_event(event)
    await bridge.post_event(event, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    await _settle(bridge)
    [post] = playbook_posts(fake_slack, ts)
    assert post["thread_ts"] == ts
    assert "<@U0CAROL>" in post["text"]
    assert PLAYBOOK_URL in post["text"]
    assert "Open an incident channel first." in post["text"]

    other = fake_slack.post_user_message(CHANNEL, "U0ALICE", "How do I rotate my token?")
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=other))
    await _settle(bridge)
    assert playbook_posts(fake_slack, other) == []  # the question bucket has no playbook


async def _settle(bridge: Bridge) -> None:
    from tests.oncall.conftest import settle

    await settle(bridge)


async def test_dm_redirect_includes_matching_answers(bridge: Bridge, fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("D0ALICE", "", members=["UBOT", "U0ALICE"], is_im=True)
    text = "hey, docker push to our registry says unauthorized, what am I missing?"
    ts = fake_slack.post_user_message("D0ALICE", "U0ALICE", text)
    event = dm_event(channel="D0ALICE", ts=ts, user="U0ALICE")
    event["event"]["text"] = text
    await bridge.post_event(event)
    await bridge.drain()
    [reply] = [m for m in fake_slack.thread("D0ALICE", ts) if m.get("bot_id")]
    sections = " ".join(b["text"]["text"] for b in reply["blocks"] if b["type"] == "section")
    assert "How do I push or pull images from the container registry?" in sections
    assert "<#C0PLATSUP>" in sections  # still the redirect to the public channel
    buttons = [e["action_id"] for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [ActionId.open_modal, ActionId.ask_privately]  # no ticket: nothing to mark solved


async def test_dm_without_a_match_is_the_plain_redirect(bridge: Bridge, fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("D0BOB", "", members=["UBOT", "U0BOB"], is_im=True)
    ts = fake_slack.post_user_message("D0BOB", "U0BOB", "the coffee machine is broken")
    await bridge.post_event(dm_event(channel="D0BOB", ts=ts, user="U0BOB"))
    await bridge.drain()
    [reply] = [m for m in fake_slack.thread("D0BOB", ts) if m.get("bot_id")]
    assert not any(str(b.get("block_id", "")).startswith("ib_faq") for b in reply["blocks"])
