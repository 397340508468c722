"""Which Slack `message` events may be replies in a ticket's thread, for the Slack -> Jira sync.

Runs on the ack path, so it only reads the event: whether the thread belongs to a ticket is the
worker's question. Kept out: the bridge's own messages and any other bot's, messages carrying the
bridge's metadata (a Jira comment mirrored into Slack must not go back to Jira), thread parents,
unfurl-only `message_changed` events (no `edited`), and subtypes that are not someone writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.store.intake_batch import JobSpec

JOB_KIND = "thread.message"  # = SyncJobKind.THREAD_MESSAGE (app.worker.sync_context)
BRIDGE_METADATA_PREFIX = "interrupt_bridge"
_WRITTEN = frozenset({"", "thread_broadcast", "file_share", "me_message"})

Action = Literal["posted", "edited", "deleted"]


@dataclass(frozen=True)
class ThreadMessage:
    """A reply in a thread, as the worker needs it; `ts` identifies the reply, `thread_ts` its thread."""

    action: Action
    channel: str
    ts: str
    thread_ts: str
    user: str
    text: str
    edited_ts: str = ""

    def to_payload(self) -> dict[str, str]:
        return {
            "action": self.action,
            "channel": self.channel,
            "ts": self.ts,
            "thread_ts": self.thread_ts,
            "user": self.user,
            "text": self.text,
            "edited_ts": self.edited_ts,
        }

    @staticmethod
    def from_payload(payload: Mapping[str, Any]) -> ThreadMessage:
        action = payload["action"]
        if action not in ("posted", "edited", "deleted"):
            raise ValueError(f"unknown thread message action {action!r}")
        return ThreadMessage(
            action=action,
            channel=str(payload["channel"]),
            ts=str(payload["ts"]),
            thread_ts=str(payload["thread_ts"]),
            user=str(payload.get("user") or ""),
            text=str(payload.get("text") or ""),
            edited_ts=str(payload.get("edited_ts") or ""),
        )


def thread_message(event: Mapping[str, Any], *, bot_user_id: str | None) -> ThreadMessage | None:
    """The reply this `message` event posts, edits or deletes; None when the sync has nothing to do."""
    if event.get("type") != "message":
        return None
    subtype = str(event.get("subtype") or "")
    channel = event.get("channel")
    if not isinstance(channel, str) or not channel:
        return None
    if subtype == "message_changed":
        message = event.get("message")
        if not isinstance(message, Mapping):
            return None
        edited = message.get("edited")
        edited_ts = edited.get("ts") if isinstance(edited, Mapping) else None
        if not isinstance(edited_ts, str) or not edited_ts:
            return None  # Slack also sends message_changed for unfurls and reply counts
        return _reply(message, "edited", channel, bot_user_id, edited_ts=edited_ts)
    if subtype == "message_deleted":
        previous = event.get("previous_message")
        deleted_ts = event.get("deleted_ts")
        if not isinstance(previous, Mapping) or not isinstance(deleted_ts, str):
            return None
        return _reply({**previous, "ts": deleted_ts}, "deleted", channel, bot_user_id)
    if subtype not in _WRITTEN:
        return None
    return _reply(event, "posted", channel, bot_user_id)


def thread_message_job(event: Mapping[str, Any], *, bot_user_id: str | None, event_id: str) -> JobSpec | None:
    """The `thread.message` job for the dispatcher to enqueue with the delivery, or None."""
    found = thread_message(event, bot_user_id=bot_user_id)
    if found is None:
        return None
    return JobSpec(JOB_KIND, found.to_payload(), dedupe_key=f"{JOB_KIND}:{event_id}")


def _reply(
    message: Mapping[str, Any], action: Action, channel: str, bot_user_id: str | None, *, edited_ts: str = ""
) -> ThreadMessage | None:
    ts, thread_ts, user = message.get("ts"), message.get("thread_ts"), message.get("user")
    if (
        not isinstance(ts, str)
        or not ts
        or not isinstance(thread_ts, str)
        or not thread_ts
        or ts == thread_ts
    ):
        return None
    if message.get("bot_id") or message.get("subtype") == "bot_message" or message.get("app_id"):
        return None
    if not isinstance(user, str) or not user or user == bot_user_id:
        return None
    metadata = message.get("metadata")
    if isinstance(metadata, Mapping) and str(metadata.get("event_type") or "").startswith(
        BRIDGE_METADATA_PREFIX
    ):
        return None
    text = message.get("text")
    return ThreadMessage(
        action=action,
        channel=channel,
        ts=ts,
        thread_ts=thread_ts,
        user=user,
        text=text if isinstance(text, str) else "",
        edited_ts=edited_ts,
    )
