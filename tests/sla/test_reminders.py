"""SLA reminders: once per threshold per ticket, across workers and restarts, never once met."""

from __future__ import annotations

import asyncio
from typing import Any

from app.sandbox.fake_slack import FakeSlack
from app.store import jobs as job_store
from app.store import sla as sla_store
from app.worker.runner import Worker
from app.worker.sync_context import SyncJobKind
from tests.sla.conftest import CHANNEL, POLICY, SyncBridge
from tests.sla.slack_events import reply


def reminders(fake_slack: FakeSlack, ticket: dict[str, Any], channel: str = CHANNEL) -> list[str]:
    thread = ticket["thread_ts"] or ticket["message_ts"]
    messages = fake_slack.thread(channel, thread) if channel == CHANNEL else fake_slack.messages(channel)
    return [
        str(m["text"])
        for m in messages
        if (m.get("metadata") or {}).get("event_payload", {}).get("reminder", "").startswith(ticket["id"])
    ]


async def run_together(*workers: Worker, rounds: int = 6) -> None:
    """Both workers claim and run at the same time, a few rounds (a scan's reminder jobs come next round)."""
    for _ in range(rounds):
        await asyncio.gather(*(worker.run_once() for worker in workers))


def enqueue_scans(sync: SyncBridge, count: int) -> None:
    """Scans as several replicas' schedulers would enqueue them (distinct jobs, not deduplicated)."""
    with sync.runtime.engine.begin() as conn:
        for _ in range(count):
            job_store.enqueue(conn, SyncJobKind.SLA_SCAN, {}, now=sync.clock())


async def test_each_threshold_is_reminded_once_with_two_workers(
    sync: SyncBridge, fake_slack: FakeSlack
) -> None:
    ticket = await sync.raise_ticket(fake_slack)  # Low: first response 1h, 24x7
    one, two = sync.worker("replica-1"), sync.worker("replica-2")

    sync.clock.advance(44 * 60)
    enqueue_scans(sync, 2)
    await run_together(one, two)
    assert reminders(fake_slack, ticket) == []

    sync.clock.advance(2 * 60)  # 46 minutes: past 75 %
    enqueue_scans(sync, 4)
    await run_together(one, two)
    [early] = reminders(fake_slack, ticket)
    assert "75% of the first response time" in early
    assert early.startswith(":hourglass_flowing_sand: <@U0")  # whoever is on call for the platform team

    sync.clock.advance(15 * 60)  # 61 minutes: overdue
    enqueue_scans(sync, 4)
    await run_together(one, two)
    restarted = sync.worker("replica-1-after-restart")
    enqueue_scans(sync, 2)
    await run_together(restarted, two)
    texts = reminders(fake_slack, ticket)
    assert len(texts) == 2
    assert "the first response of" in texts[1]
    assert "is overdue" in texts[1]
    rows = sorted((r["target"], r["permille"], r["skipped"]) for r in sync.rows("sla_reminders"))
    assert rows == [("first_response", 750, None), ("first_response", 1000, None)]
    assert all(r["posted_ts"] for r in sync.rows("sla_reminders"))


async def test_no_reminder_once_the_target_is_met(sync: SyncBridge, fake_slack: FakeSlack) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    thread = ticket["thread_ts"] or ticket["message_ts"]
    sync.clock.advance(20 * 60)
    ts = fake_slack.post_user_message(CHANNEL, "U0CAROL", "on it", thread)
    await sync.deliver_message(reply(channel=CHANNEL, thread_ts=thread, ts=ts, user="U0CAROL", text="on it"))
    await sync.drain()
    sync.clock.advance(60 * 60)
    await sync.scan()
    assert reminders(fake_slack, ticket) == []
    assert sync.rows("sla_reminders") == []


async def test_a_reminder_claimed_before_the_response_is_not_sent_after_it(
    sync: SyncBridge, fake_slack: FakeSlack
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    sync.clock.advance(50 * 60)
    enqueue_scans(sync, 1)
    assert await sync.runtime.worker.run_once() == 1  # the scan claims 75 % and enqueues its reminder
    assert len(sync.jobs_of(SyncJobKind.SLA_REMIND)) == 1
    with sync.runtime.engine.begin() as conn:  # the first response lands before the reminder runs
        sla_store.record_first_response(
            conn, ticket["id"], at=sync.clock(), source="jira_comment", by="Carol", now=sync.clock()
        )
    await sync.drain()
    assert reminders(fake_slack, ticket) == []
    [row] = sync.rows("sla_reminders")
    assert (row["skipped"], row["posted_ts"]) == ("met", None)


async def test_thresholds_crossed_while_down_are_reminded_once_at_the_highest(
    sync: SyncBridge, fake_slack: FakeSlack
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    sync.clock.advance(2 * 3600)
    await sync.scan()
    [text] = reminders(fake_slack, ticket)
    assert "is overdue" in text
    rows = sorted((r["permille"], r["skipped"]) for r in sync.rows("sla_reminders"))
    assert rows == [(750, "superseded"), (1000, None)]


async def test_reminders_go_to_the_triage_channel_when_configured(
    sync: SyncBridge, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("C0PLATTRI", "platform-triage", members=["UBOT", "U0BOB", "U0CAROL"])
    policy = POLICY.model_copy(update={"triage_channels": {"platform": "C0PLATTRI"}})
    sync.ctx.sla = lambda _template: policy
    ticket = await sync.raise_ticket(fake_slack)
    sync.clock.advance(46 * 60)
    await sync.scan()
    assert reminders(fake_slack, ticket) == []
    [text] = reminders(fake_slack, ticket, channel="C0PLATTRI")
    assert ticket["jira_key"] in text
