"""Two `serve` replicas on one PostgreSQL: every delivery reaches both, every ticket exists once.

Real processes (`python -m app serve`) against the spec-checking fakes of Slack and Jira that run
in this test process. Each of N distinct signed reactions goes to both replicas (alternating
which one gets it first), and the result must be exactly N Jira issues and N thread replies. In
the second test one replica is SIGKILLed while it holds work, and Slack's retries bring every
delivery to the survivor. CI runs N = 200; `REPLICA_REACTIONS=1000` (or `scripts/replicas`) runs
the issue's 1,000.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.oncall.conftest import handoff_posts
from tests.payloads import reaction_added
from tests.runtime.drive import (
    REACTIONS,
    assert_exactly_once,
    deliver_all,
    post_messages,
    retry_like_slack,
    rows,
    settle,
    start_replicas,
    to_both,
    wait_for,
)
from tests.runtime.serve_process import CHANNEL, ServeProcess, service_env

pytestmark = pytest.mark.postgres


async def test_two_replicas_each_receiving_every_delivery_create_each_ticket_once(
    postgres_url: str,
    fake_slack: FakeSlack,
    fake_jira: FakeJira,
    processes: list[ServeProcess],
    tmp_path: Path,
) -> None:
    replicas = start_replicas(2, service_env(postgres_url, fake_slack, fake_jira), tmp_path, processes)
    messages = post_messages(fake_slack, REACTIONS)
    events = [reaction_added(channel=CHANNEL, ts=ts, user="U0BOB") for ts in messages]

    started = time.monotonic()
    targets = to_both(replicas, events)
    statuses = await deliver_all(targets)
    first_try = statuses.count(200)
    statuses = await retry_like_slack(targets, statuses)
    acked_s = time.monotonic() - started
    assert statuses == [200] * (2 * REACTIONS)
    drained_s = await asyncio.to_thread(settle, postgres_url, fake_slack, fake_jira, messages)
    print(
        f"\n{REACTIONS} reactions x 2 replicas: {first_try}/{2 * REACTIONS} acked at the first try,"
        f" all acked in {acked_s:.1f}s, drained {drained_s:.1f}s later"
    )

    assert_exactly_once(fake_slack, fake_jira, messages)
    deliveries = rows(postgres_url, "SELECT count(*) AS n FROM slack_deliveries")
    assert deliveries == [{"n": REACTIONS}]  # the second copy of each was a deduplicated replay
    # Both replicas' workers ran jobs: the queue is shared, not owned by whoever got the delivery.
    for replica in replicas:
        assert any(rec.get("msg") == "job done" for rec in replica.log_records()), replica.name
    # Scheduled work fired once across the two replicas: one handoff post for the current shift.
    handoffs = rows(postgres_url, "SELECT dedupe_key, state FROM jobs WHERE kind = 'oncall.handoff'")
    assert len({h["dedupe_key"] for h in handoffs}) == len(handoffs)
    done = [h for h in handoffs if h["state"] == "done"]
    assert len(handoff_posts(fake_slack)) == len(done) == 1
    scans = rows(postgres_url, "SELECT dedupe_key FROM jobs WHERE kind LIKE 'sla.scan%'")
    assert scans
    assert len({s["dedupe_key"] for s in scans}) == len(scans)


def sending_finished_before_the_kill(
    targets: list[tuple[str, dict[str, Any], int]], statuses: list[int | None], victim_url: str
) -> bool:
    """Whether every delivery to the victim got through (then it was not killed mid-run)."""
    return all(s == 200 for (url, _, _), s in zip(targets, statuses, strict=True) if url == victim_url)


async def test_a_replica_killed_mid_run_loses_nothing_and_doubles_nothing(
    postgres_url: str,
    fake_slack: FakeSlack,
    fake_jira: FakeJira,
    processes: list[ServeProcess],
    tmp_path: Path,
) -> None:
    # A short lease so the survivor takes over the victim's claimed jobs quickly; Jira latency so
    # that jobs are in flight.
    env = service_env(postgres_url, fake_slack, fake_jira, JOB_LEASE_SECONDS="8")
    victim, survivor = start_replicas(2, env, tmp_path, processes)
    fake_jira.latency_s = 0.2
    messages = post_messages(fake_slack, REACTIONS)
    events = [reaction_added(channel=CHANNEL, ts=ts, user="U0BOB") for ts in messages]

    # Every delivery goes to both; while they are being sent, the victim dies holding jobs.
    targets = to_both([victim, survivor], events)
    sending = asyncio.create_task(deliver_all(targets))
    held_query = "SELECT id FROM jobs WHERE state = 'running' AND lease_owner LIKE :owner"
    victim_owner = {"owner": f"%:{victim.proc.pid}:%"}  # worker ids are host:pid:random
    await asyncio.to_thread(wait_for, lambda: bool(rows(postgres_url, held_query, victim_owner)))
    victim.kill()
    # Exactly what it held when it died: nobody can touch those rows until their lease runs out.
    held = [r["id"] for r in rows(postgres_url, held_query, victim_owner)]
    assert victim.proc.returncode == -signal.SIGKILL
    assert held
    statuses = await sending
    assert not sending_finished_before_the_kill(targets, statuses, victim.url)
    # Slack retries what got no 200 (the load balancer now sends it to the survivor), and here
    # it also redelivers everything else to the survivor.
    statuses = await retry_like_slack(targets, statuses, retry_url=survivor.url)
    assert statuses == [200] * len(targets)
    again = [(survivor.url, event, 1) for event in events]
    assert await retry_like_slack(again, await deliver_all(again)) == [200] * REACTIONS
    fake_jira.latency_s = 0.02

    await asyncio.to_thread(settle, postgres_url, fake_slack, fake_jira, messages)
    assert_exactly_once(fake_slack, fake_jira, messages)
    dead = rows(postgres_url, "SELECT kind, last_error FROM jobs WHERE state = 'dead'")
    assert dead == []
    ids = ", ".join(str(i) for i in held)
    taken_over = rows(postgres_url, f"SELECT state, attempts FROM jobs WHERE id IN ({ids})")  # noqa: S608
    assert {r["state"] for r in taken_over} == {"done"}  # the survivor finished what the victim held
