"""Job handlers that turn a tracked Slack message into a Jira ticket and a redirect reply.

Every handler is idempotent. The one non-idempotent call, Jira's create, is made exactly once:
the attempt is counted in the database before the call, and any later attempt first searches
Jira for the marker label the earlier attempt would have set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from app.config.template import Template
from app.domain.description import ThreadEntry, build_description
from app.domain.errors import PermanentError
from app.domain.intake import ticket_labels
from app.domain.models import ChatMessage, ChatUser, IssueRef, ReplyPost, TicketDraft, TicketForm, TrackerUser
from app.domain.private import is_private, private_draft
from app.domain.slack_text import mentioned_user_ids, summary_from_text, to_plain_text
from app.store import faq as faq_store
from app.store import jobs as job_store
from app.store import tickets as ticket_store
from app.store.jobs import Job
from app.store.tickets import Ticket
from app.worker.assign import AssignJobs
from app.worker.dm import DmJobs
from app.worker.edit import EditJobs
from app.worker.faq_jobs import FaqJobs
from app.worker.handoff import OnCallJobs
from app.worker.kinds import JobKind
from app.worker.private_notify import PrivateNoticeJobs
from app.worker.ticket_jobs import TicketJobBase

log = logging.getLogger(__name__)

REQUEST_METADATA_TYPE = "interrupt_bridge_request"


class IntakeJobs(TicketJobBase):
    """Creates tickets; `handlers()` also routes the follow-up kinds to `FollowUpJobs`."""

    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        follow_ups = EditJobs(self._ctx)
        return {
            JobKind.CREATE_TICKET: self.create_ticket,
            JobKind.LINK_TICKET: follow_ups.link_ticket,
            JobKind.POST_REDIRECT: follow_ups.post_redirect,
            JobKind.MARK_TRACKED: follow_ups.mark_tracked,
            JobKind.ALREADY_TRACKED: follow_ups.already_tracked,
            JobKind.EDIT_TICKET: follow_ups.edit_ticket,
            JobKind.ASSIGN_TICKET: AssignJobs(self._ctx).assign_ticket,
            JobKind.DM_REDIRECT: DmJobs(self._ctx).dm_redirect,
            JobKind.NOTIFY_PRIVATE: PrivateNoticeJobs(self._ctx).notify_oncall,
            **OnCallJobs(self._ctx).handlers(),  # handoffs and their operator alerts
            **FaqJobs(self._ctx).handlers(),  # resolve as answered by the FAQ, playbooks, proposals
        }

    # -- ticket.create -----------------------------------------------------------------------------
    async def create_ticket(self, job: Job) -> None:
        ticket = await self._load(job.payload["ticket_id"])
        if ticket.state == ticket_store.IGNORED:
            return
        if ticket.state == ticket_store.CREATED:
            await self._record_created(ticket, None)  # follow-ups may be missing after a crash
            return
        chat, tracker, template = self._ctx.chat, self._ctx.tracker, self._ctx.template()
        identity = await chat.bot_identity()
        if ticket.reactor_id is not None and ticket.reactor_id == identity.user_id:
            await self._ignore(ticket, "reaction added by the bridge itself")
            return
        form = TicketForm.from_json(ticket.form) if ticket.form else None
        if form is not None and ticket.message_ts.startswith(ticket_store.PENDING_MESSAGE_PREFIX):
            ticket = await self._post_request(ticket, form)
        try:
            thread = await chat.thread_of(ticket.channel_id, ticket.message_ts)
        except PermanentError as exc:
            await self._ignore(ticket, f"message unavailable: {exc}")
            return
        message = next((m for m in thread if m.ts == ticket.message_ts), None)
        if message is None:
            await self._ignore(ticket, "message not found (deleted?)")
            return
        if form is not None and ticket.requester_id:
            # Raised through the modal: the requester is whoever submitted it, whoever wrote the message.
            requester = await chat.user(ticket.requester_id)
        else:
            if message.is_from_bot or message.user is None:
                await self._ignore(ticket, "message posted by a bot")
                return
            requester = await chat.user(message.user)
            if requester.is_bot:
                await self._ignore(ticket, "message posted by a bot user")
                return

        if ticket.create_attempts > 0:
            found = await tracker.find_by_marker(ticket.marker)
            if found is not None:
                log.info(
                    "found issue from an earlier attempt",
                    extra={"jira.key": found.key, "ticket.id": ticket.id},
                )
                await self._record_created(
                    ticket,
                    found,
                    thread_ts=message.thread_root,
                    requester=requester.id,
                    request_text=_request_text(form, message),
                )
                return

        draft = await self._draft(ticket, template, message, thread, requester, form=form)
        await self._bump(ticket.id, "create_attempts")
        try:
            issue = await tracker.create_issue(draft)
        except PermanentError as exc:
            if draft.reporter is None or "reporter" not in exc.field_errors:
                raise
            # No permission to set the reporter (or the user cannot report): the bot reports and
            # the description names the requester. Safe to create again: Jira rejected the first.
            log.warning("reporter rejected; creating as the bridge", extra={"ticket.id": ticket.id})
            fallback = await self._draft(
                ticket, template, message, thread, requester, form=form, allow_reporter=False
            )
            issue = await tracker.create_issue(fallback)
        log.info(
            "ticket created",
            extra={
                "jira.key": issue.key,
                "ticket.id": ticket.id,
                "slack.channel_id": ticket.channel_id,
                "slack.ts": ticket.message_ts,
            },
        )
        await self._record_created(
            ticket,
            issue,
            thread_ts=message.thread_root,
            requester=requester.id,
            request_text=_request_text(form, message),
        )

    async def _post_request(self, ticket: Ticket, form: TicketForm) -> Ticket:
        """Post a request that has no source message in the team's channel, exactly once.

        Its thread becomes the ticket's thread. A retried post first looks for the earlier one by
        its message metadata.
        """
        chat = self._ctx.chat
        ts: str | None = None
        if ticket.request_post_attempts > 0:
            ts = await chat.find_channel_message(
                ticket.channel_id, REQUEST_METADATA_TYPE, "ticket_id", ticket.id
            )
        if ts is None:
            await self._bump(ticket.id, "request_post_attempts")
            text = f"<@{ticket.requester_id}> asked for help: *{form.summary}*"
            if form.description:
                text += "\n" + "\n".join(f"> {line}" for line in form.description.splitlines())
            ts = await chat.post_reply(
                ReplyPost(
                    channel=ticket.channel_id,
                    thread_ts=None,
                    text=text,
                    blocks=[],
                    metadata_type=REQUEST_METADATA_TYPE,
                    metadata={"ticket_id": ticket.id},
                )
            )
        await self._update(ticket.id, message_ts=ts, thread_ts=ts)
        return await self._load(ticket.id)

    async def _draft(
        self,
        ticket: Ticket,
        template: Template,
        message: ChatMessage,
        thread: list[ChatMessage],
        requester: ChatUser,
        *,
        form: TicketForm | None,
        allow_reporter: bool = True,
    ) -> TicketDraft:
        chat, tracker = self._ctx.chat, self._ctx.tracker
        team, bucket = template.team(ticket.team), template.bucket(ticket.bucket)
        context = thread if message.is_thread_reply else [message]
        names = await self._names(context, requester)
        permalink = await chat.permalink(ticket.channel_id, ticket.message_ts)
        channel_name = await chat.channel_name(ticket.channel_id)
        reporter: TrackerUser | None = None
        if allow_reporter and requester.email:
            reporter = await tracker.find_user_by_email(requester.email)
        reactor = await self._safe_name(ticket.reactor_id) if ticket.reactor_id else None
        text = to_plain_text(message.text, user_names=names)
        if form is not None:
            text = _form_text(form, original=text, template=template)
        entries = [
            ThreadEntry(
                author_name=names.get(m.user or "", m.user or "bot"),
                text=to_plain_text(m.text, user_names=names),
                posted_at=_ts_to_datetime(m.ts),
                is_reacted_message=m.ts == message.ts,
            )
            for m in context
            if float(m.ts) <= float(message.ts)
        ]
        description = build_description(
            message_text=text,
            thread=entries if message.is_thread_reply else [],
            requester_name=requester.display,
            requester_email=requester.email,
            reporter_is_requester=reporter is not None,
            channel_name=channel_name,
            posted_at=_ts_to_datetime(message.ts),
            permalink=permalink,
            bucket_name=bucket.name,
            reactor_name=reactor,
            source=ticket.source,
        )
        draft = TicketDraft(
            project=team.jira.project,
            issue_type=team.jira.issue_type,
            summary=summary_from_text(form.summary if form is not None else text),
            description=description,
            labels=ticket_labels(template, team, bucket, marker=ticket.marker),
            priority=ticket.priority,
            reporter=reporter,
            fields={**team.jira.fields, **bucket.fields, **(await self._form_fields(form))},
        )
        if is_private(ticket.source):
            return private_draft(template, draft, team=team.key, bucket=bucket.key)
        return draft

    async def _form_fields(self, form: TicketForm | None) -> dict[str, Any]:
        """The form's Jira fields, with user answers (Slack ids) turned into Jira users."""
        if form is None:
            return {}
        fields = dict(form.jira_fields)
        for jira_field, slack_user in form.user_fields.items():
            person = await self._ctx.chat.user(slack_user)
            found = await self._ctx.tracker.find_user_by_email(person.email) if person.email else None
            if found is None:
                log.warning("no Jira user for a form answer", extra={"jira.field": jira_field})
                continue
            fields[jira_field] = found.as_field()
        return fields

    async def _names(self, messages: list[ChatMessage], requester: ChatUser) -> dict[str, str]:
        ids: set[str] = set()
        for m in messages:
            ids |= mentioned_user_ids(m.text)
            if m.user:
                ids.add(m.user)
        ids.discard(requester.id)
        names = {requester.id: requester.display}
        for user_id in sorted(ids)[:50]:
            names[user_id] = await self._safe_name(user_id)
        return names

    async def _safe_name(self, user_id: str) -> str:
        try:
            return (await self._ctx.chat.user(user_id)).display
        except PermanentError:
            return user_id  # a deleted or foreign user: the id is the best we have

    async def _record_created(
        self,
        ticket: Ticket,
        issue: IssueRef | None,
        *,
        thread_ts: str | None = None,
        requester: str | None = None,
        request_text: str | None = None,
    ) -> None:
        """Record the key and enqueue the follow-ups in one transaction (follow-ups dedupe)."""
        now = self._ctx.clock()
        kinds = [JobKind.LINK_TICKET, JobKind.POST_REDIRECT, JobKind.MARK_TRACKED]
        team = next((t for t in self._ctx.template().teams if t.key == ticket.team), None)
        if team is not None and team.rotation is not None:
            kinds.append(JobKind.ASSIGN_TICKET)  # to whoever is on call
        if is_private(ticket.source):
            kinds.append(JobKind.NOTIFY_PRIVATE)  # the link, in the triage channel or by DM
        elif ticket.bucket in self._ctx.template().playbooks:
            kinds.append(JobKind.FAQ_PLAYBOOK)  # for the on-call person, in the thread (not a requester's DM)

        def write() -> None:
            with self._ctx.engine.begin() as conn:
                if issue is not None:
                    values: dict[str, object] = {
                        "state": ticket_store.CREATED,
                        "jira_key": issue.key,
                        "jira_url": issue.url,
                        "thread_ts": thread_ts,
                        "requester_id": requester,
                    }
                    ticket_store.update_ticket(conn, ticket.id, now=now, **values)
                if request_text:  # what the FAQ is matched against (and an FAQ candidate's question)
                    faq_store.remember_request(conn, ticket.id, request_text, now=now)
                for kind in kinds:
                    # Due since the ticket was requested: claims go by run_after, so under a burst
                    # this ticket's reply comes before creates of later requests, not after all of them.
                    job_store.enqueue(
                        conn,
                        kind,
                        {"ticket_id": ticket.id},
                        now=now,
                        run_after=min(now, ticket.created_at),
                        dedupe_key=f"{kind}:{ticket.id}",
                    )

        await asyncio.to_thread(write)


def _form_text(form: TicketForm, *, original: str, template: Template) -> str:
    """The description's quoted text for a modal request: the requester's words, then their answers."""
    parts = [form.description or original]
    if form.description and original and original not in form.description and original != form.summary:
        parts.append(f"Original message: {original}")
    answers = [
        f"{question.label}: {_option_label(question.options, answer)}"
        for question, answer in (
            (template.intake.impact, form.impact),
            (template.intake.urgency, form.urgency),
        )
        if answer
    ]
    return "\n\n".join([*parts, *answers])


def _request_text(form: TicketForm | None, message: ChatMessage) -> str:
    """What the requester asked: the form's summary and description, else the message."""
    if form is not None:
        return "\n".join(part for part in (form.summary, form.description or "") if part)
    return to_plain_text(message.text, user_names={})


def _option_label(options: Sequence[Any], key: str) -> str:
    return next((str(o.label) for o in options if o.key == key), key)


def _ts_to_datetime(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)
