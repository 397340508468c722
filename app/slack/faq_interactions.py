"""FAQ on the request path: "This solved it" / "Still need help" buttons and `/interrupt faq <question>`.

"This solved it" records a `faq_deflections` row and the `faq.resolve` job in the transaction that
records the click (the row's primary key makes a second click, or a second person's click, a no-op),
then tells the clicker privately what happened. Only the requester and the owning team may click it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from app.config.faq_source import FaqLibrary
from app.config.template import Template
from app.domain.intake import team_for_channel
from app.domain.ports import Chat
from app.slack.faq_blocks import FaqChoice, faq_command_text
from app.slack.interaction_replies import action_channel, load_ticket, tell_privately
from app.slack.metadata import MetadataError, decode
from app.store import faq as faq_store
from app.store import jobs as job_store
from app.store.group_commit import GroupCommitWriter
from app.worker.kinds import JobKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaqInteractions:
    faq: FaqLibrary
    template: Callable[[], Template]
    chat: Chat
    writer: GroupCommitWriter
    engine: Engine
    metadata_key: bytes
    clock: Callable[[], float]

    def answer(self, question: str, *, channel: str | None) -> str:
        """`/interrupt faq <question>`: the best entries (for the channel's team, if it has one)."""
        version = self.faq.current()
        team = team_for_channel(self.template(), channel) if channel else None
        matches = version.matcher.suggest(
            question,
            threshold=version.settings.threshold,
            limit=version.settings.max_answers,
            team=team.key if team is not None else None,
        )
        return faq_command_text([m.entry for m in matches], question)

    async def solved(self, payload: Mapping[str, Any], value: str) -> None:
        user, channel = _user_id(payload), action_channel(payload)
        try:
            choice = decode(value, FaqChoice, key=self.metadata_key)
        except MetadataError as exc:
            await self._tell(channel, user, f"This button could not be verified: {exc}")
            return
        ticket = await asyncio.to_thread(load_ticket, self.engine, choice.ticket_id)
        if ticket is None or ticket.jira_key is None:
            await self._tell(channel, user, "This ticket is not ready yet; try again shortly.")
            return
        team = self.template().team(ticket.team)
        if user != ticket.requester_id and user not in team.members:
            await self._tell(
                channel, user, f"Only the requester can mark {ticket.jira_key} as answered by the FAQ."
            )
            return
        now = self.clock()

        def unit(conn: Connection) -> bool:
            fresh = faq_store.claim_deflection(
                conn, ticket.id, entry_id=choice.entry_id, user_id=user, now=now
            )
            if fresh:
                job_store.enqueue(
                    conn,
                    JobKind.FAQ_RESOLVE,
                    {"ticket_id": ticket.id},
                    now=now,
                    dedupe_key=f"{JobKind.FAQ_RESOLVE}:{ticket.id}",
                )
            return fresh

        if await self.writer.submit(unit):
            text = f"Glad it helped! {ticket.jira_key} is being resolved as answered by the FAQ."
        else:
            text = f"{ticket.jira_key} is already marked as answered by the FAQ."
        await self._tell(channel, user, text, thread_ts=ticket.thread_ts or ticket.message_ts)

    async def need_help(self, payload: Mapping[str, Any], value: str) -> None:
        """Nothing changes: the ticket stays open for the on-call person; the clicker is told so."""
        user, channel = _user_id(payload), action_channel(payload)
        try:
            choice = decode(value, FaqChoice, key=self.metadata_key)
        except MetadataError:
            return
        ticket = await asyncio.to_thread(load_ticket, self.engine, choice.ticket_id)
        key = ticket.jira_key if ticket is not None and ticket.jira_key else "your ticket"
        await self._tell(channel, user, f"OK, {key} stays open and the on-call person will pick it up.")

    async def _tell(self, channel: str, user: str, text: str, *, thread_ts: str | None = None) -> None:
        await tell_privately(self.chat, channel, user, text, thread_ts=thread_ts)


def _user_id(payload: Mapping[str, Any]) -> str:
    return str((payload.get("user") or {}).get("id") or "")
