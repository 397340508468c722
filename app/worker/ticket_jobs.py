"""What the ticket job handlers share: their dependencies and small database steps."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from app.config.faq_source import FaqLibrary
from app.config.template import Template
from app.domain.errors import PermanentError
from app.domain.oncall_text import configured_placeholders
from app.domain.ports import Chat, Tracker
from app.store import tickets as ticket_store
from app.store.jobs import Job
from app.store.tickets import Ticket

log = logging.getLogger(__name__)


@dataclass
class IntakeContext:
    engine: Engine
    chat: Chat
    tracker: Tracker
    template: Callable[[], Template]
    metadata_key: bytes
    clock: Callable[[], float] = time.time
    faq: FaqLibrary | None = None
    """The FAQ in use (answers under the redirect reply); None: no FAQ part."""


class TicketJobBase:
    def __init__(self, ctx: IntakeContext) -> None:
        self._ctx = ctx

    async def _load(self, ticket_id: str) -> Ticket:
        def load() -> Ticket | None:
            with self._ctx.engine.connect() as conn:
                return ticket_store.get_ticket(conn, ticket_id)

        ticket = await asyncio.to_thread(load)
        if ticket is None:
            raise PermanentError(f"ticket {ticket_id} does not exist")
        return ticket

    async def _update(self, ticket_id: str, **values: object) -> None:
        def write() -> None:
            with self._ctx.engine.begin() as conn:
                ticket_store.update_ticket(conn, ticket_id, now=self._ctx.clock(), **values)

        await asyncio.to_thread(write)

    async def _bump(self, ticket_id: str, column: str) -> None:
        def write() -> None:
            with self._ctx.engine.begin() as conn:
                ticket_store.bump(conn, ticket_id, column, now=self._ctx.clock())

        await asyncio.to_thread(write)

    async def _ignore(self, ticket: Ticket, reason: str) -> None:
        log.info("not tracking message", extra={"ticket.id": ticket.id, "reason": reason})
        await self._update(ticket.id, state=ticket_store.IGNORED, ignored_reason=reason)

    async def _created(self, job: Job) -> Ticket:
        ticket = await self._load(job.payload["ticket_id"])
        if ticket.state != ticket_store.CREATED or ticket.jira_key is None:
            raise PermanentError(f"ticket {ticket.id} has no Jira issue (state {ticket.state})")
        return ticket


def message_values(
    template: Template,
    ticket: Ticket,
    *,
    reactor_id: str | None,
    oncall: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The named placeholders the template's message texts may use (see `MESSAGE_PLACEHOLDERS`).

    `oncall` holds `{oncall}` and `{support}` as the worker resolved them (`redirect_values`); without
    it they come from the template alone: the configured handle, and no support-hours note.
    """
    return {
        **(oncall if oncall is not None else configured_placeholders(template, ticket.team)),
        "ticket_key": str(ticket.jira_key),
        "ticket_url": str(ticket.jira_url),
        "bucket": template.bucket(ticket.bucket).name,
        "priority": ticket.priority,
        "requester": f"<@{ticket.requester_id}>" if ticket.requester_id else "there",
        "channel": f"<#{ticket.channel_id}>",
        "team": template.team(ticket.team).name,
        "reactor": f"<@{reactor_id}>" if reactor_id else "",
    }
