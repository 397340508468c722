"""Job handlers that turn a tracked Slack message into a Jira ticket and a redirect reply.

Every handler is idempotent. The one non-idempotent call, Jira's create, is made exactly once:
the attempt is counted in the database before the call, and any later attempt first searches
Jira for the marker label the earlier attempt would have set.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from app.config.template import Template
from app.domain.description import ThreadEntry, build_description
from app.domain.errors import NotReadyError, PermanentError
from app.domain.intake import ticket_labels
from app.domain.models import ChatMessage, ChatUser, IssueRef, ReplyPost, TicketDraft, TrackerUser
from app.domain.ports import Chat, Tracker
from app.domain.slack_text import mentioned_user_ids, summary_from_text, to_plain_text
from app.slack.blocks import redirect_blocks, redirect_fallback_text
from app.slack.metadata import TicketRef, encode
from app.store import jobs as job_store
from app.store import tickets as ticket_store
from app.store.jobs import Job
from app.store.tickets import Ticket
from app.worker.kinds import JobKind

log = logging.getLogger(__name__)

REPLY_METADATA_TYPE = "interrupt_bridge_ticket"


@dataclass
class IntakeContext:
    engine: Engine
    chat: Chat
    tracker: Tracker
    template: Callable[[], Template]
    metadata_key: bytes
    clock: Callable[[], float] = time.time


class IntakeJobs:
    def __init__(self, ctx: IntakeContext) -> None:
        self._ctx = ctx

    def handlers(self) -> dict[str, Callable[[Job], object]]:
        return {
            JobKind.CREATE_TICKET: self.create_ticket,
            JobKind.LINK_TICKET: self.link_ticket,
            JobKind.POST_REDIRECT: self.post_redirect,
            JobKind.MARK_TRACKED: self.mark_tracked,
            JobKind.ALREADY_TRACKED: self.already_tracked,
        }

    # -- database helpers (run in threads) ------------------------------------------------------
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
        try:
            thread = await chat.thread_of(ticket.channel_id, ticket.message_ts)
        except PermanentError as exc:
            await self._ignore(ticket, f"message unavailable: {exc}")
            return
        message = next((m for m in thread if m.ts == ticket.message_ts), None)
        if message is None:
            await self._ignore(ticket, "message not found (deleted?)")
            return
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
                    ticket, found, thread_ts=message.thread_root, requester=requester.id
                )
                return

        draft = await self._draft(ticket, template, message, thread, requester)
        await self._bump(ticket.id, "create_attempts")
        try:
            issue = await tracker.create_issue(draft)
        except PermanentError as exc:
            if draft.reporter is None or "reporter" not in exc.field_errors:
                raise
            # No permission to set the reporter (or the user cannot report): the bot reports and
            # the description names the requester. Safe to create again: Jira rejected the first.
            log.warning("reporter rejected; creating as the bridge", extra={"ticket.id": ticket.id})
            fallback = await self._draft(ticket, template, message, thread, requester, allow_reporter=False)
            issue = await tracker.create_issue(fallback)
        log.info(
            "ticket created",
            extra={"jira.key": issue.key, "ticket.id": ticket.id, "slack.channel_id": ticket.channel_id},
        )
        await self._record_created(ticket, issue, thread_ts=message.thread_root, requester=requester.id)

    async def _draft(
        self,
        ticket: Ticket,
        template: Template,
        message: ChatMessage,
        thread: list[ChatMessage],
        requester: ChatUser,
        *,
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
        return TicketDraft(
            project=team.jira.project,
            issue_type=team.jira.issue_type,
            summary=summary_from_text(text),
            description=description,
            labels=ticket_labels(template, team, bucket, marker=ticket.marker),
            priority=ticket.priority,
            reporter=reporter,
            fields={**team.jira.fields, **bucket.fields},
        )

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
    ) -> None:
        """Record the key and enqueue the follow-ups in one transaction (follow-ups dedupe)."""
        now = self._ctx.clock()

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
                for kind in (JobKind.LINK_TICKET, JobKind.POST_REDIRECT, JobKind.MARK_TRACKED):
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
        values = message_values(template, ticket, reactor_id=ticket.reactor_id)
        text = template.messages.redirect.format(**values)
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
        return ReplyPost(
            channel=ticket.channel_id,
            thread_ts=thread_ts,
            text=fallback,
            blocks=blocks,
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

    async def _created(self, job: Job) -> Ticket:
        ticket = await self._load(job.payload["ticket_id"])
        if ticket.state != ticket_store.CREATED or ticket.jira_key is None:
            raise PermanentError(f"ticket {ticket.id} has no Jira issue (state {ticket.state})")
        return ticket


def message_values(template: Template, ticket: Ticket, *, reactor_id: str | None) -> dict[str, str]:
    """The named placeholders the template's message texts may use (see `MESSAGE_PLACEHOLDERS`)."""
    return {
        "ticket_key": str(ticket.jira_key),
        "ticket_url": str(ticket.jira_url),
        "bucket": template.bucket(ticket.bucket).name,
        "priority": ticket.priority,
        "requester": f"<@{ticket.requester_id}>" if ticket.requester_id else "there",
        "channel": f"<#{ticket.channel_id}>",
        "team": template.team(ticket.team).name,
        "reactor": f"<@{reactor_id}>" if reactor_id else "",
    }


def _ts_to_datetime(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)
