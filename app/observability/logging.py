"""JSON (or text) logs with structured keys, and secrets scrubbed from every line.

Structured keys follow the dotted names used across the code: `slack.event_id`, `slack.channel_id`,
`job.id`, `jira.key`, `ticket.id`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
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
