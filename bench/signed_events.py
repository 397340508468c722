"""Signed Slack `reaction_added` deliveries for the ack-path benchmark.

Every delivery gets its own `event_id` and its own message `item.ts`, so a deduplicating server
(interrupt-bridge) does real work for each one instead of short-circuiting on a repeat. Bodies are
rendered from one pre-compiled `%`-template and signed with a pre-keyed HMAC, which keeps building
200k deliveries well under a second.
"""

import copy
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHARED_ENV = "INTERRUPT_BRIDGE_SHARED"
FIXTURE_RELPATH = Path("fixtures/slack/reaction_added.json")

CHANNEL = "C0PLATSUP"
REACTION = "ticket"
USER = "U0ALICE"

# Used only when the shared fixtures are not available: the documented event_callback envelope
# with bench-specific values.
_INLINE_PAYLOAD: dict[str, Any] = {
    "token": "bench-verification-token",
    "team_id": "T0BENCH01",
    "api_app_id": "A0BENCH01",
    "event": {
        "type": "reaction_added",
        "user": USER,
        "item": {"type": "message", "channel": CHANNEL, "ts": "0.0"},
        "reaction": REACTION,
        "item_user": "U0BOB",
        "event_ts": "0.0",
    },
    "type": "event_callback",
    "authorizations": [
        {"enterprise_id": None, "team_id": "T0BENCH01", "user_id": "U0BENCHBOT", "is_bot": True},
    ],
    "event_id": "Ev0",
    "event_context": "EC0BENCH",
    "event_time": 0,
}

# Sentinels are swapped for %-placeholders after json.dumps so the per-delivery work is one
# string interpolation instead of a dict copy plus a JSON encode.
_SENTINELS: dict[str, str] = {
    '"__EVENT_ID__"': '"%(event_id)s"',
    '"__ITEM_TS__"': '"%(item_ts)s"',
    '"__EVENT_TS__"': '"%(event_ts)s"',
    '"__EVENT_TIME__"': "%(event_time)d",
}


@dataclass(frozen=True)
class SignedDelivery:
    """One ready-to-send delivery: the raw body and its two Slack signature headers."""

    timestamp: str
    signature: str
    body: str
    event_id: str

    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": self.timestamp,
            "X-Slack-Signature": self.signature,
        }


def shared_dir() -> Path:
    """The shared specs/fixtures directory: $INTERRUPT_BRIDGE_SHARED or `<repo>/../shared`."""
    env = os.environ.get(SHARED_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared"


def load_base_payload() -> tuple[dict[str, Any], str]:
    """The reaction_added envelope to start from, and where it came from."""
    fixture = shared_dir() / FIXTURE_RELPATH
    if fixture.is_file():
        return json.loads(fixture.read_text()), str(fixture)
    return copy.deepcopy(_INLINE_PAYLOAD), "inline template (shared fixtures not found)"


def compile_template(payload: dict[str, Any]) -> str:
    """Turn an event_callback payload into a compact JSON `%`-template for distinct deliveries."""
    p = copy.deepcopy(payload)
    event = p.setdefault("event", {})
    event["type"] = "reaction_added"
    event["user"] = USER
    event["reaction"] = REACTION
    event["item"] = {"type": "message", "channel": CHANNEL, "ts": "__ITEM_TS__"}
    event["event_ts"] = "__EVENT_TS__"
    p["type"] = "event_callback"
    p["event_id"] = "__EVENT_ID__"
    p["event_time"] = "__EVENT_TIME__"
    # Compact separators: what Slack sends, and fewer bytes for wrk to hold in memory.
    text = json.dumps(p, separators=(",", ":"), ensure_ascii=False).replace("%", "%%")
    for sentinel, placeholder in _SENTINELS.items():
        if text.count(sentinel) != 1:
            raise ValueError(f"template sentinel {sentinel} must occur exactly once")
        text = text.replace(sentinel, placeholder)
    if "\t" in text or "\n" in text:
        # The wrk data file is tab/newline separated.
        raise ValueError("template must not contain raw tabs or newlines")
    return text


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack v0 signature: `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{body}`)."""
    mac = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return "v0=" + mac.hexdigest()


@dataclass
class DeliveryFactory:
    """Hands out never-repeating signed deliveries.

    `run_tag` is random per factory so that runs against a persistent database (PostgreSQL)
    never reuse an event_id; `base_ts` anchors message timestamps an hour in the past.
    """

    secret: str
    template: str
    run_tag: str = field(default_factory=lambda: secrets.token_hex(3).upper())
    base_ts: int = field(default_factory=lambda: int(time.time()) - 3600)
    issued: int = 0

    def new_tag(self) -> str:
        """Switch to a fresh random event_id prefix (the index keeps counting, so item.ts stays unique)."""
        self.run_tag = secrets.token_hex(3).upper()
        return self.run_tag

    def take(self, count: int) -> Iterator[SignedDelivery]:
        """Yield `count` new deliveries, all stamped with the current time."""
        now = int(time.time())
        timestamp = str(now)
        prefix = hmac.new(self.secret.encode(), f"v0:{timestamp}:".encode(), hashlib.sha256)
        start = self.issued
        self.issued += count
        for i in range(start, start + count):
            event_id = f"Ev{self.run_tag}{i:08d}"
            body = self.template % {
                "event_id": event_id,
                "item_ts": f"{self.base_ts + i // 1_000_000}.{i % 1_000_000:06d}",
                "event_ts": f"{now}.{i % 1_000_000:06d}",
                "event_time": now,
            }
            mac = prefix.copy()
            mac.update(body.encode())
            yield SignedDelivery(timestamp, "v0=" + mac.hexdigest(), body, event_id)

    def write_file(self, path: Path, count: int) -> int:
        """Write `count` deliveries as `timestamp<TAB>signature<TAB>body` lines (the wrk Lua input)."""
        chunk: list[str] = []
        with path.open("w", encoding="utf-8") as fh:
            for d in self.take(count):
                chunk.append(f"{d.timestamp}\t{d.signature}\t{d.body}\n")
                if len(chunk) >= 10_000:
                    fh.writelines(chunk)
                    chunk.clear()
            fh.writelines(chunk)
        return count
