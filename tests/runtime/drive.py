"""Driving replicas like Slack does, and checking the outcome at the fakes and in the database."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.payloads import signed_json
from tests.runtime.serve_process import CHANNEL, ServeProcess

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


async def retry_like_slack(
    targets: list[tuple[str, dict[str, Any], int]],
    statuses: list[int | None],
    *,
    retry_url: str | None = None,
    retries: int = 3,
) -> list[int | None]:
    """Slack's retries: a delivery without a 200 (an error or a timeout) is sent again, up to 3
    times with `X-Slack-Retry-Num`, to `retry_url` (where the load balancer sends it) or the same URL."""
    final = list(statuses)
    for attempt in range(1, retries + 1):
        failed = [i for i, status in enumerate(final) if status != 200]
        if not failed:
            break
        again = await deliver_all([(retry_url or targets[i][0], targets[i][1], attempt) for i in failed])
        for i, status in zip(failed, again, strict=True):
            final[i] = status
    return final


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


def rows(database_url: str, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(query), params or {}).mappings()]
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
