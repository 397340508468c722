"""`ticket.edit`: apply an "Edit details" submission to the Jira issue and the redirect reply."""

from __future__ import annotations

from app.domain.errors import NotReadyError
from app.domain.models import IssueUpdate, TicketForm
from app.domain.private import is_private
from app.store import tickets as ticket_store
from app.store.jobs import Job
from app.worker.follow_ups import FollowUpJobs


class EditJobs(FollowUpJobs):
    async def edit_ticket(self, job: Job) -> None:
        """Idempotent: running it again sets the same fields, labels and message."""
        payload = job.payload
        ticket = await self._load(payload["ticket_id"])
        if ticket.state != ticket_store.CREATED or ticket.jira_key is None:
            raise NotReadyError("the ticket is still being created")
        template = self._ctx.template()
        form = TicketForm.from_json(payload["form"])
        old, new = template.bucket(ticket.bucket), template.bucket(payload["bucket"])
        old_labels = {f"bucket-{old.key}", *old.labels}
        new_labels = {f"bucket-{new.key}", *new.labels}
        fields = {**new.fields, **form.jira_fields}
        level = template.private.security_field(ticket.team, new.key) if is_private(ticket.source) else None
        if level is not None:  # a private ticket moved to another bucket takes that bucket's level
            fields["security"] = level
        await self._ctx.tracker.update_issue(
            IssueUpdate(
                key=ticket.jira_key,
                summary=form.summary,
                priority=payload["priority"],
                add_labels=tuple(sorted(new_labels - old_labels)),
                remove_labels=tuple(sorted(old_labels - new_labels)),
                fields=fields,
            )
        )
        await self._update(ticket.id, bucket=new.key, priority=payload["priority"], form=form.to_json())
        ticket = await self._load(ticket.id)
        if ticket.reply_ts is not None:
            post = await self._redirect_post(ticket, ticket.thread_ts or ticket.message_ts)
            await self._ctx.chat.update_message(
                ticket.channel_id, ticket.reply_ts, text=post.text, blocks=post.blocks
            )
