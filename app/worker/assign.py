"""`ticket.assign`: a new ticket goes to whoever was on call when it was raised.

Slack user → email → Jira user (the tracker caches that look-up, misses included, for an hour).
Without a matching Jira account the ticket stays unassigned and the thread says so, once. Setting
the same assignee twice is harmless, so a retry simply assigns again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from app.domain.errors import NotReadyError
from app.domain.models import ReplyPost, TicketForm, TrackerUser
from app.domain.oncall import RotationNotStarted
from app.store.jobs import Job
from app.store.tickets import Ticket
from app.worker.oncall_people import OnCallPerson, resolve_oncall, slack_member
from app.worker.ticket_jobs import TicketJobBase

log = logging.getLogger(__name__)

UNASSIGNED_METADATA_TYPE = "interrupt_bridge_unassigned"
# The note reads best under the redirect reply; waiting for it is bounded so a reply that never
# comes (dead-lettered) does not hold the note back for ever.
_WAIT_FOR_REPLY_ATTEMPTS = 10


class AssignJobs(TicketJobBase):
    async def assign_ticket(self, job: Job) -> None:
        ticket = await self._created(job)
        template = self._ctx.template()
        team = template.team(ticket.team)
        if team.rotation is None:
            return
        try:
            oncall = await resolve_oncall(
                self._ctx.chat, team.rotation, datetime.fromtimestamp(ticket.created_at, UTC)
            )
        except RotationNotStarted:
            return
        if oncall is None:  # nobody in the rotation is in Slack; the handoff raises the alert
            return
        await self._watch_by_shadow(ticket, oncall)
        if _assignee_chosen(ticket, team.jira.fields, template.bucket(ticket.bucket).fields):
            return
        found = await self._jira_user(oncall)
        if found is not None:
            await self._ctx.tracker.assign_issue(str(ticket.jira_key), found)
            return
        if ticket.reply_ts is None and job.attempts < _WAIT_FOR_REPLY_ATTEMPTS:
            raise NotReadyError("waiting for the redirect reply before the unassigned note", delay_s=2.0)
        await self._note_unassigned(job, ticket, oncall)

    async def _jira_user(self, oncall: OnCallPerson) -> TrackerUser | None:
        email = oncall.user.email or (oncall.member if "@" in oncall.member else None)
        if email is None:
            return None
        return await self._ctx.tracker.find_user_by_email(email)

    async def _watch_by_shadow(self, ticket: Ticket, oncall: OnCallPerson) -> None:
        """The shift's shadow (or reverse shadow) watches the ticket the lead is assigned.

        Adding a watcher twice is harmless, so a retry adds again. A shadow without a Jira account
        (or gone from Slack) is logged and skipped: the lead's assignment matters more.
        """
        member = oncall.shift.shadow
        if member is None or member == oncall.member:
            return
        user = await slack_member(self._ctx.chat, member)
        email = user.email if user is not None and user.email else (member if "@" in member else None)
        found = await self._ctx.tracker.find_user_by_email(email) if email is not None else None
        if found is None:
            log.warning(
                "no Jira account for the shadow; not added as a watcher",
                extra={"oncall.member": member, "jira.key": ticket.jira_key},
            )
            return
        await self._ctx.tracker.add_watcher(str(ticket.jira_key), found)

    async def _note_unassigned(self, job: Job, ticket: Ticket, oncall: OnCallPerson) -> None:
        chat = self._ctx.chat
        thread_ts = ticket.thread_ts or ticket.message_ts
        if job.attempts > 1 and await chat.find_reply(
            ticket.channel_id, thread_ts, UNASSIGNED_METADATA_TYPE, "ticket_id", ticket.id
        ):
            return
        who = f"<@{oncall.user.id}>"
        text = f"No Jira account matches {who}, who is on call; {ticket.jira_key} is left unassigned."
        await chat.post_reply(
            ReplyPost(
                channel=ticket.channel_id,
                thread_ts=thread_ts,
                text=text,
                blocks=[],
                metadata_type=UNASSIGNED_METADATA_TYPE,
                metadata={"ticket_id": ticket.id},
            )
        )


def _assignee_chosen(ticket: Ticket, *field_sets: dict[str, object]) -> bool:
    """Whether the template or the requester's form already sets the assignee: theirs wins."""
    if any("assignee" in fields for fields in field_sets):
        return True
    if ticket.form:
        form = TicketForm.from_json(ticket.form)
        return "assignee" in form.jira_fields or "assignee" in form.user_fields
    return False
