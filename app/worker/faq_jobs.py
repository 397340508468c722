"""FAQ jobs: resolve a ticket answered by the FAQ, post a bucket's playbook, store a proposed answer.

- `faq.resolve`: "This solved it" was recorded (`faq_deflections`, once per ticket); the Jira issue
  moves to a done status and gets the `faq-deflected` label (both idempotent), then the redirect
  reply is refreshed to say so.
- `faq.playbook`: after a ticket is created in a bucket with a playbook, its link and summary are
  posted in the ticket's thread for the on-call person (found again by message metadata on retry).
- `faq.propose`: someone reacted with the candidate emoji (`:book:`) on a reply in a ticket's thread;
  the reply is stored as a proposed answer to the ticket's question.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection

from app.domain.errors import NotReadyError, PermanentError
from app.domain.faq import FAQ_DEFLECTED_LABEL
from app.domain.models import ReplyPost
from app.domain.oncall import RotationNotStarted
from app.domain.ports import IssueResolver
from app.domain.private import is_private
from app.domain.slack_text import mentioned_user_ids, to_plain_text
from app.slack.blocks import mrkdwn_escape
from app.slack.faq_blocks import FaqChoice, faq_answer_blocks, faq_resolved_blocks
from app.slack.metadata import encode
from app.store import faq as faq_store
from app.store import jobs as job_store
from app.store import sync as sync_store
from app.store.jobs import Job
from app.store.tickets import Ticket
from app.worker.kinds import JobKind
from app.worker.oncall_people import redirect_values, resolve_oncall
from app.worker.ticket_jobs import TicketJobBase

log = logging.getLogger(__name__)

DEFLECTED_LABEL = FAQ_DEFLECTED_LABEL
PLAYBOOK_METADATA_TYPE = "interrupt_bridge_playbook"
REFRESH_REDIRECT = "sla.redirect"  # = SyncJobKind.REFRESH_REDIRECT: shows the resolution in the reply


class FaqJobs(TicketJobBase):
    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {
            JobKind.FAQ_RESOLVE: self.resolve,
            JobKind.FAQ_PLAYBOOK: self.post_playbook,
            JobKind.FAQ_PROPOSE: self.propose,
        }

    # -- the redirect reply's FAQ part ------------------------------------------------------------
    async def redirect_blocks(self, ticket: Ticket) -> list[dict[str, Any]]:
        """Answers with "This solved it" / "Still need help", or the note that one solved it."""
        faq = self._ctx.faq
        if faq is None:
            return []
        version = faq.current()

        def load() -> tuple[str | None, dict[str, Any] | None]:
            with self._ctx.engine.connect() as conn:
                return faq_store.request_text(conn, ticket.id), faq_store.deflection(conn, ticket.id)

        text, deflected = await asyncio.to_thread(load)
        if deflected is not None:
            return faq_resolved_blocks(version.entry(str(deflected["entry_id"])), str(deflected["user_id"]))
        if not text:
            return []
        settings = version.settings
        matches = version.matcher.suggest(
            text,
            threshold=settings.threshold,
            limit=settings.max_answers,
            team=ticket.team,
            bucket=ticket.bucket,
        )
        key = self._ctx.metadata_key
        values = [encode(FaqChoice(ticket_id=ticket.id, entry_id=m.entry.id), key=key) for m in matches]
        return faq_answer_blocks(
            [m.entry for m in matches],
            solved_values=values,
            need_help_value=values[0] if values else None,
        )

    # -- faq.resolve -------------------------------------------------------------------------------
    async def resolve(self, job: Job) -> None:
        ticket = await self._created(job)
        if not hasattr(self._ctx.tracker, "resolve_issue"):
            raise PermanentError("the tracker cannot resolve issues")
        tracker = cast(IssueResolver, self._ctx.tracker)
        moved = await tracker.resolve_issue(str(ticket.jira_key), label=DEFLECTED_LABEL)
        log.info("ticket answered by the FAQ", extra={"jira.key": ticket.jira_key, "transitioned": moved})
        now = self._ctx.clock()

        def write() -> None:
            with self._ctx.engine.begin() as conn:
                faq_store.mark_resolved(conn, ticket.id, now=now)
                job_store.enqueue(
                    conn,
                    REFRESH_REDIRECT,
                    {"ticket_id": ticket.id},
                    now=now,
                    dedupe_key=f"{REFRESH_REDIRECT}:faq:{ticket.id}",
                )

        await asyncio.to_thread(write)

    # -- faq.playbook ------------------------------------------------------------------------------
    async def post_playbook(self, job: Job) -> None:
        ticket = await self._created(job)
        template = self._ctx.template()
        playbook = template.playbooks.get(ticket.bucket)
        if playbook is None:
            return
        chat, thread_ts = self._ctx.chat, ticket.thread_ts or ticket.message_ts
        if job.attempts > 1 and await chat.find_reply(
            ticket.channel_id, thread_ts, PLAYBOOK_METADATA_TYPE, "ticket_id", ticket.id
        ):
            return
        who = await self._oncall_mention(ticket)
        bucket = template.bucket(ticket.bucket).name
        text = (
            f":blue_book: {who}, playbook for *{mrkdwn_escape(bucket)}*: "
            f"<{mrkdwn_escape(playbook.url)}|open the playbook>\n{mrkdwn_escape(playbook.summary)}"
        )
        await chat.post_reply(
            ReplyPost(
                channel=ticket.channel_id,
                thread_ts=thread_ts,
                text=text,
                blocks=[],
                metadata_type=PLAYBOOK_METADATA_TYPE,
                metadata={"ticket_id": ticket.id},
            )
        )

    async def _oncall_mention(self, ticket: Ticket) -> str:
        template = self._ctx.template()
        rotation = template.team(ticket.team).rotation
        if rotation is not None:
            try:
                person = await resolve_oncall(
                    self._ctx.chat, rotation, datetime.fromtimestamp(ticket.created_at, UTC)
                )
            except RotationNotStarted:
                person = None
            if person is not None:
                return f"<@{person.user.id}>"
        values = await redirect_values(self._ctx.chat, template, ticket, now=self._ctx.clock())
        return values.get("oncall") or "On call"

    # -- faq.propose -------------------------------------------------------------------------------
    async def propose(self, job: Job) -> None:
        channel, ts, user = job.payload["channel"], job.payload["ts"], job.payload["user"]
        try:
            thread = await self._ctx.chat.thread_of(channel, ts)
        except PermanentError as exc:
            log.info("proposed answer unavailable", extra={"error": str(exc)})
            return
        reply = next((m for m in thread if m.ts == ts), None)
        if reply is None or not reply.is_thread_reply or reply.is_from_bot or reply.user is None:
            return  # only a person's reply in a thread can answer a ticket's question
        ticket = await asyncio.to_thread(self._ticket_of_thread, channel, str(reply.thread_ts))
        if ticket is None:
            return
        if is_private(ticket.source):
            # an FAQ answer is public, and a candidate shows the question: neither may leak
            log.info("no FAQ answer proposed from a private request", extra={"slack.ts": ts})
            return
        if ticket.jira_key is None:
            raise NotReadyError("the thread's ticket is still being created", delay_s=5.0)
        text = to_plain_text(reply.text, user_names=await self._names(reply.text))
        now = self._ctx.clock()

        def write() -> bool:
            with self._ctx.engine.begin() as conn:
                question = faq_store.request_text(conn, ticket.id) or str(ticket.jira_key)
                return faq_store.propose(
                    conn,
                    {
                        "ticket_id": ticket.id,
                        "channel_id": channel,
                        "reply_ts": ts,
                        "question": question,
                        "answer": text,
                        "answered_by": reply.user,
                        "proposed_by": user,
                        "team": ticket.team,
                        "bucket": ticket.bucket,
                        "jira_key": ticket.jira_key,
                        "created_at": now,
                    },
                )

        if await asyncio.to_thread(write):
            log.info("FAQ answer proposed", extra={"jira.key": ticket.jira_key, "slack.ts": ts})

    async def _names(self, text: str) -> dict[str, str]:
        names: dict[str, str] = {}
        for user_id in sorted(mentioned_user_ids(text))[:20]:
            try:
                names[user_id] = (await self._ctx.chat.user(user_id)).display
            except PermanentError:
                continue  # a deleted or foreign user: the id stays
        return names

    def _ticket_of_thread(self, channel: str, thread_ts: str) -> Ticket | None:
        with self._ctx.engine.connect() as conn:
            return _ticket_of_thread(conn, channel, thread_ts)


def _ticket_of_thread(conn: Connection, channel: str, thread_ts: str) -> Ticket | None:
    return sync_store.ticket_for_thread(conn, channel_id=channel, thread_ts=thread_ts)
