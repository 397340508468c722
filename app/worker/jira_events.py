"""Jira -> Slack: a verified webhook delivery becomes SLA facts and the thread's posts.

`jira.event` reads the delivery, records what it means for the SLA clock (status, first response,
resolution, priority) and enqueues each post as its own job, all in one transaction: each post then
happens once, whatever retries the others need. The posts carry `SYNC_METADATA_TYPE` metadata, so a
retried post finds its earlier attempt and the thread-reply handler never sends them back to Jira.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Connection

from app.domain.errors import NotReadyError, PermanentError, RetryableError
from app.domain.jira_events import (
    COMMENT_CREATED,
    COMMENT_DELETED,
    CommentEvent,
    IssueUpdated,
    JiraUser,
    WebhookPayloadError,
    parse_event,
)
from app.domain.jira_text import comment_to_mrkdwn, mrkdwn_escape
from app.domain.models import ReplyPost
from app.slack.blocks import trim_mrkdwn
from app.slack.ids import ActionId
from app.slack.metadata import TicketRef, encode
from app.store import faq as faq_store
from app.store import jobs as job_store
from app.store import sla as sla_store
from app.store import sync as sync_store
from app.store import tickets as ticket_store
from app.store.jobs import Job
from app.store.sync import JiraDelivery
from app.store.tickets import Ticket
from app.worker.sync_context import SYNC_METADATA_TYPE, SyncContext, SyncJobKind

log = logging.getLogger(__name__)


class JiraEventJobs:
    def __init__(self, ctx: SyncContext) -> None:
        self._ctx = ctx

    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {
            SyncJobKind.JIRA_EVENT: self.jira_event,
            SyncJobKind.STATUS_MESSAGE: self.status_message,
            SyncJobKind.RESOLVED: self.resolved,
            SyncJobKind.COMMENT_TO_SLACK: self.comment_to_slack,
            SyncJobKind.COMMENT_EDITED_IN_JIRA: self.comment_edited,
        }

    # -- jira.event -------------------------------------------------------------------------------
    async def jira_event(self, job: Job) -> None:
        delivery_id = int(job.payload["delivery_id"])
        delivery = await self._ctx.read(lambda conn: sync_store.get_delivery(conn, delivery_id))
        if delivery is None:
            raise PermanentError(f"jira delivery {delivery_id} does not exist")
        try:
            event = parse_event(json.loads(delivery.body))
        except (ValueError, WebhookPayloadError) as exc:
            raise PermanentError(f"unreadable jira delivery {delivery.identifier}: {exc}") from None
        ticket = await self._ctx.read(lambda conn: ticket_store.get_ticket(conn, delivery.ticket_id))
        if ticket is not None and ticket.state == ticket_store.PENDING:
            # The issue exists (the webhook found its marker) but its key is not recorded yet.
            raise RetryableError(f"ticket {ticket.id} is still being created")
        if event is None or ticket is None or ticket.state != ticket_store.CREATED:
            return
        if isinstance(event, IssueUpdated):
            await self._ctx.write(lambda conn: self._issue_updated(conn, ticket, delivery, event))
        elif event.event == COMMENT_CREATED:
            await self._comment_created(ticket, event)
        else:
            await self._comment_changed(ticket, delivery, event)

    def _issue_updated(
        self, conn: Connection, ticket: Ticket, delivery: JiraDelivery, event: IssueUpdated
    ) -> None:
        now, options, template = self._ctx.clock(), self._ctx.options(), self._ctx.template()
        at = max(event.at.timestamp(), ticket.created_at)
        by = event.user.display_name if event.user is not None else None
        changed = False
        status = event.change("status")
        if status is not None and status.to_string:
            sla_store.set_status(conn, ticket.id, status=status.to_string, now=now)
            # Any status change means the issue has left the status it was created in by then.
            sla_store.record_first_response(conn, ticket.id, at=at, source="jira_transition", by=by, now=now)
            changed = True
            if options.status_messages:
                payload = {"ticket_id": ticket.id, "delivery": delivery.identifier, "by": by or ""}
                payload |= {"from": status.from_string or "", "to": status.to_string}
                self._enqueue(conn, SyncJobKind.STATUS_MESSAGE, payload, key=delivery.identifier)
        resolution = event.change("resolution")
        if resolution is not None:
            resolved = bool(resolution.to_id or resolution.to_string)
            sla_store.set_resolved(conn, ticket.id, at=at if resolved else None, now=now)
            changed = True
            if resolved:
                resolver = event.user.to_json() if event.user is not None else None
                payload_r = {"ticket_id": ticket.id, "delivery": delivery.identifier, "resolver": resolver}
                self._enqueue(conn, SyncJobKind.RESOLVED, payload_r, key=delivery.identifier)
        priority = event.change("priority")
        if (
            priority is not None
            and priority.to_string in template.priorities
            and priority.to_string != ticket.priority
        ):
            ticket_store.update_ticket(conn, ticket.id, now=now, priority=priority.to_string)
            changed = True
        if changed:
            self._enqueue(
                conn, SyncJobKind.REFRESH_REDIRECT, {"ticket_id": ticket.id}, key=delivery.identifier
            )

    async def _comment_created(self, ticket: Ticket, event: CommentEvent) -> None:
        bridge = await self._ctx.tracker.bridge_user()
        if event.author is not None and event.author.same_as(bridge):
            return  # the bridge's own comment (a mirrored Slack reply, a prevention note): no echo
        known = await self._ctx.read(lambda conn: sync_store.jira_mirror(conn, event.comment_id))
        if (known is not None and known.origin == sync_store.SLACK) or not event.public:
            return
        reporter = await self._reporter(ticket, event)
        counts = event.author is not None and not event.author.same_as(reporter)
        at = max((event.created or event.at).timestamp(), ticket.created_at)
        options, now = self._ctx.options(), self._ctx.clock()
        author = event.author.display_name if event.author is not None else "Someone"

        def write(conn: Connection) -> None:
            by = event.author.display_name if event.author is not None else None
            if counts and sla_store.record_first_response(
                conn, ticket.id, at=at, source="jira_comment", by=by, now=now
            ):
                self._enqueue(
                    conn,
                    SyncJobKind.REFRESH_REDIRECT,
                    {"ticket_id": ticket.id},
                    key=f"comment:{event.comment_id}",
                )
            if options.mirror_jira_comments:
                payload = {"ticket_id": ticket.id, "comment_id": event.comment_id, "author": author}
                payload["text"] = comment_to_mrkdwn(event.body)
                self._enqueue(conn, SyncJobKind.COMMENT_TO_SLACK, payload, key=event.comment_id)

        await self._ctx.write(write)

    async def _comment_changed(self, ticket: Ticket, delivery: JiraDelivery, event: CommentEvent) -> None:
        """An edit or a deletion of a comment that was mirrored into Slack is applied to the mirror."""
        bridge = await self._ctx.tracker.bridge_user()
        editor = event.update_author or event.author
        if event.event != COMMENT_DELETED and editor is not None and editor.same_as(bridge):
            return  # an edit the bridge made (from a Slack edit): no echo
        known = await self._ctx.read(lambda conn: sync_store.jira_mirror(conn, event.comment_id))
        if known is None or known.origin != sync_store.JIRA:
            return
        gone = event.event == COMMENT_DELETED or not event.public
        author = event.author.display_name if event.author is not None else "Someone"
        payload: dict[str, Any] = {"ticket_id": ticket.id, "comment_id": event.comment_id, "author": author}
        payload["text"] = None if gone else comment_to_mrkdwn(event.body)
        await self._ctx.write(
            lambda conn: self._enqueue(
                conn, SyncJobKind.COMMENT_EDITED_IN_JIRA, payload, key=delivery.identifier
            )
        )

    async def _reporter(self, ticket: Ticket, event: CommentEvent) -> JiraUser | None:
        """The issue's reporter: from the payload, else as fetched once and kept with the SLA state."""
        if event.issue.reporter is not None:
            return event.issue.reporter
        state = await self._ctx.read(lambda conn: sla_store.get_state(conn, ticket.id))
        if state.jira_reporter is not None:
            return state.jira_reporter
        reporter = await self._ctx.tracker.issue_reporter(event.issue.key)
        if reporter is not None:
            now = self._ctx.clock()
            await self._ctx.write(lambda conn: sla_store.set_reporter(conn, ticket.id, reporter, now=now))
        return reporter

    def _enqueue(self, conn: Connection, kind: SyncJobKind, payload: dict[str, Any], *, key: str) -> None:
        job_store.enqueue(conn, kind, payload, now=self._ctx.clock(), dedupe_key=f"{kind}:{key}")

    # -- posts ------------------------------------------------------------------------------------
    async def status_message(self, job: Job) -> None:
        payload = job.payload
        ticket = await self._ticket(payload["ticket_id"])
        link = _link(ticket)
        text = f":arrows_counterclockwise: {link} moved from *{mrkdwn_escape(payload['from'] or '?')}* to "
        text += f"*{mrkdwn_escape(payload['to'])}*" + (
            f" by {mrkdwn_escape(payload['by'])}" if payload["by"] else ""
        )
        await self._post_once(job, ticket, text + ".", [], {"jira_delivery": payload["delivery"]})

    async def resolved(self, job: Job) -> None:
        """A reaction on the original message, and a prompt asking the resolver how to prevent a repeat."""
        payload = job.payload
        ticket = await self._ticket(payload["ticket_id"])
        await self._ctx.intake.chat.add_reaction(
            ticket.channel_id, ticket.message_ts, self._ctx.options().resolved_reaction
        )
        if await self._ctx.read(lambda conn: faq_store.deflection(conn, ticket.id)) is not None:
            return  # answered by the FAQ: the reply already says so, and the FAQ entry is the prevention
        resolver = JiraUser.from_json(payload["resolver"]) if payload.get("resolver") else None
        who = await self._mention(resolver)
        text = (
            f":white_check_mark: {who} resolved {_link(ticket)}. What would prevent a repeat? "
            "Add a prevention note and it goes on the ticket."
        )
        value = encode(
            TicketRef(ticket_id=ticket.id, channel=ticket.channel_id, message_ts=ticket.message_ts),
            key=self._ctx.intake.metadata_key,
        )
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": trim_mrkdwn(text)}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Add a prevention note", "emoji": True},
                        "action_id": ActionId.prevention_note.value,
                        "value": value,
                    }
                ],
            },
        ]
        await self._post_once(job, ticket, text, blocks, {"jira_delivery": payload["delivery"]})

    async def comment_to_slack(self, job: Job) -> None:
        payload = job.payload
        ticket = await self._ticket(payload["ticket_id"])
        now = self._ctx.clock()
        mirror = await self._ctx.write(
            lambda conn: sync_store.claim_jira_mirror(
                conn,
                ticket_id=ticket.id,
                channel_id=ticket.channel_id,
                jira_comment_id=payload["comment_id"],
                now=now,
            )
        )
        if mirror.slack_ts is not None or mirror.deleted_at is not None:
            return
        chat, thread = self._ctx.intake.chat, ticket.thread_ts or ticket.message_ts
        if mirror.attempts > 0:
            found = await chat.find_reply(
                ticket.channel_id, thread, SYNC_METADATA_TYPE, "jira_comment_id", payload["comment_id"]
            )
            if found is not None:
                await self._ctx.write(
                    lambda conn: sync_store.update_mirror(conn, mirror.id, now=now, slack_ts=found)
                )
                return
        if not await self._ctx.write(
            lambda conn: sync_store.take_attempt(conn, mirror.id, seen=mirror.attempts, now=now)
        ):
            raise NotReadyError("another worker is mirroring this comment", delay_s=5.0)
        ts = await chat.post_reply(
            ReplyPost(
                channel=ticket.channel_id,
                thread_ts=thread,
                text=_comment_text(payload["author"], payload["text"]),
                blocks=[],
                metadata_type=SYNC_METADATA_TYPE,
                metadata={"ticket_id": ticket.id, "jira_comment_id": payload["comment_id"]},
            )
        )
        await self._ctx.write(lambda conn: sync_store.update_mirror(conn, mirror.id, now=now, slack_ts=ts))

    async def comment_edited(self, job: Job) -> None:
        payload = job.payload
        mirror = await self._ctx.read(lambda conn: sync_store.jira_mirror(conn, payload["comment_id"]))
        if mirror is None:
            return
        if mirror.slack_ts is None:
            raise RetryableError("the comment's Slack mirror is not posted yet")
        if payload["text"] is None:
            text = f"_{mrkdwn_escape(payload['author'])}'s Jira comment was deleted._"
        else:
            text = _comment_text(payload["author"], payload["text"], edited=True)
        await self._ctx.intake.chat.update_message(mirror.channel_id, mirror.slack_ts, text=text, blocks=[])

    # -- helpers ----------------------------------------------------------------------------------
    async def _ticket(self, ticket_id: str) -> Ticket:
        ticket = await self._ctx.read(lambda conn: ticket_store.get_ticket(conn, ticket_id))
        if ticket is None or ticket.jira_key is None:
            raise PermanentError(f"ticket {ticket_id} has no Jira issue")
        return ticket

    async def _post_once(
        self, job: Job, ticket: Ticket, text: str, blocks: list[dict[str, Any]], metadata: dict[str, str]
    ) -> None:
        """Post in the ticket's thread; a second attempt of the job first looks for the first one's post."""
        chat, thread = self._ctx.intake.chat, ticket.thread_ts or ticket.message_ts
        [(key, value)] = metadata.items()
        if job.attempts > 1 and await chat.find_reply(
            ticket.channel_id, thread, SYNC_METADATA_TYPE, key, value
        ):
            return
        await chat.post_reply(
            ReplyPost(
                channel=ticket.channel_id,
                thread_ts=thread,
                text=text,
                blocks=blocks,
                metadata_type=SYNC_METADATA_TYPE,
                metadata={"ticket_id": ticket.id, **metadata},
            )
        )

    async def _mention(self, user: JiraUser | None) -> str:
        if user is None:
            return "Someone"
        if user.email:
            try:
                found = await self._ctx.intake.chat.lookup_user_by_email(user.email)
            except PermanentError:
                found = None
            if found is not None:
                return f"<@{found.id}>"
        return mrkdwn_escape(user.display_name)


def _link(ticket: Ticket) -> str:
    return f"<{ticket.jira_url}|{mrkdwn_escape(str(ticket.jira_key))}>"


def _comment_text(author: str, text: str, *, edited: bool = False) -> str:
    suffix = " (edited)" if edited else ""
    return trim_mrkdwn(f"*{mrkdwn_escape(author)}* commented in Jira{suffix}:\n{text or '(no text)'}", 3900)
