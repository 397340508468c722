"""Exactly once under faults: Jira outages, ambiguous creates, dead workers, rate limits."""

from __future__ import annotations

import contextlib
import time

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import Fault
from app.store import jobs as job_store
from tests.conftest import Bridge
from tests.intake.test_reaction_intake import CHANNEL, bot_replies, creates
from tests.payloads import reaction_added

CREATE = r"^/rest/api/2/issue$"


class ProcessDied(BaseException):
    """Stands in for the process dying: the worker catches Exception, never this."""


async def react(bridge: Bridge, fake_slack: FakeSlack, text: str = "The staging cluster is down") -> str:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", text)
    assert (await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts))).status_code == 200
    return ts


async def test_jira_503_three_times_then_ok_gives_one_ticket(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    fake_jira.add_fault(Fault(CREATE, method="POST", times=3, status=503, body={"errorMessages": ["down"]}))
    ts = await react(bridge, fake_slack)
    await bridge.drain()
    assert len(creates(fake_jira)) == 4  # three refused, one accepted
    assert len(fake_jira.issues()) == 1
    assert len(bot_replies(fake_slack, ts)) == 1
    [job] = [j for j in bridge.rows("jobs") if j["kind"] == "ticket.create"]
    assert job["state"] == "done"
    assert job["attempts"] == 4


async def test_connection_reset_after_create_still_gives_one_ticket(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    fake_jira.add_fault(Fault(CREATE, method="POST", times=1, reset_after_handler=True))
    ts = await react(bridge, fake_slack)
    await bridge.drain()
    assert len(creates(fake_jira)) == 1  # the retry found the first issue by its marker label
    assert len(fake_jira.issues()) == 1
    [reply] = bot_replies(fake_slack, ts)
    assert "PLAT-1" in reply["text"]
    searches = fake_jira.calls("GET", r"/rest/api/2/search/jql") + fake_jira.calls(
        "POST", r"/rest/api/2/search/jql"
    )
    assert searches, "the retry must look for the issue before creating another"


async def test_process_killed_between_jira_answer_and_commit(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    """The create went through, but the worker died before recording the key."""
    ts = await react(bridge, fake_slack)
    tracker = bridge.runtime.tracker
    real_create = tracker.create_issue

    async def create_then_die(draft):  # type: ignore[no-untyped-def]
        await real_create(draft)
        raise ProcessDied

    tracker.create_issue = create_then_die  # type: ignore[method-assign]
    with contextlib.suppress(ProcessDied):
        await bridge.runtime.worker.run_once()
    tracker.create_issue = real_create  # type: ignore[method-assign]
    bridge.clock.advance(bridge.runtime.settings.job_lease_s + 1)  # the lease of the dead worker runs out
    await bridge.drain()
    assert len(fake_jira.issues()) == 1
    assert len(bot_replies(fake_slack, ts)) == 1


async def test_job_of_a_dead_worker_is_taken_again_after_its_lease(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts = await react(bridge, fake_slack)
    engine, clock, lease = bridge.runtime.engine, bridge.clock, bridge.runtime.settings.job_lease_s
    [claimed] = job_store.claim(engine, owner="worker-that-dies", limit=10, now=clock(), lease_s=lease)
    assert claimed.kind == "ticket.create"

    assert await bridge.runtime.worker.run_once() == 0  # still leased to the dead worker
    clock.advance(lease + 1)
    await bridge.drain()
    assert len(fake_jira.issues()) == 1
    assert len(bot_replies(fake_slack, ts)) == 1
    # the dead worker cannot overwrite the outcome with its stale lease
    with engine.begin() as conn:
        assert not job_store.complete(conn, claimed.id, owner="worker-that-dies", now=clock())


async def test_slack_429_retry_after_is_honoured(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    fake_slack.add_fault(Fault(r"/api/chat\.postMessage$", times=1, status=429, headers={"Retry-After": "1"}))
    ts = await react(bridge, fake_slack)
    started = time.monotonic()
    await bridge.drain()
    assert time.monotonic() - started >= 1.0
    assert len(bot_replies(fake_slack, ts)) == 1
    posts = [r for r in fake_slack.requests if r.path == "/api/chat.postMessage"]
    assert len(posts) == 2


async def test_long_rate_limit_reschedules_the_job_after_retry_after(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    # More 429s than slack_sdk's own retry handler absorbs: the job queue waits Retry-After.
    fake_slack.add_fault(Fault(r"/api/chat\.postMessage$", times=3, status=429, headers={"Retry-After": "0"}))
    fake_jira.add_fault(Fault(CREATE, method="POST", times=1, status=429, headers={"Retry-After": "120"}))
    ts = await react(bridge, fake_slack)
    before = bridge.clock()
    await bridge.runtime.worker.run_once()
    [job] = [j for j in bridge.rows("jobs") if j["kind"] == "ticket.create"]
    assert job["state"] == "pending"
    assert job["run_after"] >= before + 120
    await bridge.drain()
    assert len(fake_jira.issues()) == 1
    assert len(bot_replies(fake_slack, ts)) == 1


async def test_permanent_jira_error_is_dead_lettered_and_retryable_by_operator(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    fake_jira.add_fault(
        Fault(
            CREATE,
            method="POST",
            times=1,
            status=400,
            body={"errorMessages": [], "errors": {"project": "gone"}},
        )
    )
    ts = await react(bridge, fake_slack)
    await bridge.drain()
    [dead] = job_store.list_jobs(bridge.runtime.engine, state="dead")
    assert dead.kind == "ticket.create"
    assert "project: gone" in (dead.last_error or "")
    assert job_store.requeue(bridge.runtime.engine, dead.id, now=bridge.clock())
    await bridge.drain()
    assert len(fake_jira.issues()) == 1
    assert len(bot_replies(fake_slack, ts)) == 1


async def test_jobs_give_up_after_the_retry_window(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    fake_jira.add_fault(Fault(CREATE, method="POST", times=10_000, status=503))
    await react(bridge, fake_slack)
    await bridge.drain(max_rounds=500)
    [dead] = job_store.list_jobs(bridge.runtime.engine, state="dead")
    assert "gave up" in (dead.last_error or "")
    assert bridge.clock() - dead.created_at >= bridge.runtime.settings.job_retry_window_s
    assert fake_jira.issues() == []
