"""Slack `message` events for thread replies, edits and deletions, built on the shapes in
shared/specs/slack/payload-shapes when present (every field there, placeholders replaced), else here."""

from __future__ import annotations

import copy
import json
import time
import uuid
from functools import cache
from typing import Any

from tests.specs.shared_dir import shared_dir

# Fields of the shapes that a plain user message does not carry (or carries only when they apply).
_ABSENT_ON_USER_MESSAGES = (
    "bot_id",
    "bot_profile",
    "blocks",
    "attachments",
    "files",
    "metadata",
    "edited",
    "subtype",
)


@cache
def _shape(name: str) -> dict[str, Any] | None:
    root = shared_dir()
    path = root / "specs" / "slack" / "payload-shapes" / f"{name}.json" if root else None
    return json.loads(path.read_text()) if path is not None and path.is_file() else None


def envelope(event: dict[str, Any], shape: str = "MessagePayload") -> dict[str, Any]:
    """The event_callback around `event`, as the Events API delivers it."""
    base = copy.deepcopy(_shape(shape) or {})
    base.update(
        {
            "token": "verification-token",
            "team_id": "T0INTBRDG",
            "api_app_id": "A0INTBRDG",
            "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(time.time()),
            "event": event,
        }
    )
    for key in ("enterprise_id", "authed_teams", "event_context"):
        base.pop(key, None)
    return base


def _message(fields: dict[str, Any], *, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    shape = _shape("MessagePayload")
    base = copy.deepcopy(shape["event"]) if shape else {}
    for key in _ABSENT_ON_USER_MESSAGES:
        if key not in keep:
            base.pop(key, None)
    base.update(fields)
    return base


def reply(*, channel: str, thread_ts: str, ts: str, user: str, text: str) -> dict[str, Any]:
    """A user's reply in a thread (`message` without a subtype)."""
    return _message(
        {
            "type": "message",
            "client_msg_id": str(uuid.uuid4()),
            "team": "T0INTBRDG",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "parent_user_id": "U0ALICE",
            "event_ts": ts,
            "channel_type": "channel",
        }
    )


def from_posted(channel: str, message: dict[str, Any]) -> dict[str, Any]:
    """The event Slack sends for a message as the API returns it (a bot's post keeps bot_id and metadata)."""
    return _message(
        {
            **message,
            "type": "message",
            "channel": channel,
            "event_ts": message["ts"],
            "channel_type": "channel",
        },
        keep=("bot_id", "metadata", "blocks", "subtype"),
    )


def edited(*, channel: str, thread_ts: str, ts: str, user: str, text: str, old_text: str) -> dict[str, Any]:
    shape = _shape("MessageChangedPayload")
    event = copy.deepcopy(shape["event"]) if shape else {}
    edited_ts = f"{time.time():.6f}"
    message = {**reply(channel=channel, thread_ts=thread_ts, ts=ts, user=user, text=text)}
    message.pop("channel", None)
    message.pop("event_ts", None)
    message.pop("channel_type", None)
    previous = {**message, "text": old_text}
    event.update(
        {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": channel,
            "message": {**message, "edited": {"user": user, "ts": edited_ts}},
            "previous_message": previous,
            "event_ts": edited_ts,
            "ts": edited_ts,
            "channel_type": "channel",
        }
    )
    return event


def deleted(*, channel: str, thread_ts: str, ts: str, user: str, text: str) -> dict[str, Any]:
    shape = _shape("MessageDeletedPayload")
    event = copy.deepcopy(shape["event"]) if shape else {}
    now = f"{time.time():.6f}"
    previous = reply(channel=channel, thread_ts=thread_ts, ts=ts, user=user, text=text)
    for key in ("channel", "event_ts", "channel_type"):
        previous.pop(key, None)
    event.update(
        {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": channel,
            "deleted_ts": ts,
            "previous_message": previous,
            "event_ts": now,
            "ts": now,
            "channel_type": "channel",
        }
    )
    return event
