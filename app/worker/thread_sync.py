"""Slack -> Jira: replies in a ticket's thread become Jira comments; edits and deletions follow them.

`thread.message` carries one `ThreadMessage` (posted, edited or deleted; see app/slack/thread_events.py,
which already left out bots and the bridge's own posts). A reply by a member of the owning team is also
the ticket's first response. Each reply is paired with its Jira comment in `mirrored_comments`:

- posted: the pair is claimed, then the comment "<name> in Slack: text ([Slack message|permalink])" is
  added as the bridge's Jira account. A retry after an ambiguous failure first looks among the bridge's
  recent comments for the permalink, so the comment is added once.
- edited: the comment's text is replaced, unless a newer edit was applied already; an edit of a reply
  that has no comment yet is mirrored as a new reply with the edited text.
- deleted: the comment is deleted; a deletion that arrives before the reply was mirrored leaves a
  tombstone, so the late mirror adds nothing.

No echo: the comments are the bridge's own, and Jira comments by the bridge are never mirrored back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from sqlalchemy import Connection

from app.domain.description import wiki_escape
from app.domain.errors import NotReadyError, PermanentError, RetryableError
from app.domain.models import IssueUpdate
from app.domain.slack_text import mentioned_user_ids, to_plain_text
from app.slack.thread_events import ThreadMessage
from app.store import jobs as job_store
from app.store import sla as sla_store
from app.store import sync as sync_store
from app.store import tickets as ticket_store
from app.store.jobs import Job
from app.store.sync import Mirror
from app.store.tickets import Ticket
from app.worker.sync_context import SyncContext, SyncJobKind

log = logging.getLogger(__name__)

COMMENT_TEXT_MAX = 30_000  # Jira allows 32,767 UTF-16 units; leave room for the name and the link
_SAFE_LINK = re.compile(r"https?://[^\s\[\]{}|!<>\"\\]+")
_MENTIONS_RESOLVED = 20


class ThreadSyncJobs:
    def __init__(self, ctx: SyncContext) -> None:
        self._ctx = ctx

    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {
            SyncJobKind.THREAD_MESSAGE: self.mirror_thread_message,
            SyncJobKind.PREVENTION_NOTE: self.add_prevention_note,
        }

    async def mirror_thread_message(self, job: Job) -> None:
        message = ThreadMessage.from_payload(job.payload)
        ticket = await self._ctx.read(
            lambda conn: sync_store.ticket_for_thread(
                conn, channel_id=message.channel, thread_ts=message.thread_ts
            )
        )
        if ticket is not None and ticket.state == ticket_store.PENDING:
            raise RetryableError(f"ticket {ticket.id} of this thread is still being created")
        if ticket is None or ticket.jira_key is None:
            return  # not a tracked thread
        if message.action == "deleted":
            await self._deleted(ticket, message)
            return
        if message.action == "posted" and message.ts != ticket.message_ts:
            await self._first_response(ticket, message)
        if message.ts == ticket.message_ts or not self._ctx.options().mirror_slack_replies:
            return  # the tracked message itself is the ticket's description, not a comment
        await self._mirror(ticket, message)

    # -- first response ---------------------------------------------------------------------------
    async def _first_response(self, ticket: Ticket, message: ThreadMessage) -> None:
        if message.user == ticket.requester_id or not await self._is_team_member(ticket, message.user):
            return
        at = max(float(message.ts), ticket.created_at)
        by = await self._name(message.user)
        now = self._ctx.clock()

        def write(conn: Connection) -> None:
            if sla_store.record_first_response(conn, ticket.id, at=at, source="slack_reply", by=by, now=now):
                job_store.enqueue(
                    conn,
                    SyncJobKind.REFRESH_REDIRECT,
                    {"ticket_id": ticket.id},
                    now=now,
                    dedupe_key=f"{SyncJobKind.REFRESH_REDIRECT}:slack:{message.channel}:{message.ts}",
                )

        await self._ctx.write(write)

    async def _is_team_member(self, ticket: Ticket, user_id: str) -> bool:
        """Listed in the team's `members`, or a member of its rotation (by Slack id or email)."""
        team = next((t for t in self._ctx.template().teams if t.key == ticket.team), None)
        if team is None:
            return False
        rotation_members = team.rotation.members if team.rotation is not None else ()
        if user_id in team.members or user_id in rotation_members:
            return True
        emails = {m.lower() for m in rotation_members if "@" in m}
        if not emails:
            return False
        try:
            user = await self._ctx.intake.chat.user(user_id)
        except PermanentError:
            return False
        return user.email is not None and user.email.lower() in emails

    # -- posted and edited --------------------------------------------------------------------------
    async def _mirror(self, ticket: Ticket, message: ThreadMessage) -> None:
        now = self._ctx.clock()
        if _ts(message.ts) <= _ts(ticket.message_ts):
            # Replies up to the tracked one are in the ticket's description; only an existing mirror follows.
            known = await self._ctx.read(
                lambda conn: sync_store.slack_mirror(conn, channel_id=message.channel, slack_ts=message.ts)
            )
            if known is None:
                return
        mirror = await self._ctx.write(
            lambda conn: sync_store.claim_slack_mirror(
                conn, ticket_id=ticket.id, channel_id=message.channel, slack_ts=message.ts, now=now
            )
        )
        if mirror.deleted_at is not None:
            return
        key = str(ticket.jira_key)
        if mirror.jira_comment_id is not None:
            if message.action == "edited":
                await self._apply_edit(key, mirror, message)
            return
        permalink = await self._ctx.intake.chat.permalink(message.channel, message.ts)
        if mirror.attempts > 0:
            found = await self._ctx.tracker.find_comment(key, permalink)
            if found is not None:
                await self._record_comment(ticket, mirror, found, message)
                return
        if not await self._ctx.write(
            lambda conn: sync_store.take_attempt(conn, mirror.id, seen=mirror.attempts, now=now)
        ):
            raise NotReadyError("another worker is mirroring this reply", delay_s=5.0)
        body = await self._comment_body(message, permalink)
        comment_id = await self._ctx.tracker.add_comment(key, body)
        log.info("thread reply mirrored to Jira", extra={"jira.key": key, "slack.ts": message.ts})
        await self._record_comment(ticket, mirror, comment_id, message)

    async def _record_comment(
        self, ticket: Ticket, mirror: Mirror, comment_id: str, message: ThreadMessage
    ) -> None:
        now = self._ctx.clock()

        def write(conn: Connection) -> Mirror | None:
            values: dict[str, object] = {"jira_comment_id": comment_id}
            if message.edited_ts:
                values["slack_edited_ts"] = message.edited_ts
            sync_store.update_mirror(conn, mirror.id, now=now, **values)
            return sync_store.slack_mirror(conn, channel_id=message.channel, slack_ts=message.ts)

        current = await self._ctx.write(write)
        if current is not None and current.deleted_at is not None:
            # The reply was deleted while its comment was being added: take the comment back.
            await self._ctx.tracker.delete_comment(str(ticket.jira_key), comment_id)

    async def _apply_edit(self, key: str, mirror: Mirror, message: ThreadMessage) -> None:
        now = self._ctx.clock()
        if not await self._ctx.write(
            lambda conn: sync_store.newer_edit(conn, mirror.id, message.edited_ts, now=now)
        ):
            return
        permalink = await self._ctx.intake.chat.permalink(message.channel, message.ts)
        await self._ctx.tracker.update_comment(
            key, str(mirror.jira_comment_id), await self._comment_body(message, permalink)
        )

    # -- deleted ----------------------------------------------------------------------------------
    async def _deleted(self, ticket: Ticket, message: ThreadMessage) -> None:
        now = self._ctx.clock()

        def tombstone(conn: Connection) -> Mirror:
            mirror = sync_store.claim_slack_mirror(
                conn, ticket_id=ticket.id, channel_id=message.channel, slack_ts=message.ts, now=now
            )
            if mirror.deleted_at is None:
                sync_store.update_mirror(conn, mirror.id, now=now, deleted_at=now)
            return mirror

        mirror = await self._ctx.write(tombstone)
        if mirror.jira_comment_id is not None and mirror.deleted_at is None:
            await self._ctx.tracker.delete_comment(str(ticket.jira_key), mirror.jira_comment_id)

    # -- prevention note --------------------------------------------------------------------------
    async def add_prevention_note(self, job: Job) -> None:
        """`ticket.prevention_note` {ticket_id, user, text}: a Jira comment plus the configured label."""
        payload = job.payload
        ticket = await self._ctx.read(lambda conn: ticket_store.get_ticket(conn, payload["ticket_id"]))
        if ticket is None or ticket.jira_key is None:
            raise PermanentError(f"ticket {payload['ticket_id']} has no Jira issue")
        key = ticket.jira_key
        author = await self._name(payload["user"])
        text = wiki_escape(_plain(payload["text"])[:COMMENT_TEXT_MAX])
        body = f"*Prevention note* from {wiki_escape(author)} in Slack: {text}"
        if job.attempts <= 1 or await self._ctx.tracker.find_comment(key, body) is None:
            await self._ctx.tracker.add_comment(key, body)
        label = self._ctx.options().prevention_label
        if label is not None:
            await self._ctx.tracker.update_issue(IssueUpdate(key=key, add_labels=(label,)))

    # -- helpers ----------------------------------------------------------------------------------
    async def _comment_body(self, message: ThreadMessage, permalink: str) -> str:
        """'<name> in Slack: text ([Slack message|permalink])' in wiki markup, user text escaped."""
        names = {
            user_id: await self._name(user_id)
            for user_id in sorted(mentioned_user_ids(message.text))[:_MENTIONS_RESOLVED]
        }
        author = await self._name(message.user)
        text = to_plain_text(message.text, user_names=names)[:COMMENT_TEXT_MAX]
        link = f"[Slack message|{permalink}]" if _SAFE_LINK.fullmatch(permalink) else wiki_escape(permalink)
        return f"*{wiki_escape(author)}* in Slack: {wiki_escape(text)} ({link})"

    async def _name(self, user_id: str) -> str:
        try:
            return (await self._ctx.intake.chat.user(user_id)).display
        except PermanentError:
            return user_id


def _ts(ts: str) -> float:
    try:
        return float(ts)
    except ValueError:
        return 0.0


def _plain(text: str) -> str:
    return to_plain_text(text, user_names={})
