"""`ticket.private_notify`: tell the on-call person that a private request came in, with its link only.

In the team's triage channel (`private.triage_channels`, else `sla.triage_channels`) mentioning the
lead and the shadow, or else by DM to the lead. Never the request's text, summary or requester: the
triage channel may be seen by more people than the requester chose. A channel post is found again by
its message metadata after an ambiguous failure; a DM cannot be (its channel id is only known from
a successful post), so a DM whose post failed ambiguously is sent again: at least once, never lost.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from app.domain.models import ReplyPost
from app.domain.oncall import RotationNotStarted
from app.domain.private import oncall_notice_text, triage_channel
from app.store.jobs import Job
from app.store.tickets import Ticket
from app.worker.oncall_people import OnCallPerson, resolve_oncall, slack_member
from app.worker.ticket_jobs import TicketJobBase

log = logging.getLogger(__name__)

PRIVATE_NOTICE_METADATA_TYPE = "interrupt_bridge_private_notice"


class PrivateNoticeJobs(TicketJobBase):
    async def notify_oncall(self, job: Job) -> None:
        ticket = await self._created(job)
        template = self._ctx.template()
        team = template.team(ticket.team)
        oncall = await self._oncall(ticket)
        channel = triage_channel(template, team.key)
        mentions = await self._mentions(oncall) if channel is not None else ""
        text = oncall_notice_text(
            ticket_key=str(ticket.jira_key),
            ticket_url=str(ticket.jira_url or self._ctx.tracker.browse_url(str(ticket.jira_key))),
            team_name=team.name,
            bucket_name=template.bucket(ticket.bucket).name,
            priority=ticket.priority,
            mentions=mentions,
        )
        chat = self._ctx.chat
        if channel is not None:
            if job.attempts > 1 and await chat.find_channel_message(
                channel, PRIVATE_NOTICE_METADATA_TYPE, "ticket_id", ticket.id
            ):
                return
            post = ReplyPost(
                channel=channel,
                thread_ts=None,
                text=text,
                blocks=[],
                metadata_type=PRIVATE_NOTICE_METADATA_TYPE,
                metadata={"ticket_id": ticket.id},
            )
            await chat.post_reply(post)
            return
        if oncall is None:
            log.warning(
                "nobody to tell of a private request: no triage channel and nobody on call",
                extra={"ticket.id": ticket.id, "jira.key": ticket.jira_key},
            )
            return
        await chat.post_dm(oncall.user.id, text)

    async def _oncall(self, ticket: Ticket) -> OnCallPerson | None:
        rotation = self._ctx.template().team(ticket.team).rotation
        if rotation is None:
            return None
        try:
            return await resolve_oncall(
                self._ctx.chat, rotation, datetime.fromtimestamp(ticket.created_at, UTC)
            )
        except RotationNotStarted:
            return None

    async def _mentions(self, oncall: OnCallPerson | None) -> str:
        if oncall is None:
            return ""
        people = [f"<@{oncall.user.id}>"]
        shadow = oncall.shift.shadow
        if shadow is not None and shadow != oncall.member:
            user = await slack_member(self._ctx.chat, shadow)
            if user is not None and user.id != oncall.user.id:
                people.append(f"<@{user.id}>")
        return " ".join(people)
