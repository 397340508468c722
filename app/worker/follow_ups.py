"""Follow-up jobs once a ticket exists: remote link, redirect reply, tracked reaction, "already tracked"."""

from __future__ import annotations

import asyncio

from app.domain.errors import NotReadyError
from app.domain.models import ReplyPost
from app.domain.private import is_private, private_answer_text
from app.slack.blocks import redirect_blocks, redirect_fallback_text
from app.slack.metadata import TicketRef, encode
from app.store import tickets as ticket_store
from app.store.jobs import Job
from app.store.tickets import Ticket
from app.worker.faq_jobs import FaqJobs
from app.worker.oncall_people import redirect_values
from app.worker.ticket_jobs import TicketJobBase, message_values

REPLY_METADATA_TYPE = "interrupt_bridge_ticket"


class FollowUpJobs(TicketJobBase):
    # -- follow-ups -----------------------------------------------------------------------------------
    async def link_ticket(self, job: Job) -> None:
        ticket = await self._created(job)
        permalink = await self._ctx.chat.permalink(ticket.channel_id, ticket.message_ts)
        await self._ctx.tracker.add_remote_link(
            str(ticket.jira_key), url=permalink, title="Slack thread", global_id=f"slack:{permalink}"
        )

    async def post_redirect(self, job: Job) -> None:
        ticket = await self._created(job)
        if ticket.reply_ts is not None:
            return
        thread_ts = ticket.thread_ts or ticket.message_ts
        if ticket.reply_attempts > 0:
            found = await self._ctx.chat.find_reply(
                ticket.channel_id, thread_ts, REPLY_METADATA_TYPE, "ticket_id", ticket.id
            )
            if found is not None:
                await self._update(ticket.id, reply_ts=found)
                return
        post = await self._redirect_post(ticket, thread_ts)
        await self._bump(ticket.id, "reply_attempts")
        reply_ts = await self._ctx.chat.post_reply(post)
        await self._update(ticket.id, reply_ts=reply_ts)

    async def _redirect_post(self, ticket: Ticket, thread_ts: str) -> ReplyPost:
        template = self._ctx.template()
        bucket = template.bucket(ticket.bucket)
        oncall = await redirect_values(self._ctx.chat, template, ticket, now=self._ctx.clock())
        values = message_values(template, ticket, reactor_id=ticket.reactor_id, oncall=oncall)
        text = template.messages.redirect.format(**values).strip()
        if is_private(ticket.source):  # no page, no channel talk: this is the requester's DM thread
            text = private_answer_text(
                ticket_key=values["ticket_key"],
                ticket_url=values["ticket_url"],
                team_name=template.team(ticket.team).name,
            )
        edit_value = encode(
            TicketRef(ticket_id=ticket.id, channel=ticket.channel_id, message_ts=ticket.message_ts),
            key=self._ctx.metadata_key,
        )
        blocks = redirect_blocks(
            text=text,
            ticket_key=values["ticket_key"],
            ticket_url=values["ticket_url"],
            bucket_name=bucket.name,
            priority=ticket.priority,
            edit_value=edit_value,
        )
        fallback = redirect_fallback_text(
            text=text, ticket_key=values["ticket_key"], ticket_url=values["ticket_url"]
        )
        # FAQ answers go last: the status line is placed before the first actions block (Edit details)
        faq_blocks = await FaqJobs(self._ctx).redirect_blocks(ticket)
        return ReplyPost(
            channel=ticket.channel_id,
            thread_ts=thread_ts,
            text=fallback,
            blocks=blocks + faq_blocks,
            metadata_type=REPLY_METADATA_TYPE,
            metadata={"ticket_id": ticket.id, "jira_key": values["ticket_key"]},
        )

    async def mark_tracked(self, job: Job) -> None:
        ticket = await self._created(job)
        reaction = self._ctx.template().defaults.tracked_reaction
        await self._ctx.chat.add_reaction(ticket.channel_id, ticket.message_ts, reaction)

    async def already_tracked(self, job: Job) -> None:
        payload = job.payload

        def load() -> Ticket | None:
            with self._ctx.engine.connect() as conn:
                return ticket_store.get_ticket_by_source(
                    conn, team=payload["team"], channel_id=payload["channel"], message_ts=payload["ts"]
                )

        ticket = await asyncio.to_thread(load)
        if ticket is None or ticket.state == ticket_store.IGNORED:
            return
        if ticket.state != ticket_store.CREATED:
            raise NotReadyError("the ticket is still being created", delay_s=2.0)
        template = self._ctx.template()
        values = message_values(template, ticket, reactor_id=payload["user"])
        text = template.messages.already_tracked.format(**values)
        await self._ctx.chat.post_ephemeral(ticket.channel_id, payload["user"], text, ticket.thread_ts)
