"""`interrupt-bridge demo`: post a message in the sandbox, react to it, show the ticket and reply.

Talks to a service started with `interrupt-bridge serve` in sandbox mode, and to that sandbox's
fake Slack and Jira on their loopback ports.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx

from app.cli.commands import CliError, load_settings
from app.sandbox.run import SANDBOX_JIRA_EMAIL, SANDBOX_JIRA_TOKEN, SANDBOX_SIGNING_SECRET

CHANNEL = "C0PLATSUP"
REQUESTER = "U0ALICE"
REACTOR = "U0BOB"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def reaction_event(*, channel: str, ts: str, user: str, emoji: str) -> dict[str, Any]:
    """A `reaction_added` delivery shaped like Slack's (see shared/fixtures/slack/reaction_added.json)."""
    now = time.time()
    return {
        "token": "demo",
        "team_id": "T0SANDBOX",
        "api_app_id": "A0SANDBOX",
        "event": {
            "type": "reaction_added",
            "user": user,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "reaction": emoji,
            "item_user": REQUESTER,
            "event_ts": f"{now:.6f}",
        },
        "type": "event_callback",
        "event_id": "Ev" + uuid.uuid4().hex[:12].upper(),
        "event_time": int(now),
    }


def demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.slack_configured or settings.jira_configured:
        raise CliError(
            "demo talks to the sandbox; unset the Slack/Jira credentials and start `serve` without them"
        )
    secret = (
        settings.slack_signing_secret.get_secret_value()
        if settings.slack_signing_secret
        else SANDBOX_SIGNING_SECRET
    )
    slack_url = f"http://127.0.0.1:{settings.sandbox_slack_port}"
    jira_url = f"http://127.0.0.1:{settings.sandbox_jira_port}"
    with httpx.Client(timeout=10) as http:
        try:
            posted = http.post(
                f"{slack_url}/_sandbox/messages",
                json={"channel": CHANNEL, "user": REQUESTER, "text": args.text},
            )
        except httpx.ConnectError:
            raise CliError(f"no sandbox Slack at {slack_url}: start `interrupt-bridge serve` first") from None
        posted.raise_for_status()
        ts = posted.json()["ts"]
        print(f"1. Alice posted in #platform-support (ts {ts}): {args.text!r}")

        body = json.dumps(reaction_event(channel=CHANNEL, ts=ts, user=REACTOR, emoji="ticket")).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": sign(secret, body, timestamp),
        }
        started = time.monotonic()
        try:
            acked = http.post(f"{args.url}/slack/events", content=body, headers=headers)
        except httpx.ConnectError:
            raise CliError(f"no service at {args.url}: start `interrupt-bridge serve` first") from None
        print(f"2. Bob reacted with :ticket: -> the service answered HTTP {acked.status_code}")
        if acked.status_code != 200:
            raise CliError(f"the service refused the delivery: {acked.text}")

        reply = _wait_for_reply(http, slack_url, ts, deadline=started + args.timeout)
        elapsed = time.monotonic() - started
        metadata = (reply.get("metadata") or {}).get("event_payload") or {}
        key = metadata.get("jira_key")
        print(f"3. The bot replied in the thread after {elapsed:.2f}s:\n   {reply.get('text')}")
        if key:
            issue = http.get(
                f"{jira_url}/rest/api/2/issue/{key}", auth=(SANDBOX_JIRA_EMAIL, SANDBOX_JIRA_TOKEN)
            ).json()
            fields = issue.get("fields", {})
            print(f"4. Jira issue {key}:")
            print(f"   summary  : {fields.get('summary')}")
            print(f"   type     : {(fields.get('issuetype') or {}).get('name')}")
            print(f"   priority : {(fields.get('priority') or {}).get('name')}")
            print(f"   labels   : {', '.join(fields.get('labels') or [])}")
            print(f"   reporter : {(fields.get('reporter') or {}).get('displayName')}")
    return 0


def _wait_for_reply(http: httpx.Client, slack_url: str, ts: str, *, deadline: float) -> dict[str, Any]:
    while time.monotonic() < deadline:
        channel = http.get(f"{slack_url}/_sandbox/channels/{CHANNEL}").json()
        for message in channel.get("messages", []):
            if message.get("ts") == ts:
                for reply in message.get("replies", []):
                    if reply.get("bot_id"):
                        return dict(reply)
        time.sleep(0.2)
    raise CliError("no reply in the thread yet; see `interrupt-bridge jobs list` and the service log")
