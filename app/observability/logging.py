"""JSON (or text) logs with structured keys, and secrets scrubbed from every line.

Structured keys follow the dotted names used across the code: `slack.event_id`, `slack.channel_id`,
`job.id`, `jira.key`, `ticket.id`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = (
                    value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
                )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = [
            f"{k}={v}" for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")
        ]
        return base + (" " + " ".join(extras) if extras else "")


class Redactor:
    """Replaces every configured secret value with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


# The process's secrets, set with its logging: error texts stored for operators (a job's
# last error) go through it as well as log lines.
_redactor = Redactor()


def redact(text: str) -> str:
    """`text` with every secret configured by `configure_logging` replaced by `***`."""
    return _redactor(text)


class RedactingFormatter(logging.Formatter):
    """Wraps a formatter and replaces every configured secret value with `***`."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        self._redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(self._inner.format(record))


def configure_logging(*, level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    global _redactor
    secrets = list(secrets)
    _redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    inner: logging.Formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    handler.setFormatter(RedactingFormatter(inner, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("urllib3", "slack_sdk", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


# Job payload fields that identify a delivery, ticket, issue or Slack object, and their log keys.
# Only ids: free text (`text`, `form`) never goes into a log line.
_JOB_ID_KEYS = {
    "ticket_id": "ticket.id",
    "delivery_id": "delivery.id",
    "delivery": "jira.webhook_id",
    "key": "jira.key",
    "jira_key": "jira.key",
    "comment_id": "jira.comment_id",
    "channel": "slack.channel_id",
    "ts": "slack.ts",
    "thread_ts": "slack.thread_ts",
    "user": "slack.user_id",
    "event_id": "slack.event_id",
    "team": "team",
}


def job_log_ids(payload: Mapping[str, Any]) -> dict[str, str | int]:
    """The ids in a job payload as structured log keys (`ticket.id`, `jira.key`, `slack.channel_id`...)."""
    found: dict[str, str | int] = {}
    for field, log_key in _JOB_ID_KEYS.items():
        value = payload.get(field)
        if isinstance(value, str | int) and not isinstance(value, bool):
            found[log_key] = value
    return found
