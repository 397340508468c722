"""`GET /reports/interrupts` behind ADMIN_TOKEN, with the bridge's own first responses and channels."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from app.config.loader import load_template
from app.main import create_app
from app.runtime import Connections, Runtime
from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PAT, FakeJira
from app.store.db import migrate
from app.store.schema import sla_state, tickets
from tests.conftest import make_settings
from tests.reports.conftest import EXAMPLE_TEMPLATE, NOW

TOKEN = "report-admin-token-for-tests"


def connections(fake: FakeJira) -> Connections:
    cloud = fake.deployment == "cloud"
    return Connections(
        signing_secret="unused",
        slack_token="xoxb-unused",
        slack_api_url="http://127.0.0.1:9/api/",
        jira_url=fake.base_url,
        jira_email=DEFAULT_EMAIL if cloud else None,
        jira_api_token=DEFAULT_API_TOKEN if cloud else None,
        jira_pat=None if cloud else DEFAULT_PAT,
    )


async def client_for(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://bridge.test") as client:
        yield client


@pytest.fixture
async def served(seeded: FakeJira, database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    migrate(database_url)
    template = load_template(EXAMPLE_TEMPLATE)
    runtime = Runtime(
        settings=make_settings(database_url, ADMIN_TOKEN=TOKEN),
        template=lambda: template,
        connections=connections(seeded),
        run_worker=False,
        clock=lambda: NOW.timestamp(),
    )
    # two of the seeded issues were raised by the bridge: their channel and first response come from the store
    keys = [i["key"] for i in seeded.issues()][-2:]
    with runtime.engine.begin() as conn:
        for n, key in enumerate(keys):
            created = (NOW - timedelta(days=1)).timestamp()
            conn.execute(
                sa.insert(tickets).values(
                    id=f"t{n}",
                    team="platform",
                    channel_id="C0PLATSUP",
                    message_ts=f"1.{n}",
                    bucket="question",
                    priority="Low",
                    source="reaction",
                    state="created",
                    marker=f"ib-t{n}",
                    jira_key=key,
                    created_at=created,
                    updated_at=created,
                )
            )
        with seeded.lock:
            for n, key in enumerate(keys):
                issue = seeded.state.issues_by_key[key]
                conn.execute(
                    sa.insert(sla_state).values(
                        ticket_id=f"t{n}",
                        first_response_at=(issue.created + timedelta(hours=2 + n)).timestamp(),
                        updated_at=created,
                    )
                )
    async for client in client_for(runtime):
        yield client, runtime
    runtime.engine.dispose()


async def test_the_report_needs_the_admin_token(served: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, _ = served
    missing = await client.get("/reports/interrupts")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    basic = await client.get("/reports/interrupts", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    wrong = await client.get("/reports/interrupts", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert "token" in wrong.json()["error"]


async def test_html_and_json_with_store_facts(served: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, _ = served
    auth = {"Authorization": f"Bearer {TOKEN}"}
    page = await client.get("/reports/interrupts", params={"since": "30d"}, headers=auth)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.count('class="chart"') == 4
    data = (
        await client.get("/reports/interrupts", params={"since": "30d", "format": "json"}, headers=auth)
    ).json()
    assert data["response"]["count"] == 2
    assert data["response"]["median_h"] == pytest.approx(2.5)
    assert data["top_channels"] == [{"channel": "C0PLATSUP", "count": 2}]
    bad = await client.get("/reports/interrupts", params={"since": "lately"}, headers=auth)
    assert bad.status_code == 400
    assert "--since 'lately'" in bad.json()["error"]
    unknown = await client.get("/reports/interrupts", params={"team": "nope"}, headers=auth)
    assert unknown.status_code == 400


async def test_without_admin_token_the_report_is_not_served(seeded: FakeJira, tmp_path: Path) -> None:
    template = load_template(EXAMPLE_TEMPLATE)
    runtime = Runtime(
        settings=make_settings(f"sqlite:///{tmp_path / 'r.sqlite3'}", ADMIN_TOKEN=""),
        template=lambda: template,
        connections=connections(seeded),
        run_worker=False,
    )
    async for client in client_for(runtime):
        answer = await client.get("/reports/interrupts", headers={"Authorization": "Bearer anything"})
        assert answer.status_code == 404
        assert "ADMIN_TOKEN" in answer.json()["error"]
    runtime.engine.dispose()
