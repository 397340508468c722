"""Socket Mode: the real slack_sdk client against the fake Socket Mode server, same handlers as HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import sqlalchemy as sa

from app.config.loader import load_template
from app.runtime import Runtime
from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.fake_socket_mode import Envelope, FakeSocketMode
from tests.conftest import EXAMPLE_TEMPLATE, Bridge, FakeClock, connections_for, make_settings
from tests.intake.test_modal_flows import opened
from tests.intake.test_reaction_intake import CHANNEL, bot_replies, creates
from tests.payloads import message_shortcut, reaction_added, sign, slash_command_form, view_submission
from tests.slack.modal_state import state_for

ACK_TIMEOUT_S = 10.0


@pytest.fixture
def fake_socket(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    server = FakeSocketMode().start()
    fake_slack.socket_mode = server
    yield server
    server.stop()
    assert server.problems == [], "acks that break Socket Mode's rules"


@pytest.fixture
async def socket_bridge(
    database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira, fake_socket: FakeSocketMode
) -> AsyncIterator[Bridge]:
    """The service on Socket Mode only: an app-level token and no signing secret."""
    clock = FakeClock()
    connections = dataclasses.replace(
        connections_for(fake_slack, fake_jira), signing_secret="", slack_app_token=fake_slack.app_token
    )
    template = load_template(EXAMPLE_TEMPLATE)
    runtime = Runtime(
        settings=make_settings(database_url),
        template=lambda: template,
        connections=connections,
        run_worker=False,
        socket_mode=True,
        clock=clock,
    )
    from app.main import create_served_app

    app = create_served_app(runtime)
    await runtime.start()
    await wait_until(lambda: fake_socket.connected == 1)  # it connects in the background
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bridge.test") as client:
        yield Bridge(runtime, client, clock)
    await runtime.stop()


async def deliver(fake: FakeSocketMode, kind: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """Send one envelope and wait (off the event loop, which runs the client) for its ack."""
    envelope: Envelope = await asyncio.to_thread(fake.deliver, kind, payload, **kw)
    return await asyncio.to_thread(fake.wait_ack, envelope, ACK_TIMEOUT_S)


async def wait_until(condition: Any, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def delivery_recorded(bridge: Bridge, dedupe_key: str) -> bool:
    with bridge.runtime.engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT count(*) FROM slack_deliveries WHERE dedupe_key = :k"), {"k": dedupe_key}
        ).scalar_one()
    return bool(found)


async def test_reaction_over_socket_mode_becomes_one_ticket_and_is_acked_after_its_commit(
    socket_bridge: Bridge, fake_socket: FakeSocketMode, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "The build cache is full")
    event = reaction_added(channel=CHANNEL, ts=ts, user="U0BOB")
    committed_at_ack: dict[str, bool] = {}
    # Runs in the fake's thread the moment the ack arrives: the delivery must already be stored.
    fake_socket.on_ack = lambda envelope_id, ack: committed_at_ack.setdefault(
        envelope_id, delivery_recorded(socket_bridge, event["event_id"])
    )

    ack = await deliver(fake_socket, "events_api", event)
    assert "payload" not in ack
    assert list(committed_at_ack.values()) == [True]
    # Slack redelivers an envelope it thinks was not acknowledged: deduplicated on event_id.
    again = await deliver(fake_socket, "events_api", event, retry_attempt=1, retry_reason="timeout")
    assert "payload" not in again

    await socket_bridge.drain()
    assert len(creates(fake_jira)) == 1
    assert len(bot_replies(fake_slack, ts)) == 1
    [delivery] = socket_bridge.rows("slack_deliveries")
    assert delivery["kind"] == "event:reaction_added"
    assert fake_slack.calls("apps.connections.open") == [{}]  # token only, in the header


async def test_a_delivery_that_cannot_be_recorded_is_not_acknowledged(
    socket_bridge: Bridge, fake_socket: FakeSocketMode, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Flaky DNS in staging")
    event = reaction_added(channel=CHANNEL, ts=ts)

    async def database_down(*_: Any, **__: Any) -> Any:
        raise sa.exc.OperationalError("INSERT", {}, Exception("connection refused"))

    with monkeypatch.context() as patch:
        patch.setattr(socket_bridge.runtime.dispatcher, "dispatch", database_down)
        envelope = await asyncio.to_thread(fake_socket.deliver, "events_api", event)
        with pytest.raises(TimeoutError):
            await asyncio.to_thread(fake_socket.wait_ack, envelope, 1.0)
    assert socket_bridge.rows("slack_deliveries") == []
    # Slack's redelivery, once the database is back, is recorded and acknowledged.
    await deliver(fake_socket, "events_api", event, retry_attempt=1, retry_reason="timeout")
    assert delivery_recorded(socket_bridge, event["event_id"])


async def test_shortcut_opens_the_modal_and_a_bad_submission_gets_field_errors_in_the_ack(
    socket_bridge: Bridge, fake_socket: FakeSocketMode, fake_slack: FakeSlack
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Grafana login loops")
    shortcut = message_shortcut(channel=CHANNEL, message=fake_slack.thread(CHANNEL, ts)[0], user="U0ALICE")
    ack = await deliver(fake_socket, "interactive", shortcut)
    assert "payload" not in ack  # an empty ack, as over HTTP
    [view] = opened(fake_slack)

    values = state_for(view, {"summary": "", "impact": "team", "urgency": "not-blocked"})
    submitted = {k: view[k] for k in ("blocks", "callback_id", "private_metadata")}
    submission = view_submission(
        user="U0ALICE", view={**submitted, "id": "V0X", "hash": "1.x"}, values=values
    )
    ack = await deliver(fake_socket, "interactive", submission)
    assert ack["payload"]["response_action"] == "errors"
    assert set(ack["payload"]["errors"]) >= {"summary", "bucket"}
    assert socket_bridge.rows("tickets") == []


async def test_slash_command_help_is_answered_in_the_ack(
    socket_bridge: Bridge, fake_socket: FakeSocketMode
) -> None:
    form = slash_command_form(command="/interrupt", text="help", user_id="U0ALICE")
    payload = dict(parse_qsl(form.decode(), keep_blank_values=True))  # Socket Mode sends the fields as JSON
    ack = await deliver(fake_socket, "slash_commands", payload)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert ":lock:" in ack["payload"]["text"]
    assert [d["kind"] for d in socket_bridge.rows("slack_deliveries")] == ["command"]


async def test_the_client_reconnects_after_the_server_drops_it_and_when_asked_to(
    socket_bridge: Bridge, fake_socket: FakeSocketMode, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    assert fake_socket.connects == 1
    await asyncio.to_thread(fake_socket.drop)
    await wait_until(lambda: fake_socket.connects == 2 and fake_socket.connected == 1)
    await asyncio.to_thread(fake_socket.ask_to_reconnect)
    await wait_until(lambda: fake_socket.connects == 3 and fake_socket.connected >= 1)
    await wait_until(lambda: fake_socket.connected == 1)  # the old connection was closed

    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Runner pool exhausted")
    await deliver(fake_socket, "events_api", reaction_added(channel=CHANNEL, ts=ts))
    await socket_bridge.drain()
    assert len(creates(fake_jira)) == 1
    assert len(fake_slack.calls("apps.connections.open")) == 3  # a fresh URL for each connection
    ready = await socket_bridge.client.get("/readyz")
    assert ready.json()["checks"]["socket_mode"] == "ok"


async def test_without_a_signing_secret_the_http_endpoint_accepts_nothing(socket_bridge: Bridge) -> None:
    """A Socket Mode app may run without SLACK_SIGNING_SECRET; HTTP must not accept "" as a key."""
    body = b'{"type": "url_verification", "challenge": "x"}'
    response = await socket_bridge.client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json", **sign(body, secret="")}
    )
    assert response.status_code == 401
