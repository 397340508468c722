"""Secrets never reach a log line or an error message, end to end on the real `serve` process.

The unit test of the scrubbing formatter is tests/observability/test_logging.py. Here the service
runs as `serve` does (DEBUG logs), and an upstream misbehaves in the worst way: Jira answers a
create with an error that echoes every credential, so the job dies with that text as its error.
Deliveries with bad Slack and Jira signatures are sent too. Neither the service's log nor the
error stored with the dead job (what `interrupt-bridge jobs show` prints) may contain a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL
from app.sandbox.fake_slack import DEFAULT_BOT_TOKEN
from app.sandbox.http_fake import Fault
from bench.chaos import CREATE, SHORT, Chaos, Sender

WEBHOOK_SECRET = "jira-webhook-secret-5ac1d2"


@pytest.fixture(scope="module")
def chaos() -> Iterator[Chaos]:
    chaos = Chaos(SHORT, "sqlite", extra_env={"JIRA_WEBHOOK_SECRET": WEBHOOK_SECRET, "LOG_LEVEL": "DEBUG"})
    try:
        yield chaos
    finally:
        chaos.close()


def secrets_of(chaos: Chaos) -> dict[str, str]:
    basic = base64.b64encode(f"{DEFAULT_EMAIL}:{DEFAULT_API_TOKEN}".encode()).decode()
    return {
        "SLACK_SIGNING_SECRET": chaos.service.secret,
        "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
        "JIRA_API_TOKEN": DEFAULT_API_TOKEN,
        "JIRA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "Jira basic auth": basic,
    }


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


def test_secrets_echoed_by_an_upstream_stay_out_of_logs_and_job_errors(chaos: Chaos) -> None:
    secrets = secrets_of(chaos)
    echo = " ".join(secrets.values())
    chaos.jira.add_fault(
        Fault(
            CREATE,
            method="POST",
            times=1000,
            status=400,
            body={"errorMessages": [f"rejected: {echo}"], "errors": {}},
        )
    )
    url = f"http://127.0.0.1:{chaos.service.port}"
    body = b'{"webhookEvent": "jira:issue_updated"}'
    wrong = hmac.new(b"guess", body, hashlib.sha256).hexdigest()
    assert (
        httpx.post(
            f"{url}/jira/webhook", content=body, headers={"X-Hub-Signature": f"sha256={wrong}"}
        ).status_code
        == 401
    )
    assert (
        httpx.post(f"{url}/slack/events", content=body, headers={"X-Slack-Signature": "v0=00"}).status_code
        == 401
    )

    [ts] = chaos.messages(1, "secrets")
    sender = Sender(chaos.service, deadline_s=20)
    sender.run([ts])
    assert sender.acked == {ts}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not chaos.db.query("SELECT id FROM jobs WHERE state = 'dead'"):
        time.sleep(0.2)
    [(error,)] = chaos.db.query("SELECT last_error FROM jobs WHERE state = 'dead'")
    assert "rejected" in error  # the upstream's message is kept, for the operator
    assert leaks(error, secrets) == [], error

    logs = "\n".join(chaos.service.log_lines())
    assert "rejected" in logs
    assert leaks(logs, secrets) == []
    assert json.loads(chaos.service.log_lines()[-1])  # JSON lines, as configured
