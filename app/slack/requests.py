"""Turn a verified raw Slack delivery into one typed request.

Slack sends three kinds to one URL, as Bolt accepts them: Events API JSON, interactivity as a
`payload=<json>` form field, and slash commands as plain form fields.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson


class BadRequest(Exception):
    """The body is not a Slack delivery we can read; the message is safe to show the sender."""


@dataclass(frozen=True)
class UrlVerification:
    challenge: str


@dataclass(frozen=True)
class EventCallback:
    event_id: str
    team_id: str | None
    event: dict[str, Any]
    raw: bytes

    @property
    def event_type(self) -> str:
        return str(self.event.get("type", ""))


@dataclass(frozen=True)
class Interaction:
    payload: dict[str, Any]
    raw: bytes

    @property
    def type(self) -> str:
        return str(self.payload.get("type", ""))

    @property
    def dedupe_key(self) -> str:
        # Slack does not retry interactivity; identical bodies can only be a replay.
        return "interaction:" + hashlib.sha256(self.raw).hexdigest()[:40]


@dataclass(frozen=True)
class SlashCommand:
    fields: dict[str, str]
    raw: bytes

    @property
    def dedupe_key(self) -> str:
        return "command:" + hashlib.sha256(self.raw).hexdigest()[:40]


@dataclass(frozen=True)
class OtherEnvelope:
    """A JSON envelope we do not handle (app_rate_limited, future types): acknowledged, recorded."""

    type: str
    raw: bytes


SlackRequest = UrlVerification | EventCallback | Interaction | SlashCommand | OtherEnvelope


def parse_request(body: bytes, content_type: str) -> SlackRequest:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        return _parse_json(body)
    if media_type == "application/x-www-form-urlencoded":
        return _parse_form(body)
    raise BadRequest(f"unsupported content type {media_type or '(none)'!r}; Slack sends JSON or form data")


def _parse_json(body: bytes) -> SlackRequest:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    kind = data.get("type")
    if kind == "url_verification":
        challenge = data.get("challenge")
        if not isinstance(challenge, str):
            raise BadRequest("url_verification without a challenge string")
        return UrlVerification(challenge)
    if kind == "event_callback":
        event = data.get("event")
        event_id = data.get("event_id")
        if not isinstance(event, dict) or not isinstance(event_id, str) or not event_id:
            raise BadRequest("event_callback needs an `event` object and an `event_id` string")
        team_id = data.get("team_id")
        return EventCallback(event_id, team_id if isinstance(team_id, str) else None, event, body)
    if not isinstance(kind, str):
        raise BadRequest("JSON body has no `type`")
    return OtherEnvelope(kind, body)


def _parse_form(body: bytes) -> SlackRequest:
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("form body is not valid URL-encoded UTF-8") from None
    fields = {key: values[-1] for key, values in form.items()}
    if "payload" in fields:
        try:
            payload = orjson.loads(fields["payload"])
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"`payload` is not valid JSON: {exc}") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            raise BadRequest("`payload` must be a JSON object with a `type`")
        return Interaction(payload, body)
    if "command" in fields:
        return SlashCommand(fields, body)
    raise BadRequest("form body is neither interactivity (`payload`) nor a slash command (`command`)")
