"""`GET /metrics`: each metric moves when its event happens, through the stack `serve` runs.

Metrics are process-wide (prometheus_client's default registry), so every check compares a sample
before and after the action under test.
"""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.observability.metrics import JobStats, read_job_snapshot
from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import Fault
from app.store import jobs as job_store
from tests.conftest import Bridge
from tests.intake.test_faults import CREATE, react
from tests.payloads import reaction_added, signed_json


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Exposition text -> sample name -> sorted labels -> value (also proves the text parses)."""
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return found


async def test_scrape_shows_deliveries_queue_and_http_latency(bridge: Bridge, fake_slack: FakeSlack) -> None:
    acked = sample(
        "interrupt_bridge_deliveries_total", source="slack", kind="event:reaction_added", outcome="acked"
    )
    forged = sample(
        "interrupt_bridge_deliveries_total", source="slack", kind="unknown", outcome="bad_signature"
    )
    healthz = sample(
        "interrupt_bridge_http_request_duration_seconds_count", route="/healthz", method="GET", status="200"
    )
    await react(bridge, fake_slack)
    body, headers = signed_json(reaction_added(channel="C0PLATSUP", ts="1.1"), secret="not-the-secret")
    assert (await bridge.client.post("/slack/events", content=body, headers=headers)).status_code == 401
    assert (await bridge.client.get("/healthz")).status_code == 200
    assert (await bridge.client.get("/nothing-here")).status_code == 404

    response = await bridge.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    metrics = scraped(response.text)
    deliveries = metrics["interrupt_bridge_deliveries_total"]
    assert (
        deliveries[(("kind", "event:reaction_added"), ("outcome", "acked"), ("source", "slack"))] == acked + 1
    )
    assert deliveries[(("kind", "unknown"), ("outcome", "bad_signature"), ("source", "slack"))] == forged + 1
    latency = metrics["interrupt_bridge_http_request_duration_seconds_count"]
    assert latency[(("method", "GET"), ("route", "/healthz"), ("status", "200"))] == healthz + 1
    assert (("method", "GET"), ("route", "other"), ("status", "404")) in latency  # never the raw path
    assert not any(dict(labels).get("route") == "/slack/events" for labels in latency)  # counted, not timed
    # The queue, read from the database: the reaction's ticket.create job waits for a worker.
    assert metrics["interrupt_bridge_jobs"][(("state", "pending"),)] == 1
    assert metrics["interrupt_bridge_job_queue_depth"][()] == 1
    assert metrics["interrupt_bridge_job_stats_up"][()] == 1


async def test_job_runs_and_upstream_calls_are_counted(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    done = sample("interrupt_bridge_jobs_finished_total", kind="ticket.create", outcome="done")
    creates = sample(
        "interrupt_bridge_upstream_request_duration_seconds_count", service="jira", operation="create issue"
    )
    posts = sample(
        "interrupt_bridge_upstream_request_duration_seconds_count",
        service="slack",
        operation="chat.postMessage",
    )
    failed = sample(
        "interrupt_bridge_upstream_request_errors_total",
        service="jira",
        operation="create issue",
        error="retryable",
    )
    fake_jira.add_fault(Fault(CREATE, method="POST", times=1, status=503, body={"errorMessages": ["down"]}))
    await react(bridge, fake_slack)
    await bridge.drain()
    assert sample("interrupt_bridge_jobs_finished_total", kind="ticket.create", outcome="done") == done + 1
    assert (
        sample(
            "interrupt_bridge_upstream_request_duration_seconds_count",
            service="jira",
            operation="create issue",
        )
        == creates + 2
    )
    assert (
        sample(
            "interrupt_bridge_upstream_request_errors_total",
            service="jira",
            operation="create issue",
            error="retryable",
        )
        == failed + 1
    )
    assert (
        sample(
            "interrupt_bridge_upstream_request_duration_seconds_count",
            service="slack",
            operation="chat.postMessage",
        )
        >= posts + 1
    )


async def test_rate_limit_waits_are_counted_in_the_client_and_in_the_queue(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    in_client = sample("interrupt_bridge_rate_limit_waits_total", where="slack_client")
    in_queue = sample("interrupt_bridge_rate_limit_waits_total", where="job")
    queued_s = sample("interrupt_bridge_rate_limit_wait_seconds_total", where="job")
    fake_slack.add_fault(Fault(r"/api/chat\.postMessage$", times=1, status=429, headers={"Retry-After": "0"}))
    fake_jira.add_fault(Fault(CREATE, method="POST", times=1, status=429, headers={"Retry-After": "120"}))
    await react(bridge, fake_slack)
    await bridge.drain()
    assert sample("interrupt_bridge_rate_limit_waits_total", where="slack_client") == in_client + 1
    assert sample("interrupt_bridge_rate_limit_waits_total", where="job") == in_queue + 1
    assert sample("interrupt_bridge_rate_limit_wait_seconds_total", where="job") >= queued_s + 120


async def test_dead_letters_are_counted(bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira) -> None:
    dead = sample("interrupt_bridge_dead_letters_total", kind="ticket.create")
    body = {"errorMessages": [], "errors": {"project": "gone"}}
    fake_jira.add_fault(Fault(CREATE, method="POST", times=1, status=400, body=body))
    await react(bridge, fake_slack)
    await bridge.drain()
    assert sample("interrupt_bridge_dead_letters_total", kind="ticket.create") == dead + 1
    assert read_job_snapshot(bridge.runtime.engine, now=bridge.clock()).counts["dead"] == 1


async def test_oldest_pending_age_counts_only_due_jobs(bridge: Bridge) -> None:
    engine, clock = bridge.runtime.engine, bridge.clock
    with engine.begin() as conn:
        job_store.enqueue(conn, "test.due", {}, now=clock())
        job_store.enqueue(conn, "test.later", {}, now=clock(), run_after=clock() + 3600)
    clock.advance(42)
    stats = JobStats(engine, clock=clock, max_age_s=0)
    await stats.refresh()
    values = scraped(generate_latest(stats.registry).decode())
    assert values["interrupt_bridge_job_oldest_pending_age_seconds"][()] == pytest.approx(42)
    assert values["interrupt_bridge_job_queue_depth"][()] == 1
    assert values["interrupt_bridge_jobs"][(("state", "pending"),)] == 2


async def test_jira_deliveries_are_counted(bridge: Bridge) -> None:
    refused = sample(
        "interrupt_bridge_deliveries_total", source="jira", kind="unknown", outcome="bad_signature"
    )
    response = await bridge.client.post(
        "/jira/webhook", content=b"{}", headers={"X-Hub-Signature": "sha256=00"}
    )
    assert response.status_code == 401
    assert sample(
        "interrupt_bridge_deliveries_total", source="jira", kind="unknown", outcome="bad_signature"
    ) == (refused + 1)


def test_a_separate_worker_serves_its_metrics_on_its_own_port() -> None:
    import socket
    import urllib.request

    from app.observability.metrics import serve_metrics

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop = serve_metrics(port, host="127.0.0.1")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    finally:
        stop()
    names = {family.name for family in text_string_to_metric_families(text)}
    assert "interrupt_bridge_jobs_finished" in names
    assert "interrupt_bridge_jobs" not in names  # the queue gauges come from `serve` only
