"""The "Add a prevention note" button → a one-field modal → a durable `ticket.prevention_note` job.

The button sits under the message that asks a ticket's resolver what would prevent a repeat (see
`app.worker.jira_events`). Its value is a signed `TicketRef`; the modal carries a signed
`PreventionModalMeta`, so a submission cannot be pointed at another ticket or attributed to
someone else. The worker's handler (`app.worker.thread_sync`) writes the Jira comment and adds the
template's prevention label; the interrupt report counts tickets resolved without one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject, SectionBlock
from slack_sdk.models.views import View
from sqlalchemy import Connection, Engine

from app.domain.ports import Chat
from app.slack.ack import EMPTY_ACK, Ack, modal_errors
from app.slack.ids import ActionId, CallbackId
from app.slack.interaction_replies import action_channel, load_ticket, open_view_or_tell, tell_privately
from app.slack.metadata import PRIVATE_METADATA_MAX, Metadata, MetadataError, TicketRef, decode, encode
from app.store import jobs as job_store
from app.store import tickets as ticket_store
from app.store.group_commit import GroupCommitWriter

log = logging.getLogger(__name__)

PREVENTION_NOTE_JOB = "ticket.prevention_note"
"""= `SyncJobKind.PREVENTION_NOTE` (app.worker.sync_context; a test keeps them equal)."""
NOTE_BLOCK = "prevention_note"
NOTE_MAX = 3000
"""Slack's limit on a plain-text input."""
NOTE_MIN = 10
"""Shorter than this is rarely a note anyone can act on ("n/a", "fixed")."""


class PreventionModalMeta(Metadata):
    """Which ticket the prevention-note modal is about, and who opened it."""

    v: Literal[1] = 1
    kind: Literal["prevention_modal"] = "prevention_modal"
    ticket_id: str = Field(min_length=1, max_length=128)
    user: str = Field(pattern=r"^[UW][A-Z0-9]{2,}$")


def prevention_view(*, jira_key: str, private_metadata: str) -> dict[str, Any]:
    """The modal: one multi-line input, validated by `slack_sdk.models` before it is sent."""
    view = View(
        type="modal",
        callback_id=CallbackId.prevention_modal.value,
        title=PlainTextObject(text="Prevention note"),
        submit=PlainTextObject(text="Add to ticket"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=private_metadata,
        blocks=[
            SectionBlock(
                text=(
                    f"What would stop *{jira_key}* from happening again? A fix to the platform, a doc, "
                    "an alert, an FAQ entry... The note goes on the Jira ticket as a comment."
                )
            ),
            InputBlock(
                block_id=NOTE_BLOCK,
                label=PlainTextObject(text="Prevention note"),
                element=PlainTextInputElement(
                    action_id=ActionId.prevention_input.value,
                    multiline=True,
                    min_length=1,
                    max_length=NOTE_MAX,
                    placeholder=PlainTextObject(text="e.g. Alert on runner disk usage at 80 %"),
                ),
            ),
        ],
    )
    view.validate_json()
    return view.to_dict()


def note_errors(text: str) -> dict[str, str]:
    """Field errors for a submitted note (empty when it is acceptable)."""
    stripped = text.strip()
    if not stripped:
        return {NOTE_BLOCK: "Please write what would prevent a repeat."}
    if len(stripped) < NOTE_MIN:
        return {NOTE_BLOCK: f"Please say a little more (at least {NOTE_MIN} characters)."}
    if len(stripped) > NOTE_MAX:
        return {NOTE_BLOCK: f"Please keep the note under {NOTE_MAX} characters."}
    return {}


@dataclass(frozen=True)
class PreventionDeps:
    chat: Chat
    writer: GroupCommitWriter
    engine: Engine
    metadata_key: bytes
    clock: Callable[[], float] = time.time


class PreventionNotes:
    def __init__(self, deps: PreventionDeps) -> None:
        self._d = deps

    async def open(self, payload: Mapping[str, Any], value: str) -> None:
        """The button was clicked: open the modal for that ticket (or say privately why not)."""
        user = str((payload.get("user") or {}).get("id") or "")
        channel = action_channel(payload)
        try:
            ref = decode(value, TicketRef, key=self._d.metadata_key)
        except MetadataError as exc:
            await self._tell(channel, user, f"This button could not be verified: {exc}")
            return
        ticket = await asyncio.to_thread(load_ticket, self._d.engine, ref.ticket_id)
        if ticket is None or ticket.jira_key is None:
            await self._tell(channel, user, "That ticket is not known to the bridge any more.")
            return
        meta = encode(
            PreventionModalMeta(ticket_id=ticket.id, user=user),
            key=self._d.metadata_key,
            max_chars=PRIVATE_METADATA_MAX,
        )
        view = prevention_view(jira_key=ticket.jira_key, private_metadata=meta)
        await open_view_or_tell(
            self._d.chat, str(payload.get("trigger_id") or ""), view, user=user, channel=channel
        )

    async def submit(self, payload: Mapping[str, Any], *, dedupe_key: str, raw: str) -> Ack:
        """A submitted note: field errors inline, otherwise the job, recorded with the delivery."""
        view = payload.get("view") or {}
        user = str((payload.get("user") or {}).get("id") or "")
        try:
            raw_meta = str(view.get("private_metadata") or "")
            meta = decode(raw_meta, PreventionModalMeta, key=self._d.metadata_key)
        except MetadataError as exc:
            reason = f"This form could not be verified ({exc}). Please open it again."
            return modal_errors({NOTE_BLOCK: reason})
        if meta.user != user:
            return modal_errors({NOTE_BLOCK: "This form was opened by someone else. Please open your own."})
        text = _note_text(view)
        errors = note_errors(text)
        if errors:
            return modal_errors(errors)
        job = {"ticket_id": meta.ticket_id, "user": user, "text": text.strip()}
        now = self._d.clock()

        def unit(conn: Connection) -> None:
            if ticket_store.record_delivery(
                conn,
                dedupe_key=dedupe_key,
                kind="interaction:view_submission",
                body=raw,
                retry_num=0,
                now=now,
            ):
                job_store.enqueue(conn, PREVENTION_NOTE_JOB, job, now=now)

        await self._d.writer.submit(unit)
        return EMPTY_ACK

    async def _tell(self, channel: str, user: str, text: str) -> None:
        await tell_privately(self._d.chat, channel, user, text)


def _note_text(view: Mapping[str, Any]) -> str:
    values = ((view.get("state") or {}).get("values") or {}).get(NOTE_BLOCK) or {}
    element = values.get(ActionId.prevention_input.value) or {}
    value = element.get("value")
    return value if isinstance(value, str) else ""
