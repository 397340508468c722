"""Shared fixtures: spec-checking fakes of Slack and Jira on loopback, databases, the service."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.config.loader import load_template
from app.runtime import Connections, Runtime
from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, FakeJira
from app.sandbox.fake_slack import DEFAULT_BOT_TOKEN, FakeSlack
from app.settings import Settings
from app.store.db import migrate
from tests.payloads import SIGNING_SECRET, signed_json
from tests.specs.shared_dir import shared_dir, warn_specs_missing

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_TEMPLATE = REPO / "deploy" / "bridge.example.yaml"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
JIRA_EMAIL = DEFAULT_EMAIL
JIRA_TOKEN = DEFAULT_API_TOKEN


class FakeClock:
    """A clock the tests move by hand: job delays and leases without sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- fakes --------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def slack_checker() -> Any:
    root = shared_dir()
    if root is None:
        warn_specs_missing("Slack spec checks")
        return None
    from tests.specs.slack_spec import SlackSpecChecker

    return SlackSpecChecker(root)


@pytest.fixture(scope="session")
def jira_spec_root() -> Path | None:
    root = shared_dir()
    if root is None:
        warn_specs_missing("Jira spec checks")
    return root


@pytest.fixture
def fake_slack(slack_checker: Any) -> Iterator[FakeSlack]:
    fake = FakeSlack.with_demo_data(bot_token=DEFAULT_BOT_TOKEN)
    fake.request_checker = slack_checker
    fake.start()
    yield fake
    fake.stop()
    assert fake.spec_violations == [], "requests to Slack that break Slack's published method specs"


def _fake_jira(deployment: str, root: Path | None) -> FakeJira:
    fake = FakeJira.with_demo_data(deployment=deployment)  # type: ignore[arg-type]
    fake.start()
    if root is not None:
        from tests.specs.jira_spec import JiraSpecChecker

        checker = JiraSpecChecker(root, fake.base_url)
        fake.request_checker = checker
        fake.response_checker = checker.check_response  # our fake must answer in Jira's shapes too
    return fake


@pytest.fixture
def fake_jira(jira_spec_root: Path | None) -> Iterator[FakeJira]:
    fake = _fake_jira("cloud", jira_spec_root)
    yield fake
    fake.stop()
    assert fake.spec_violations == [], "requests to Jira that break Jira's OpenAPI spec"


# -- databases ----------------------------------------------------------------------------------
def _postgres_or_skip() -> None:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable in CI at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bridge.sqlite3'}"
        migrate(url)
        yield url
        return
    yield from migrated_postgres_schema()


def migrated_postgres_schema() -> Iterator[str]:
    """A fresh, migrated schema of the test PostgreSQL (skipped without one, failed in CI), dropped after."""
    _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    migrate(url)
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


# -- the service --------------------------------------------------------------------------------
class Bridge:
    """The service under test, on the fakes, with a hand-driven worker."""

    def __init__(self, runtime: Runtime, client: httpx.AsyncClient, clock: FakeClock) -> None:
        self.runtime = runtime
        self.client = client
        self.clock = clock

    async def post_event(self, payload: dict[str, Any], **headers: str) -> httpx.Response:
        body, signed = signed_json(payload)
        return await self.client.post("/slack/events", content=body, headers={**signed, **headers})

    async def drain(self, *, max_rounds: int = 100, max_skip_s: float = 3600.0) -> None:
        """Run jobs until none is pending, moving the clock to each retry's due time."""
        for _ in range(max_rounds):
            ran = await self.runtime.worker.run_once()
            if ran:
                continue
            due = self.next_due()
            if due is None:
                return
            self.clock.advance(min(max(due - self.clock(), 0.0) + 0.001, max_skip_s))
        raise AssertionError("jobs did not drain")

    def next_due(self) -> float | None:
        with self.runtime.engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT MIN(run_after) FROM jobs WHERE state IN ('pending')")
            ).scalar_one_or_none()

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.runtime.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(f"SELECT * FROM {table}")).mappings()]  # noqa: S608


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "BRIDGE_CONFIG": str(EXAMPLE_TEMPLATE),
        "WORKER_CONCURRENCY": 8,
        "JIRA_CONCURRENCY": 4,
        "JIRA_TIMEOUT_SECONDS": 5,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def connections_for(fake_slack: FakeSlack, fake_jira: FakeJira) -> Connections:
    return Connections(
        signing_secret=SIGNING_SECRET,
        slack_token=DEFAULT_BOT_TOKEN,
        slack_api_url=f"{fake_slack.base_url}/api/",
        jira_url=fake_jira.base_url,
        jira_email=JIRA_EMAIL,
        jira_api_token=JIRA_TOKEN,
        jira_pat=None,
    )


@pytest.fixture
async def bridge(
    request: pytest.FixtureRequest, database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira
) -> AsyncIterator[Bridge]:
    """The served stack on the fakes; `@pytest.mark.settings(NAME=value)` overrides settings."""
    clock = FakeClock()
    marker = request.node.get_closest_marker("settings")
    settings = make_settings(database_url, **(marker.kwargs if marker else {}))
    template = load_template(EXAMPLE_TEMPLATE)
    runtime = Runtime(
        settings=settings,
        template=lambda: template,
        connections=connections_for(fake_slack, fake_jira),
        run_worker=False,
        clock=clock,
    )
    from app.main import create_served_app

    app = create_served_app(runtime)  # exactly the stack `serve` runs
    await runtime.start()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bridge.test") as client:
        yield Bridge(runtime, client, clock)
    await runtime.stop()
