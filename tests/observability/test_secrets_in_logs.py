"""A whole flow, logged the way `serve` logs, at DEBUG, libraries included: no configured secret in
any line, and the lines carry the delivery, job, ticket and Slack ids.

The flow covers what tends to leak: Jira echoing credentials in an error body (logged when the job is
dead-lettered), a signed Jira webhook, forged requests, and every library's debug output.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from app.cli.serve import log_secrets
from app.config.loader import load_template
from app.observability.logging import configure_logging
from app.runtime import Runtime
from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import Fault
from app.settings import Settings
from tests.conftest import EXAMPLE_TEMPLATE, JIRA_EMAIL, Bridge, FakeClock, connections_for, make_settings
from tests.intake.test_faults import CREATE, react
from tests.sla.jira_payloads import IN_PROGRESS, TO_DO, change, encode, issue_updated, sign

WEBHOOK_SECRET = "jira-webhook-secret-for-the-log-scan-77"
APP_TOKEN = "xapp-1-A0LOGSCAN-1234567890-abcdefabcdef"
DB_PASSWORD = "db-password-never-logged-9"
LIBRARIES = (
    "slack_sdk",
    "urllib3",
    "asyncio",
    "jira",
    "httpx",
    "httpcore",
    "aiohttp",
    "sqlalchemy",
    "alembic",
)


def configured_secrets(bridge: Bridge) -> dict[str, str]:
    connections = bridge.runtime.connections
    assert connections.jira_api_token is not None
    basic = base64.b64encode(f"{JIRA_EMAIL}:{connections.jira_api_token}".encode()).decode()
    return {
        "SLACK_SIGNING_SECRET": connections.signing_secret,
        "SLACK_BOT_TOKEN": connections.slack_token,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "JIRA_API_TOKEN": connections.jira_api_token,
        "JIRA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DATABASE_URL password": DB_PASSWORD,
        "Jira basic-auth header value": basic,
    }


class Lines(logging.Handler):
    """Keeps what the serve handler writes (its formatter: JSON, then scrubbing)."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def logging_like_serve(settings: Settings, runtime: Runtime) -> Iterator[Lines]:
    """`configure_logging` as `serve` calls it, and worse: every library at DEBUG too."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    configure_logging(level="DEBUG", fmt="json", secrets=log_secrets(settings, runtime.connections))
    [handler] = root.handlers
    assert handler.formatter is not None
    lines = Lines(handler.formatter)
    root.handlers.append(lines)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
async def logged_bridge(
    database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira
) -> AsyncIterator[tuple[Bridge, Lines]]:
    clock = FakeClock()
    connections = connections_for(fake_slack, fake_jira)
    settings = make_settings(
        database_url,
        SLACK_SIGNING_SECRET=connections.signing_secret,
        SLACK_BOT_TOKEN=connections.slack_token,
        SLACK_APP_TOKEN=APP_TOKEN,
        JIRA_URL=connections.jira_url,
        JIRA_EMAIL=JIRA_EMAIL,
        JIRA_API_TOKEN=connections.jira_api_token,
        JIRA_WEBHOOK_SECRET=WEBHOOK_SECRET,
        LOG_LEVEL="DEBUG",
    )
    # A database password too: scrubbed even though SQLite and the test server need none.
    logged = settings.model_copy(update={"database_url": f"postgresql://bridge:{DB_PASSWORD}@db/bridge"})
    template = load_template(EXAMPLE_TEMPLATE)
    runtime = Runtime(
        settings=settings, template=lambda: template, connections=connections, run_worker=False, clock=clock
    )
    with logging_like_serve(logged, runtime) as lines:
        from app.main import create_served_app

        app = create_served_app(runtime)
        await runtime.start()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bridge.test") as client:
            yield Bridge(runtime, client, clock), lines
        await runtime.stop()


async def test_no_secret_in_any_log_line_and_ids_in_structured_keys(
    logged_bridge: tuple[Bridge, Lines], fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    bridge, capture = logged_bridge
    secrets = configured_secrets(bridge)
    # 1. a reaction becomes a ticket and a reply
    ts = await react(bridge, fake_slack)
    await bridge.drain()
    [ticket] = [t for t in bridge.rows("tickets") if t["message_ts"] == ts]
    # 2. Jira reports a status change on it
    payload = issue_updated(
        fake_jira,
        ticket["jira_key"],
        by="bob",
        items=[change("status", TO_DO, IN_PROGRESS)],
        at=bridge.clock(),
    )
    body = encode(payload)
    headers = {"X-Hub-Signature": sign(body, WEBHOOK_SECRET), "X-Atlassian-Webhook-Identifier": "wh-logscan"}
    assert (await bridge.client.post("/jira/webhook", content=body, headers=headers)).status_code == 200
    await bridge.drain()
    # 3. Jira refuses a create and echoes the credentials it was sent; the job is dead-lettered
    echo = {"errorMessages": [f"bad credentials: {value}" for value in secrets.values()], "errors": {}}
    fake_jira.add_fault(Fault(CREATE, method="POST", times=1, status=400, body=echo))
    await react(bridge, fake_slack, text="Another request")
    await bridge.drain()
    assert [j["state"] for j in bridge.rows("jobs") if j["kind"] == "ticket.create"].count("dead") == 1
    # 4. forged deliveries
    assert (
        await bridge.client.post("/jira/webhook", content=body, headers={"X-Hub-Signature": "x"})
    ).status_code == 401
    assert (await bridge.client.post("/slack/events", content=b"{}")).status_code == 401

    text = "\n".join(capture.lines)
    assert len(capture.lines) > 20, "the flow logged almost nothing: the scan would prove nothing"
    for name, value in secrets.items():
        assert value not in text, f"{name} appears in the logs"
    assert "bad credentials: ***" in text  # the echoed error was logged, scrubbed
    entries = [json.loads(line) for line in capture.lines]
    assert _with(entries, "job.id", "job.kind", "ticket.id"), "job lines carry the ticket id"
    assert _with(entries, "jira.key", "ticket.id", "slack.channel_id", "slack.ts"), "the created ticket's ids"
    assert _with(entries, "jira.webhook_id", "jira.key"), "the webhook line carries the delivery and issue"
    assert _with(entries, "job.id", "delivery.id"), "the webhook's job names its delivery"
    assert _with(entries, "job.id", "ticket.id", "jira.webhook_id"), "and the jobs it causes too"
    assert any(entry.get("jira.key") == ticket["jira_key"] for entry in entries)


def _with(entries: list[dict[str, Any]], *keys: str) -> bool:
    return any(all(key in entry for key in keys) for entry in entries)
