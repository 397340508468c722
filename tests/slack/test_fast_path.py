"""The served app: `/slack/events` skips the framework, every other route still reaches FastAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.main import create_app
from app.slack.http import SlackFastPath
from tests.conftest import Bridge
from tests.payloads import reaction_added, signed_json


@pytest.fixture
async def served(bridge: Bridge) -> AsyncIterator[httpx.AsyncClient]:
    runtime = bridge.runtime
    app = SlackFastPath(create_app(runtime), runtime.slack_endpoint())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bridge.test") as client:
        yield client


async def test_reaction_through_the_fast_path_is_stored_once(
    served: httpx.AsyncClient, bridge: Bridge
) -> None:
    body, headers = signed_json(reaction_added(channel="C0PLATSUP", ts="1700000000.000100"))
    for _ in range(2):
        response = await served.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 200
        assert response.content == b""
        assert response.headers["content-length"] == "0"
    assert len(bridge.rows("slack_deliveries")) == 1
    assert [t["message_ts"] for t in bridge.rows("tickets")] == ["1700000000.000100"]
    assert [j["kind"] for j in bridge.rows("jobs")] == ["ticket.create"]


async def test_fast_path_rejects_what_the_endpoint_rejects(served: httpx.AsyncClient) -> None:
    assert (await served.get("/slack/events")).status_code == 405
    response = await served.post("/slack/events", content=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 401


async def test_other_routes_reach_the_application(served: httpx.AsyncClient) -> None:
    assert (await served.get("/healthz")).json() == {"status": "ok"}
    assert (await served.get("/readyz")).status_code == 200
    assert (await served.get("/nowhere")).status_code == 404
