"""Handoffs: the user group follows the schedule, and everyone is told, once, even across replicas and
downtime."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import Fault
from tests.conftest import FakeClock
from tests.oncall.conftest import (
    CHANNEL,
    MakeBridge,
    berlin,
    dms,
    group_users,
    handoff_posts,
    jobs_in,
    settle,
)
from tests.payloads import reaction_added
from tests.specs.slack_spec import request_args

HANDOFF_TO_CAROL = "2026-01-12 09:00"
HANDOFF_TO_ALICE = "2026-01-19 09:00"


def handoff_jobs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [j for j in rows if j["kind"] == "oncall.handoff"]


async def test_handoff_runs_once_with_two_replicas(make_bridge: MakeBridge, fake_slack: FakeSlack) -> None:
    clock = FakeClock()
    clock.now = berlin(HANDOFF_TO_CAROL) + 1
    one, two = await make_bridge(clock=clock), await make_bridge(clock=clock)
    for _ in range(3):  # both replicas' schedulers tick, again and again
        await asyncio.gather(one.runtime.scheduler.tick(), two.runtime.scheduler.tick())
    for _ in range(3):  # both workers claim at the same time
        await asyncio.gather(*(b.runtime.worker.run_once() for b in (one, two, one, two)))
    await settle(one)
    await settle(two)

    assert len(handoff_posts(fake_slack)) == 1
    assert len(fake_slack.calls("usergroups.users.update")) == 1
    assert group_users(fake_slack) == ["U0CAROL"]
    assert len(dms(fake_slack, "U0CAROL")) == 1  # the briefing
    assert len(dms(fake_slack, "U0BOB")) == 1  # the thank-you
    jobs = handoff_jobs(one.rows("jobs"))
    # this shift's handoff (done) and the next one's (due 19 Jan), each once
    assert sorted(j["state"] for j in jobs) == ["done", "pending"]
    assert [j["run_after"] for j in jobs if j["state"] == "pending"] == [berlin(HANDOFF_TO_ALICE)]
    [record] = one.rows("handoffs")
    assert record["slack_user"] == "U0CAROL"
    assert record["completed_at"] is not None


async def test_handoff_missed_during_downtime_happens_at_start_up(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    clock = FakeClock()
    clock.now = berlin("2026-01-14 10:00")  # the service was down on Monday at 09:00
    bridge = await make_bridge(clock=clock)
    await bridge.runtime.scheduler.tick()
    await settle(bridge)

    [post] = handoff_posts(fake_slack)
    assert "<@U0CAROL> is on call now, taking over from <@U0BOB>" in post["text"]
    assert "until Mon 19 Jan 09:00 Europe/Berlin" in post["text"]
    assert group_users(fake_slack) == ["U0CAROL"]

    # The next handoff runs when it is due, and no earlier.
    clock.now = berlin(HANDOFF_TO_ALICE) - 60
    await bridge.runtime.scheduler.tick()
    await settle(bridge, within_s=30)
    assert len(handoff_posts(fake_slack)) == 1
    clock.now = berlin(HANDOFF_TO_ALICE) + 5
    await settle(bridge)
    assert group_users(fake_slack) == ["U0ALICE"]  # alice@example.com, looked up by email
    latest = handoff_posts(fake_slack)[-1]["text"]
    assert "<@U0ALICE> is on call now, taking over from <@U0CAROL>" in latest


async def test_a_handoff_overtaken_by_a_later_shift_is_skipped(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    clock = FakeClock()
    clock.now = berlin("2026-01-14 10:00")
    bridge = await make_bridge(clock=clock)
    await bridge.runtime.scheduler.tick()  # enqueues 12 Jan (runs now) and 19 Jan
    await settle(bridge, within_s=0)
    clock.now = berlin("2026-01-27 10:00")  # down from before 19 Jan until after 26 Jan
    await bridge.runtime.scheduler.tick()
    await settle(bridge, within_s=0)

    texts = [p["text"] for p in handoff_posts(fake_slack)]
    assert len(texts) == 2
    assert "<@U0BOB> is on call now" in texts[1]  # the 26 Jan shift; alice's (19 Jan) was skipped
    assert group_users(fake_slack) == ["U0BOB"]
    # Alice was on call by the schedule, so she is thanked, but never briefed after the fact.
    [thanks] = dms(fake_slack, "U0ALICE")
    assert thanks["text"].startswith(":pray: Thanks for covering *Platform* on call (Mon 19 Jan 09:00")
    assert jobs_in(bridge, "dead") == []


async def test_usergroup_update_is_spec_valid_and_carries_the_whole_list(
    make_bridge: MakeBridge, fake_slack: FakeSlack, slack_checker: Any
) -> None:
    assert group_users(fake_slack) == ["U0BOB"]
    clock = FakeClock()
    clock.now = berlin(HANDOFF_TO_CAROL) + 30
    bridge = await make_bridge(clock=clock)
    await bridge.runtime.scheduler.tick()
    await settle(bridge)

    [request] = [r for r in fake_slack.requests if r.path == "/api/usergroups.users.update"]
    assert request.method == "POST"
    # the whole member list, comma-separated: whoever is not in it leaves the group
    assert request_args(request) == {"usergroup": "S0PLATONCALL", "users": "U0CAROL"}
    if slack_checker is not None:
        assert slack_checker(request) == []
    assert group_users(fake_slack) == ["U0CAROL"]


async def test_handoff_message_briefing_and_thanks(
    make_bridge: MakeBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    clock = FakeClock()
    clock.now = berlin("2026-01-08 11:00")  # during Bob's shift
    bridge = await make_bridge(clock=clock)
    for text in ("The artifact cache returns 500s", "Runner pool is empty"):
        ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", text)
        await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0CAROL"))
        await settle(bridge)
        clock.advance(60)

    clock.now = berlin(HANDOFF_TO_CAROL) + 10
    await bridge.runtime.scheduler.tick()
    await settle(bridge)

    [post] = handoff_posts(fake_slack)
    text = post["text"]
    assert "*Platform on call*: <@U0CAROL> is on call now" in text
    assert "Handle: @platform-oncall." in text
    assert "Open interrupts: *2*, the oldest <" in text
    assert f"{fake_jira.base_url}/browse/PLAT-1|PLAT-1>" in text
    link = text.split("|All open interrupts>")[0].rsplit("<", 1)[1]
    assert link.startswith(f"{fake_jira.base_url}/issues/?jql=")
    jql = unquote(link.split("jql=", 1)[1])
    assert jql == (
        'project = "PLAT" AND labels = "interrupt" AND statusCategory != Done'
        ' AND labels != "private-request" ORDER BY created ASC'  # private requests stay out of the channel
    )

    [briefing] = dms(fake_slack, "U0CAROL")
    assert "You are *Platform* on call from Mon 12 Jan 09:00 Europe/Berlin" in briefing["text"]
    assert "@platform-oncall now reaches you" in briefing["text"]
    assert "Open interrupts: *2*" in briefing["text"]

    [thanks] = dms(fake_slack, "U0BOB")
    assert "Thanks for covering *Platform* on call (Mon 5 Jan 09:00" in thanks["text"]
    assert "You took 2 interrupts: <" in thanks["text"]
    assert "|PLAT-1>, <" in thanks["text"]
    assert "|PLAT-2>." in thanks["text"]


async def test_handoff_without_jira_still_happens(
    make_bridge: MakeBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    fake_jira.add_fault(Fault(r"/search", status=503, times=1000))
    clock = FakeClock()
    clock.now = berlin(HANDOFF_TO_CAROL) + 10
    bridge = await make_bridge(clock=clock)
    await bridge.runtime.scheduler.tick()
    await settle(bridge)
    [post] = handoff_posts(fake_slack)
    assert "Open interrupts: unknown" in post["text"]
    assert group_users(fake_slack) == ["U0CAROL"]


async def test_a_retried_handoff_posts_nothing_twice(make_bridge: MakeBridge, fake_slack: FakeSlack) -> None:
    # The channel message is posted but the answer is lost: the retry finds it by its metadata.
    fake_slack.add_fault(Fault(r"^/api/chat\.postMessage$", times=1, reset_after_handler=True))
    clock = FakeClock()
    clock.now = berlin(HANDOFF_TO_CAROL) + 10
    bridge = await make_bridge(clock=clock)
    await bridge.runtime.scheduler.tick()
    await settle(bridge)

    assert len(handoff_posts(fake_slack)) == 1
    assert len(dms(fake_slack, "U0CAROL")) == 1
    assert len(dms(fake_slack, "U0BOB")) == 1
    [done] = [j for j in handoff_jobs(bridge.rows("jobs")) if j["state"] == "done"]
    assert done["attempts"] == 2
    assert len(fake_slack.calls("conversations.history")) == 1  # looked before posting again


def test_handoff_dedupe_key_is_per_team_and_instant() -> None:
    from app.worker.handoff import handoff_key

    start = datetime(2026, 1, 12, 8, tzinfo=UTC)
    assert handoff_key("platform", start) == "handoff:platform:2026-01-12T08:00:00+00:00"
    assert handoff_key("platform", start.astimezone()) == handoff_key("platform", start)
