"""Slack deliveries for tests, built on the real payloads in shared/fixtures when present.

Without the shared directory (a user's fresh clone) the same shapes are built here, so behaviour
tests never depend on it; only spec checks do.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import uuid
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tests.specs.shared_dir import shared_dir

SIGNING_SECRET = "test-signing-secret-8f2b"


@cache
def _fixture(name: str) -> str | None:
    root = shared_dir()
    path = root / "fixtures" / "slack" / name if root else None
    return path.read_text() if path is not None and path.is_file() else None


def _reaction_base() -> dict[str, Any]:
    raw = _fixture("reaction_added.json")
    if raw is not None:
        return dict(json.loads(raw))
    return {
        "token": "verification-token",
        "team_id": "T0SANDBOX",
        "api_app_id": "A0SANDBOX",
        "event": {
            "type": "reaction_added",
            "user": "U0BOB",
            "item": {"type": "message", "channel": "C0PLATSUP", "ts": "1.000001"},
            "reaction": "ticket",
            "item_user": "U0ALICE",
            "event_ts": "1.000002",
        },
        "type": "event_callback",
        "authorizations": [{"team_id": "T0SANDBOX", "user_id": "UBOT", "is_bot": True}],
        "event_id": "Ev0000000000",
        "event_context": "EC0000000000",
        "event_time": 1,
    }


def reaction_added(
    *, channel: str, ts: str, user: str = "U0BOB", reaction: str = "ticket", event_id: str | None = None
) -> dict[str, Any]:
    body = copy.deepcopy(_reaction_base())
    body["event"]["user"] = user
    body["event"]["item"] = {"type": "message", "channel": channel, "ts": ts}
    body["event"]["reaction"] = reaction
    body["event"]["event_ts"] = f"{time.time():.6f}"
    body["event_id"] = event_id or "Ev" + uuid.uuid4().hex[:10].upper()
    body["event_time"] = int(time.time())
    return body


def url_verification() -> dict[str, Any]:
    raw = _fixture("url_verification.json")
    if raw is not None:
        return dict(json.loads(raw))
    return {
        "token": "verification-token",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALW",
        "type": "url_verification",
    }


def slash_command_form(**overrides: str) -> bytes:
    raw = _fixture("slash_command.form")
    fields = (
        dict(parse_qsl(raw.strip(), keep_blank_values=True))
        if raw
        else {
            "token": "verification-token",
            "team_id": "T0SANDBOX",
            "channel_id": "C0PLATSUP",
            "user_id": "U0ALICE",
            "command": "/interrupt",
            "text": "",
            "response_url": "https://hooks.slack.com/commands/T0SANDBOX/1/x",
            "trigger_id": "1.1.x",
        }
    )
    fields.update(overrides)
    return urlencode(fields).encode()


def sign(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), b"v0:" + str(ts).encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def signed_json(payload: dict[str, Any], **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", **sign(body, **kwargs)}
