"""Optional OpenTelemetry tracing: off unless configured; on, one server span per request."""

from __future__ import annotations

import sys

import httpx
import pytest

from app.observability.tracing import TracingUnavailable, traced
from app.sandbox.fake_slack import FakeSlack
from tests.conftest import Bridge
from tests.payloads import reaction_added, signed_json


async def _ok(scope: object, receive: object, send: object) -> None:  # pragma: no cover - never called
    raise AssertionError


def test_off_unless_an_endpoint_is_configured() -> None:
    assert traced(_ok, endpoint=None) is _ok
    assert traced(_ok, endpoint="") is _ok


def test_a_configured_endpoint_without_the_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.asgi", None)
    with pytest.raises(TracingUnavailable, match=r"interrupt-bridge\[otel\]"):
        traced(_ok, endpoint="http://127.0.0.1:4318")


async def test_each_request_through_the_served_stack_is_a_span(bridge: Bridge, fake_slack: FakeSlack) -> None:
    pytest.importorskip("opentelemetry.instrumentation.asgi", reason="the otel extra is not installed")
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from app.main import create_served_app

    exporter = InMemorySpanExporter()
    app = traced(create_served_app(bridge.runtime), endpoint=None, exporter=exporter)
    ts = fake_slack.post_user_message("C0PLATSUP", "U0ALICE", "traced request")
    body, headers = signed_json(reaction_added(channel="C0PLATSUP", ts=ts))
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bridge.test"
    ) as client:
        response = await client.post(
            "/slack/events", content=body, headers={**headers, "traceparent": traceparent}
        )
        assert response.status_code == 200
        assert (await client.get("/healthz")).status_code == 200
    servers = [s for s in exporter.get_finished_spans() if s.kind.name == "SERVER"]
    assert len(servers) == 2
    slack, health = servers
    assert format(slack.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"  # the caller's trace
    assert slack.attributes is not None
    assert health.attributes is not None
    assert "/slack/events" in str(dict(slack.attributes))
    assert "/healthz" in str(dict(health.attributes))
