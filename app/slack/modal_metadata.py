"""The signed `private_metadata` of the intake modal: where the request came from and who raised it.

What the requester typed lives in the view's state, not here; this is only what the view cannot
show and the submission must not be able to change (the source message, the ticket being edited).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from app.slack.metadata import PRIVATE_METADATA_MAX, Metadata, decode, encode

IntakeSource = Literal["message", "global", "command", "dm", "edit", "private"]

_TS = r"^\d{1,12}\.\d{1,9}$"


class IntakeModalMeta(Metadata):
    """Context of one intake modal.

    `source` says what opened it: the message shortcut ("message", with `channel` and `message_ts`),
    the global shortcut, the slash command, a DM prompt, the "Ask privately" button under a DM answer
    ("private", with the DM as `channel` and the requester's message as `message_ts`), or the "Edit
    details" button ("edit", with `ticket_id`). `team` is set when the team is already known, so the
    modal shows no team select.
    """

    v: Literal[1] = 1
    kind: Literal["intake_modal"] = "intake_modal"
    source: IntakeSource
    requester: str = Field(pattern=r"^[UW][A-Z0-9]{2,}$")
    team: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    channel: str | None = Field(default=None, pattern=r"^[CGD][A-Z0-9]{2,}$")
    message_ts: str | None = Field(default=None, pattern=_TS)
    thread_ts: str | None = Field(default=None, pattern=_TS)
    ticket_id: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _source_has_its_context(self) -> IntakeModalMeta:
        if self.source in ("message", "private") and (self.channel is None or self.message_ts is None):
            raise ValueError("a modal raised from a message needs channel and message_ts")
        if self.source == "edit" and self.ticket_id is None:
            raise ValueError("an edit modal needs ticket_id")
        if self.thread_ts is not None and self.channel is None:
            raise ValueError("thread_ts needs channel")
        return self


def encode_intake_meta(meta: IntakeModalMeta, *, key: bytes) -> str:
    """Sign `meta` for a view's `private_metadata` (at most 3,000 characters)."""
    return encode(meta, key=key, max_chars=PRIVATE_METADATA_MAX)


def decode_intake_meta(raw: str, *, key: bytes) -> IntakeModalMeta:
    """Verify and parse a view's `private_metadata`; raises `MetadataError` (safe to show) otherwise."""
    return decode(raw, IntakeModalMeta, key=key)
