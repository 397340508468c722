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


def _json_fixture(name: str) -> dict[str, Any] | None:
    raw = _fixture(name)
    return dict(json.loads(raw)) if raw is not None else None


def form_body(payload: dict[str, Any]) -> bytes:
    """Interactivity travels as a form with one `payload` field holding JSON."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def message_shortcut(
    *, channel: str, message: dict[str, Any], user: str, trigger_id: str = "111.222.valid"
) -> dict[str, Any]:
    body = _json_fixture("shortcut_message.json") or {
        "type": "message_action",
        "token": "verification-token",
        "action_ts": "1583637157.207593",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "user": {"id": user, "name": user.lower()},
        "channel": {"id": channel, "name": "support"},
        "callback_id": "x",
        "trigger_id": trigger_id,
        "message_ts": message["ts"],
        "message": message,
        "response_url": "https://hooks.slack.com/app/T0SANDBOX/1/x",
    }
    body = copy.deepcopy(body)
    body.update(
        {
            "callback_id": "raise_interrupt",
            "trigger_id": trigger_id,
            "message_ts": message["ts"],
            "message": message,
            "user": {"id": user, "name": user.lower()},
            "channel": {"id": channel, "name": "support"},
        }
    )
    return body


def global_shortcut(*, user: str, trigger_id: str = "111.333.valid") -> dict[str, Any]:
    body = copy.deepcopy(
        _json_fixture("shortcut_global.json")
        or {
            "type": "shortcut",
            "token": "verification-token",
            "action_ts": "1.1",
            "team": {"id": "T0SANDBOX"},
        }
    )
    body.update({"callback_id": "raise_interrupt_global", "trigger_id": trigger_id, "user": {"id": user}})
    return body


def block_actions(
    *,
    user: str,
    action_id: str,
    value: str | None = None,
    view: dict[str, Any] | None = None,
    channel: str | None = None,
    trigger_id: str = "111.444.valid",
) -> dict[str, Any]:
    body = copy.deepcopy(
        _json_fixture("block_actions.json")
        or {"type": "block_actions", "team": {"id": "T0SANDBOX"}, "api_app_id": "A0SANDBOX", "actions": [{}]}
    )
    body["user"] = {"id": user, "username": user.lower(), "team_id": "T0SANDBOX"}
    body["trigger_id"] = trigger_id
    action = {**body["actions"][0], "action_id": action_id, "block_id": "b", "action_ts": "1.2"}
    if value is not None:
        action["value"] = value
    body["actions"] = [action]
    if view is not None:
        body["view"] = view
        body["container"] = {"type": "view", "view_id": view.get("id")}
        body.pop("channel", None)
    if channel is not None:
        body["channel"] = {"id": channel, "name": "support"}
        body["container"] = {"type": "message", "channel_id": channel, "message_ts": "1.1"}
    return body


def view_submission(*, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    body = copy.deepcopy(
        _json_fixture("view_submission.json")
        or {"type": "view_submission", "team": {"id": "T0SANDBOX"}, "view": {}}
    )
    body["user"] = {"id": user, "username": user.lower(), "team_id": "T0SANDBOX"}
    body["view"] = {**body["view"], **view, "state": {"values": values}}
    return body
