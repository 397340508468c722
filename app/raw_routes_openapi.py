"""The OpenAPI description of the two raw ASGI endpoints, which FastAPI cannot see.

`POST /slack/events` and `POST /jira/webhook` skip the framework (see app/slack/http.py), so
FastAPI's generated schema would leave them out. They are described here by hand, with every
status they can answer, so that `GET /openapi.json` is honest about every route and a schema
fuzzer (tests/fuzz) can reach them. tests/fuzz checks that the schema lists every route.
"""

from __future__ import annotations

from typing import Any

_ERROR = {
    "type": "object",
    "required": ["ok", "error"],
    "properties": {"ok": {"type": "boolean", "const": False}, "error": {"type": "string"}},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _header(name: str, description: str, *, required: bool) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "description": description,
            "schema": {"type": "string"}}  # fmt: skip


_SLACK_EVENT = {
    "type": "object",
    "description": "Events API envelope: `url_verification`, `event_callback`, `app_rate_limited`.",
    "required": ["type"],
    "properties": {
        "type": {"type": "string"},
        "challenge": {"type": "string"},
        "event_id": {"type": "string"},
        "team_id": {"type": "string"},
        "event": {"type": "object"},
    },
}
_SLACK_FORM = {
    "type": "object",
    "description": "Interactivity (`payload`: a JSON string) or a slash command (`command`, `text`, ...).",
    "properties": {
        "payload": {"type": "string"},
        "command": {"type": "string"},
        "text": {"type": "string"},
        "user_id": {"type": "string"},
        "channel_id": {"type": "string"},
        "trigger_id": {"type": "string"},
        "response_url": {"type": "string"},
    },
}

SLACK_EVENTS: dict[str, Any] = {
    "post": {
        "summary": "Slack Events API, interactivity and slash commands (one request URL)",
        "operationId": "slack_events",
        "description": "Signed by Slack (v0 HMAC-SHA256 over the raw body, 5-minute window). "
        "Recorded durably before the answer; bodies over 1 MiB are refused before they are read.",
        "parameters": [
            _header("X-Slack-Request-Timestamp", "Unix time the request was signed", required=True),
            _header("X-Slack-Signature", "`v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>`", required=True),
            _header("X-Slack-Retry-Num", "set by Slack on a redelivery", required=False),
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _SLACK_EVENT},
                "application/x-www-form-urlencoded": {"schema": _SLACK_FORM},
            },
        },
        "responses": {
            "200": {
                "description": "Acknowledged: empty, the `url_verification` challenge, a modal's "
                "`response_action`, or a private (ephemeral) answer to a slash command",
                "content": {
                    "text/plain": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}},
                },
            },
            "400": _error("Signed, but not a Slack delivery this service can read"),
            "401": _error("Missing or invalid signature, or a timestamp outside the 5-minute window"),
            "405": _error("Only POST"),
            "413": _error("Body larger than 1 MiB"),
            "503": _error("Could not be recorded; Slack will deliver it again"),
        },
    }
}

JIRA_WEBHOOK: dict[str, Any] = {
    "post": {
        "summary": "Jira admin webhook (issue updated, comment created/updated/deleted)",
        "operationId": "jira_webhook",
        "description": "Signed by Jira with the webhook's secret (`JIRA_WEBHOOK_SECRET`); "
        "deduplicated on `X-Atlassian-Webhook-Identifier`.",
        "parameters": [
            _header("X-Hub-Signature", "`sha256=` + hex HMAC-SHA256 of the raw body", required=True),
            _header("X-Atlassian-Webhook-Identifier", "stable across Jira's redeliveries", required=False),
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
            "200": {
                "description": "Recorded, a duplicate, or not about an issue the bridge tracks",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["ok", "outcome"],
                            "properties": {
                                "ok": {"type": "boolean", "const": True},
                                "outcome": {
                                    "type": "string",
                                    "enum": ["recorded", "duplicate", "untracked", "ignored"],
                                },
                            },
                        }
                    }
                },
            },
            "400": _error("Signed, but not a JSON object"),
            "401": _error("Missing or invalid X-Hub-Signature (or no secret configured)"),
            "405": _error("Only POST"),
            "413": _error("Body larger than 1 MiB"),
            "503": _error("Could not be recorded; Jira will deliver it again"),
        },
    }
}

RAW_PATHS: dict[str, dict[str, Any]] = {"/slack/events": SLACK_EVENTS, "/jira/webhook": JIRA_WEBHOOK}
