"""Prometheus metrics (`GET /metrics`), named after Prometheus' conventions.

The metrics live in prometheus_client's default registry, one set per process: every replica (and
every separate `worker`) is scraped on its own, and Prometheus sums across pods. Counters and
histograms are updated where things happen; the job-queue gauges are read from the database when
`/metrics` is scraped (`JobStats`), from the `(state, run_after)` index, at most once per
`JOB_STATS_MAX_AGE_S` however many scrapers ask.

The Slack ack path only increments one counter (`interrupt_bridge_deliveries_total`); its latency is
not timed per request (see bench/ and the README's metrics section).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily
from sqlalchemy import Engine, case, func, select

from app.asgi_body import ASGIApp, Message, Receive, Scope, Send
from app.domain.errors import AmbiguousError, PermanentError, RetryableError
from app.store.jobs import DEAD, PENDING, RUNNING
from app.store.schema import jobs

log = logging.getLogger(__name__)

PREFIX = "interrupt_bridge"
# Latency buckets for our own routes and for Jira / Slack calls (seconds).
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_STATS_MAX_AGE_S = 5.0
JOB_STATS_TIMEOUT_S = 3.0
# States counted from the database; `done` rows accumulate forever, so they are counted by the
# workers instead (`interrupt_bridge_jobs_finished_total`).
GAUGED_STATES = (PENDING, RUNNING, DEAD)

HTTP_REQUEST_DURATION = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and status code.",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
JOBS_FINISHED = Counter(
    f"{PREFIX}_jobs_finished_total",
    "Job runs by this process, by kind and outcome (done, retry, dead).",
    ["kind", "outcome"],
)
JOB_DURATION = Histogram(
    f"{PREFIX}_job_duration_seconds",
    "Time one job run took, by kind.",
    ["kind"],
    buckets=_LATENCY_BUCKETS,
)
DEAD_LETTERS = Counter(
    f"{PREFIX}_dead_letters_total", "Jobs this process moved to the dead-letter state, by kind.", ["kind"]
)
UPSTREAM_DURATION = Histogram(
    f"{PREFIX}_upstream_request_duration_seconds",
    "Latency of calls to Jira and Slack (including the client's own rate-limit waits).",
    ["service", "operation"],
    buckets=_LATENCY_BUCKETS,
)
UPSTREAM_ERRORS = Counter(
    f"{PREFIX}_upstream_request_errors_total",
    "Failed calls to Jira and Slack, by the project's error class (retryable, ambiguous, permanent).",
    ["service", "operation", "error"],
)
RATE_LIMIT_WAITS = Counter(
    f"{PREFIX}_rate_limit_waits_total",
    "Waits ordered by a Retry-After: a job put back until then (job), or slack_sdk sleeping (slack_client).",
    ["where"],
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    f"{PREFIX}_rate_limit_wait_seconds_total",
    "Seconds of waiting ordered by Retry-After headers.",
    ["where"],
)


class DeliveryCounts:
    """`interrupt_bridge_deliveries_total{source, kind, outcome}` as plain integers.

    The ack path runs on the event loop and increments a dict entry: `count_delivery` measured
    0.7 µs a call (call included, on a loaded 2-core machine) against 3-4 µs for a labelled
    prometheus_client `Counter`, which takes a lock per increment. The values become a counter
    family only when scraped.
    """

    NAME = f"{PREFIX}_deliveries"
    HELP = "Slack and Jira deliveries received, by source, kind and outcome."
    LABELS = ("source", "kind", "outcome")

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = {}

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self.NAME, self.HELP, labels=self.LABELS)
        for labels, value in list(self.counts.items()):
            family.add_metric(labels, value)
        yield family

    def describe(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(self.NAME, self.HELP, labels=self.LABELS)


DELIVERIES = DeliveryCounts()
REGISTRY.register(DELIVERIES)


def count_delivery(source: str, kind: str, outcome: str) -> None:
    """One delivery answered; called on the ack path, on the event loop thread."""
    key = (source, kind, outcome)
    counts = DELIVERIES.counts
    counts[key] = counts.get(key, 0) + 1


def observe_upstream(service: str, operation: str, started: float, error: BaseException | None) -> None:
    """Record one Jira or Slack call that began at `started` (perf_counter) and raised `error`."""
    UPSTREAM_DURATION.labels(service, operation).observe(time.perf_counter() - started)
    if error is not None:
        UPSTREAM_ERRORS.labels(service, operation, error_class(error)).inc()


def error_class(error: BaseException) -> str:
    """`retryable`, `ambiguous`, `permanent` (the project's errors) or the exception's type name."""
    if isinstance(error, AmbiguousError):  # before RetryableError, its base class
        return "ambiguous"
    if isinstance(error, RetryableError):
        return "retryable"
    if isinstance(error, PermanentError):
        return "permanent"
    return type(error).__name__


def rate_limit_wait(where: str, seconds: float) -> None:
    RATE_LIMIT_WAITS.labels(where).inc()
    RATE_LIMIT_WAIT_SECONDS.labels(where).inc(max(seconds, 0.0))


@dataclass(frozen=True)
class JobSnapshot:
    counts: dict[str, int]
    due: int
    oldest_due_age_s: float


def read_job_snapshot(engine: Engine, *, now: float) -> JobSnapshot:
    """One grouped query over the `(state, run_after)` index; `done` rows are never visited."""
    query = (
        select(
            jobs.c.state,
            func.count(),
            func.sum(case((jobs.c.run_after <= now, 1), else_=0)),
            func.min(jobs.c.run_after),
        )
        .where(jobs.c.state.in_(GAUGED_STATES))
        .group_by(jobs.c.state)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    counts = dict.fromkeys(GAUGED_STATES, 0)
    due, oldest = 0, 0.0
    for state, count, due_count, min_run_after in rows:
        counts[state] = int(count)
        if state == PENDING:
            due = int(due_count or 0)
            if min_run_after is not None and min_run_after <= now:
                oldest = now - float(min_run_after)
    return JobSnapshot(counts=counts, due=due, oldest_due_age_s=oldest)


class JobStats:
    """The job-queue gauges, read from the database when scraped, at most once per `max_age_s`.

    They live in their own registry, exported only by `serve`'s `/metrics`: a process that does
    not read them (a separate worker) must not export a queue depth of zero.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
        max_age_s: float = JOB_STATS_MAX_AGE_S,
        timeout_s: float = JOB_STATS_TIMEOUT_S,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._max_age_s = max_age_s
        self._timeout_s = timeout_s
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()
        self.registry = CollectorRegistry(auto_describe=True)
        self._jobs = Gauge(
            f"{PREFIX}_jobs",
            "Jobs in the queue by state: pending, running, dead (read from the database at scrape time).",
            ["state"],
            registry=self.registry,
        )
        self._depth = Gauge(
            f"{PREFIX}_job_queue_depth",
            "Pending jobs that are due now (waiting for a worker).",
            registry=self.registry,
        )
        self._oldest = Gauge(
            f"{PREFIX}_job_oldest_pending_age_seconds",
            "How long the oldest due pending job has waited for a worker (0 when none is due).",
            registry=self.registry,
        )
        self._up = Gauge(
            f"{PREFIX}_job_stats_up",
            "1 if the last read of the job gauges from the database succeeded, else 0.",
            registry=self.registry,
        )

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._read_at < self._max_age_s:
                return
            try:
                snapshot = await asyncio.wait_for(
                    asyncio.to_thread(read_job_snapshot, self._engine, now=self._clock()), self._timeout_s
                )
            except Exception as exc:
                self._up.set(0)
                log.warning("could not read job gauges", extra={"error": type(exc).__name__})
                return
            self._read_at = time.monotonic()
            for state, count in snapshot.counts.items():
                self._jobs.labels(state).set(count)
            self._depth.set(snapshot.due)
            self._oldest.set(snapshot.oldest_due_age_s)
            self._up.set(1)


async def render(stats: JobStats | None) -> tuple[bytes, str]:
    """The exposition text of the process's metrics and, with `stats`, fresh job gauges."""
    body = generate_latest(REGISTRY)
    if stats is not None:
        await stats.refresh()
        body += generate_latest(stats.registry)
    return body, CONTENT_TYPE_LATEST


def serve_metrics(port: int, *, host: str = "0.0.0.0") -> Callable[[], None]:  # noqa: S104 (a pod's port)
    """Expose this process's metrics on `port` from a daemon thread (the separate `worker`).

    Returns what stops the server again.
    """
    server, thread = start_http_server(port, addr=host)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


class HttpMetrics:
    """ASGI middleware timing every request by route template, method and status.

    `routes` lists the paths the app serves; any other path is labelled `other`, so scanners probing
    random URLs cannot grow the label set.
    """

    def __init__(self, app: ASGIApp, routes: frozenset[str]) -> None:
        self._app = app
        self._routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path = scope["path"]
        route = path if path in self._routes else "other"
        status = 500  # if the app raises before answering, the server answers 500
        started = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, record_status)
        finally:
            HTTP_REQUEST_DURATION.labels(route, scope["method"], str(status)).observe(
                time.perf_counter() - started
            )
