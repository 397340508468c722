"""The redirect reply with the ticket's Jira status and SLA clock ("first response due by ...").

`SlaRedirects` is `EditJobs` whose redirect post carries one more context block (block id `ib_sla`),
so the first post, an "Edit details" update and a refresh after a Jira event all show the same line.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from app.config.sla import SlaPolicy, policy_of
from app.config.template import Template
from app.domain.errors import RetryableError
from app.domain.models import ReplyPost
from app.domain.sla_text import status_line
from app.slack.blocks import trim_mrkdwn
from app.store import sla as sla_store
from app.store.jobs import Job
from app.store.tickets import Ticket
from app.worker.edit import EditJobs
from app.worker.sync_context import team_zone, ticket_clock
from app.worker.ticket_jobs import IntakeContext

SLA_BLOCK_ID = "ib_sla"


def with_status_block(blocks: list[dict[str, Any]], line: str | None) -> list[dict[str, Any]]:
    """`blocks` with the status line as a context block before the buttons (replacing an older one)."""
    kept = [block for block in blocks if block.get("block_id") != SLA_BLOCK_ID]
    if not line:
        return kept
    block = {
        "type": "context",
        "block_id": SLA_BLOCK_ID,
        "elements": [{"type": "mrkdwn", "text": trim_mrkdwn(line)}],
    }
    at = next((i for i, b in enumerate(kept) if b.get("type") == "actions"), len(kept))
    return [*kept[:at], block, *kept[at:]]


class SlaRedirects(EditJobs):
    def __init__(self, ctx: IntakeContext, *, sla: Callable[[Template], SlaPolicy] = policy_of) -> None:
        super().__init__(ctx)
        self._sla = sla

    async def _redirect_post(self, ticket: Ticket, thread_ts: str) -> ReplyPost:
        post = await super()._redirect_post(ticket, thread_ts)
        line = await self.status_line(ticket)
        return dataclasses.replace(post, blocks=with_status_block(post.blocks, line))

    async def status_line(self, ticket: Ticket) -> str | None:
        template = self._ctx.template()
        policy = self._sla(template)

        def load() -> sla_store.SlaState:
            with self._ctx.engine.connect() as conn:
                return sla_store.get_state(conn, ticket.id)

        state = await asyncio.to_thread(load)
        clock = ticket_clock(template, policy, ticket, state, now=self._ctx.clock())
        return status_line(clock, status=state.status, zone=team_zone(template, policy, ticket.team))

    async def refresh_redirect(self, job: Job) -> None:
        """`sla.redirect`: show the current status and clock in the redirect reply (idempotent)."""
        ticket = await self._created(job)
        if ticket.reply_ts is None:
            # Counted as a failure on purpose: if the reply is never posted, this gives up with it.
            raise RetryableError("the redirect reply is not posted yet")
        post = await self._redirect_post(ticket, ticket.thread_ts or ticket.message_ts)
        await self._ctx.chat.update_message(
            ticket.channel_id, ticket.reply_ts, text=post.text, blocks=post.blocks
        )
