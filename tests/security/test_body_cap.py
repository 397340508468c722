"""Oversize bodies are refused early: 413 before more than the cap (plus one chunk) is read.

The end-to-end 413s are in tests/intake/test_ingress.py (Slack) and tests/sla/test_jira_webhook.py
(Jira). These drive the raw ASGI endpoints with a `receive` that counts what the endpoint pulled:
a declared Content-Length over the cap is refused without reading a byte, and a body streamed
without a length stops being read at the first chunk past the cap (an attacker cannot make the
service buffer a large body, nor wait for it to finish sending).
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.signature import SignatureVerifier

from app.asgi_body import ASGIApp, Message
from app.jira_webhook import JiraWebhookEndpoint
from app.slack.http import SlackEventsEndpoint

CAP = 64 * 1024
CHUNK = 16 * 1024


class Untouchable:
    """Stands in for the dispatcher and the writer: an oversize body must never reach them."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"oversize body reached {name}")


def endpoints() -> dict[str, ASGIApp]:
    return {
        "slack": SlackEventsEndpoint(
            verifier=SignatureVerifier("secret"),
            dispatcher=Untouchable(),
            max_body=CAP,  # type: ignore[arg-type]
        ),
        "jira": JiraWebhookEndpoint(secret="secret", writer=Untouchable(), clock=lambda: 0.0, max_body=CAP),  # type: ignore[arg-type]
    }


class Stream:
    """An endless request body, counted as the endpoint pulls it."""

    def __init__(self) -> None:
        self.pulled = 0

    async def receive(self) -> Message:
        self.pulled += CHUNK
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}


async def call(endpoint: ASGIApp, headers: list[tuple[bytes, bytes]], stream: Stream) -> int:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    await endpoint(scope, stream.receive, send)
    return int(sent[0]["status"])


@pytest.mark.parametrize("name", ["slack", "jira"])
async def test_declared_length_over_the_cap_is_refused_unread(name: str) -> None:
    stream = Stream()
    status = await call(endpoints()[name], [(b"content-length", str(10 * CAP).encode())], stream)
    assert status == 413
    assert stream.pulled == 0


@pytest.mark.parametrize("name", ["slack", "jira"])
async def test_endless_body_without_length_stops_at_the_cap(name: str) -> None:
    stream = Stream()
    status = await call(endpoints()[name], [(b"content-type", b"application/json")], stream)
    assert status == 413
    assert stream.pulled <= CAP + CHUNK


@pytest.mark.parametrize("name", ["slack", "jira"])
async def test_malformed_content_length_is_refused_unread(name: str) -> None:
    stream = Stream()
    assert await call(endpoints()[name], [(b"content-length", b"-1")], stream) == 413
    assert stream.pulled == 0
