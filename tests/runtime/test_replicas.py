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
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.oncall.conftest import handoff_posts
from tests.payloads import reaction_added, signed_json
from tests.runtime.serve_process import CHANNEL, ServeProcess, service_env

pytestmark = pytest.mark.postgres

REACTIONS = int(os.environ.get("REPLICA_REACTIONS", "200"))
SETTLE_TIMEOUT_S = 60 + REACTIONS * 0.5


def post_messages(fake_slack: FakeSlack, count: int) -> list[str]:
    return [fake_slack.post_user_message(CHANNEL, "U0ALICE", f"Request number {i}") for i in range(count)]


async def deliver(
    client: httpx.AsyncClient, url: str, event: dict[str, Any], retry_num: int = 0
) -> int | None:
    """POST one freshly signed delivery; None when the replica is unreachable (Slack would retry)."""
    body, headers = signed_json(event)
    if retry_num:
        headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
    try:
        response = await client.post(f"{url}/slack/events", content=body, headers=headers)
    except httpx.TransportError:
        return None
    return response.status_code


async def deliver_all(
    targets: list[tuple[str, dict[str, Any], int]], *, concurrency: int = 16
) -> list[int | None]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=10) as client:

        async def one(url: str, event: dict[str, Any], retry_num: int) -> int | None:
            async with limit:
                return await deliver(client, url, event, retry_num)

        return await asyncio.gather(*(one(*t) for t in targets))


def to_both(
    replicas: list[ServeProcess], events: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any], int]]:
    """Each event to both replicas, the first delivery alternating between them."""
    targets = []
    for i, event in enumerate(events):
        first, second = replicas[i % 2], replicas[(i + 1) % 2]
        targets += [(first.url, event, 0), (second.url, event, 0)]
    return targets


def wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def bot_replies(fake_slack: FakeSlack, ts: str) -> int:
    return sum(1 for m in fake_slack.thread(CHANNEL, ts)[1:] if m.get("bot_id"))


def unfinished_due_jobs(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM jobs"
                        " WHERE state IN ('pending', 'running') AND run_after <= :now"
                    ),
                    {"now": time.time()},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def rows(database_url: str, query: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(query)).mappings()]
    finally:
        engine.dispose()


def settle(database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira, messages: list[str]) -> float:
    """Wait until every message has an issue and a reply and no due job is left; returns seconds."""
    started = time.monotonic()
    deadline = started + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if (
            len(fake_jira.issues()) >= len(messages)
            and all(bot_replies(fake_slack, ts) for ts in messages)
            and unfinished_due_jobs(database_url) == 0
        ):
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(
        f"not settled after {SETTLE_TIMEOUT_S:.0f}s: {len(fake_jira.issues())} issues, "
        f"{sum(1 for ts in messages if bot_replies(fake_slack, ts))} replies, "
        f"{unfinished_due_jobs(database_url)} jobs due"
    )


def assert_exactly_once(fake_slack: FakeSlack, fake_jira: FakeJira, messages: list[str]) -> None:
    issues = fake_jira.issues()
    markers = [
        next(label for label in issue["fields"]["labels"] if label.startswith("ib-")) for issue in issues
    ]
    assert len(issues) == len(messages)
    assert len(set(markers)) == len(messages)
    assert [bot_replies(fake_slack, ts) for ts in messages] == [1] * len(messages)


def start_replicas(
    count: int, env: dict[str, str], workdir: Path, processes: list[ServeProcess]
) -> list[ServeProcess]:
    replicas = [ServeProcess(f"replica-{i}", env, workdir) for i in range(count)]
    processes.extend(replicas)
    for replica in replicas:
        replica.wait_ready()
    return replicas


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
    statuses = await deliver_all(to_both(replicas, events))
    acked_s = time.monotonic() - started
    assert statuses == [200] * (2 * REACTIONS)
    drained_s = await asyncio.to_thread(settle, postgres_url, fake_slack, fake_jira, messages)
    print(f"\n{REACTIONS} reactions x 2 replicas: acked in {acked_s:.1f}s, drained {drained_s:.1f}s later")

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


async def test_a_replica_killed_mid_run_loses_nothing_and_doubles_nothing(
    postgres_url: str,
    fake_slack: FakeSlack,
    fake_jira: FakeJira,
    processes: list[ServeProcess],
    tmp_path: Path,
) -> None:
    # A short lease so the survivor takes over the victim's claimed jobs quickly; some Jira
    # latency so the victim is killed with calls in flight.
    env = service_env(postgres_url, fake_slack, fake_jira, JOB_LEASE_SECONDS="8")
    victim, survivor = start_replicas(2, env, tmp_path, processes)
    fake_jira.latency_s = 0.02
    messages = post_messages(fake_slack, REACTIONS)
    events = [reaction_added(channel=CHANNEL, ts=ts, user="U0BOB") for ts in messages]
    half = REACTIONS // 2

    first = await deliver_all(to_both([victim, survivor], events[:half]))
    assert first == [200] * (2 * half)
    await asyncio.to_thread(wait_for, lambda: bool(fake_jira.issues()))  # the victim's worker is busy
    victim.kill()
    assert victim.proc.returncode == -signal.SIGKILL
    # The rest is sent to both as before (the victim's copies fail), then Slack retries every
    # delivery that did not get a 200 from the victim on the survivor: here, all of them.
    rest = await deliver_all(to_both([victim, survivor], events[half:]))
    assert rest.count(None) == len(events) - half
    retried = await deliver_all([(survivor.url, event, 1) for event in events])
    assert retried == [200] * REACTIONS

    await asyncio.to_thread(settle, postgres_url, fake_slack, fake_jira, messages)
    assert_exactly_once(fake_slack, fake_jira, messages)
    dead = rows(postgres_url, "SELECT kind, last_error FROM jobs WHERE state = 'dead'")
    assert dead == []
