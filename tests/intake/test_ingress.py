"""`POST /slack/events`: signatures, sizes, malformed bodies, kinds of delivery."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from tests.conftest import Bridge
from tests.payloads import SIGNING_SECRET, reaction_added, sign, slash_command_form, url_verification

CHANNEL = "C0PLATSUP"


def stored(bridge: Bridge) -> int:
    return sum(len(bridge.rows(t)) for t in ("slack_deliveries", "tickets", "jobs"))


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-Slack-Request-Timestamp": str(int(time.time()))}, id="timestamp-only"),
        pytest.param(sign(b"other body"), id="wrong-body"),
        pytest.param(sign(b"", secret="not-the-secret"), id="wrong-secret"),
        pytest.param("stale", id="stale"),
        pytest.param("future", id="future"),
    ],
)
async def test_bad_signature_is_401_and_stores_nothing(bridge: Bridge, headers: object) -> None:
    body = json.dumps(reaction_added(channel=CHANNEL, ts="1700000000.000100")).encode()
    # 310 s, not 301: the timestamp is truncated to the second, so +301 can fall inside the window
    # (the exact boundary is tested against slack_sdk with a fixed clock in tests/slack/test_signature.py).
    if headers == "stale":
        headers = sign(body, timestamp=int(time.time()) - 310)
    elif headers == "future":
        headers = sign(body, timestamp=int(time.time()) + 310)
    assert isinstance(headers, dict)
    response = await bridge.client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error": "invalid or missing Slack signature"}
    assert stored(bridge) == 0


async def test_replay_inside_window_is_deduplicated(bridge: Bridge) -> None:
    body = json.dumps(reaction_added(channel=CHANNEL, ts="1700000000.000100")).encode()
    headers = {"Content-Type": "application/json", **sign(body)}
    for _ in range(3):
        assert (await bridge.client.post("/slack/events", content=body, headers=headers)).status_code == 200
    assert len(bridge.rows("slack_deliveries")) == 1
    assert len(bridge.rows("jobs")) == 1


async def test_oversize_body_is_413_without_storing(bridge: Bridge) -> None:
    body = b'{"type": "event_callback", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = await bridge.client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json", **sign(body)}
    )
    assert response.status_code == 413
    assert stored(bridge) == 0


async def test_oversize_streamed_body_without_length_is_413(bridge: Bridge) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    response = await bridge.client.post(
        "/slack/events", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_malformed_json_under_valid_signature_is_400(bridge: Bridge) -> None:
    body = b'{"type": "event_callback", "event": '
    response = await bridge.client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json", **sign(body)}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert stored(bridge) == 0


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'["a list"]', "application/json", "JSON object"),
        (b'{"type": "event_callback", "event": {}}', "application/json", "event_id"),
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded", "`payload` is not valid JSON"),
        (b"hello=world", "application/x-www-form-urlencoded", "neither interactivity"),
        (b"<xml/>", "text/xml", "unsupported content type"),
    ],
)
async def test_unreadable_deliveries_get_a_clear_400(
    bridge: Bridge, body: bytes, content_type: str, message: str
) -> None:
    response = await bridge.client.post(
        "/slack/events", content=body, headers={"Content-Type": content_type, **sign(body)}
    )
    assert response.status_code == 400
    assert message in response.json()["error"]


async def test_url_verification_answers_the_challenge(bridge: Bridge) -> None:
    payload = url_verification()
    response = await bridge.post_event(payload)
    assert response.status_code == 200
    assert response.json() == {"challenge": payload["challenge"]}


async def test_unknown_event_type_is_acknowledged_and_recorded(bridge: Bridge) -> None:
    payload = reaction_added(channel=CHANNEL, ts="1700000000.000100")
    payload["event"] = {"type": "team_join", "user": {"id": "U9"}}
    response = await bridge.post_event(payload)
    assert response.status_code == 200
    assert [d["kind"] for d in bridge.rows("slack_deliveries")] == ["event:team_join"]
    assert bridge.rows("jobs") == []


async def test_slash_command_form_is_verified_and_recorded(bridge: Bridge) -> None:
    body = slash_command_form()
    response = await bridge.client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret=SIGNING_SECRET)},
    )
    assert response.status_code == 200
    assert [d["kind"] for d in bridge.rows("slack_deliveries")] == ["command"]


async def test_get_is_405(bridge: Bridge) -> None:
    response = await bridge.client.get("/slack/events")
    assert response.status_code == 405


async def test_health_and_readiness(bridge: Bridge) -> None:
    assert (await bridge.client.get("/healthz")).json() == {"status": "ok"}
    ready = await bridge.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "writer": "ok"}


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(
            {"type": "message_action", "callback_id": "raise_interrupt", "user": None}, id="no-message"
        ),
        pytest.param(
            {"type": "shortcut", "callback_id": "raise_interrupt", "user": {"id": "U0ALICE"}}, id="no-channel"
        ),
        pytest.param(
            {"type": "message_action", "callback_id": "raise_interrupt", "channel": "C0PLATSUP"},
            id="wrong-type",
        ),
    ],
)
async def test_signed_but_unreadable_interaction_is_a_clear_400(
    bridge: Bridge, payload: dict[str, object]
) -> None:
    """Found by tests/fuzz: these answered 503 (Slack would retry) with a traceback in the log."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    response = await bridge.client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("unreadable")
