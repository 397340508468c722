"""Pick the handler for a verified Slack request and produce the ack.

Slow work never runs here: it is written as a job in the same transaction that records the
delivery (group commit), then acknowledged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from app.config.template import Template
from app.domain.intake import ReactionRoute, default_priority, route_reaction
from app.slack.ack import EMPTY_ACK, Ack
from app.slack.faq_events import faq_proposal_job
from app.slack.interactions import Interactions
from app.slack.requests import (
    BadRequest,
    EventCallback,
    Interaction,
    OtherEnvelope,
    SlackRequest,
    SlashCommand,
    UrlVerification,
)
from app.slack.thread_events import thread_message_job
from app.store import jobs as job_store
from app.store import tickets as ticket_store
from app.store.group_commit import GroupCommitWriter
from app.store.intake_batch import IntakeRecord, JobSpec, TicketClaim, new_ticket_id, write_intake
from app.worker.kinds import JobKind

log = logging.getLogger(__name__)

# What reading a payload of the wrong shape raises (a field missing, null, of another type, or
# failing a model's validation; pydantic's ValidationError is a ValueError). Store failures are
# SQLAlchemy errors, none of these, and still answer 503.
_PAYLOAD_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


@contextmanager
def _unreadable_as_bad_request(kind: str) -> Iterator[None]:
    """A handler that cannot read its payload answers 400 with a message, not a 503 with a trace."""
    try:
        yield
    except _PAYLOAD_ERRORS as exc:
        log.warning(
            "unreadable Slack payload", extra={"slack.type": kind, "error": f"{type(exc).__name__}: {exc}"}
        )
        raise BadRequest(f"unreadable {kind} payload ({type(exc).__name__})") from None


__all__ = ["EMPTY_ACK", "Ack", "Dispatcher"]

_ROUTE_CACHE_SIZE = 4096


class Dispatcher:
    def __init__(
        self,
        *,
        template: Callable[[], Template],
        writer: GroupCommitWriter,
        bot_user_id: Callable[[], str | None],
        clock: Callable[[], float] = time.time,
        interactions: Interactions | None = None,
    ) -> None:
        self._interactions = interactions
        self._template = template
        self._writer = writer
        self._bot_user_id = bot_user_id
        self._clock = clock
        # (channel, emoji) -> (route, priority) for the template object `_routes_of`: every
        # reaction would otherwise walk the template's teams and buckets again. A route depends on
        # the reactor only through the bot check, which `_reaction_route` makes before the cache.
        self._routes: dict[tuple[str, str], tuple[ReactionRoute, str] | None] = {}
        self._routes_of: Template | None = None

    async def dispatch(self, request: SlackRequest, *, retry_num: int = 0) -> Ack:
        if isinstance(request, UrlVerification):
            return Ack.json({"challenge": request.challenge})
        if isinstance(request, EventCallback):
            return await self._event(request, retry_num)
        if isinstance(request, Interaction):
            return await self._interaction(request, retry_num)
        if isinstance(request, SlashCommand):
            if self._interactions is None:
                await self._record_only(request.dedupe_key, "command", request.raw, retry_num)
                return EMPTY_ACK
            raw = request.raw.decode("utf-8", "replace")
            with _unreadable_as_bad_request("command"):
                return await self._interactions.command(
                    request.fields, dedupe_key=request.dedupe_key, raw=raw
                )
        if isinstance(request, OtherEnvelope):
            log.info("ignored Slack envelope", extra={"slack.type": request.type})
            return EMPTY_ACK
        raise TypeError(f"unhandled request type {type(request).__name__}")

    async def _interaction(self, request: Interaction, retry_num: int) -> Ack:
        handler = None
        if self._interactions is not None:
            handler = {
                "message_action": self._interactions.shortcut,
                "shortcut": self._interactions.shortcut,
                "block_actions": self._interactions.block_actions,
                "view_submission": self._interactions.view_submission,
            }.get(request.type)
        if handler is None:
            await self._record_only(request.dedupe_key, f"interaction:{request.type}", request.raw, retry_num)
            return EMPTY_ACK
        raw = request.raw.decode("utf-8", "replace")
        with _unreadable_as_bad_request(request.type):
            return await handler(request.payload, dedupe_key=request.dedupe_key, raw=raw)

    async def _event(self, request: EventCallback, retry_num: int) -> Ack:
        event = request.event
        if request.event_type == "reaction_added":
            routed = self._reaction_route(event)
            if routed is not None:
                record = self._reaction_unit(request, *routed, retry_num)
                await self._writer.submit_batched(write_intake, record)
                return EMPTY_ACK
            proposal = faq_proposal_job(
                event, template=self._template(), bot_user_id=self._bot_user_id(), event_id=request.event_id
            )
            if proposal is not None:  # a reply proposed as an FAQ answer
                await self._writer.submit(self._job_unit(request, retry_num, proposal))
                return EMPTY_ACK
        if request.event_type == "message" and _is_human_dm(event, self._bot_user_id()):
            await self._writer.submit(self._dm_unit(request, retry_num))
            return EMPTY_ACK
        if request.event_type == "message":
            job = thread_message_job(event, bot_user_id=self._bot_user_id(), event_id=request.event_id)
            if (
                job is not None
            ):  # a reply (or its edit/deletion) in a thread: mirrored if the thread is tracked
                await self._writer.submit(self._job_unit(request, retry_num, job))
                return EMPTY_ACK
        await self._record_only(request.event_id, f"event:{request.event_type}", request.raw, retry_num)
        return EMPTY_ACK

    def _job_unit(self, request: EventCallback, retry_num: int, job: JobSpec) -> Callable[[Connection], None]:
        now, body = self._clock(), request.raw.decode("utf-8", "replace")

        def unit(conn: Connection) -> None:
            kind = f"event:{request.event_type}"
            fresh = ticket_store.record_delivery(
                conn, dedupe_key=request.event_id, kind=kind, body=body, retry_num=retry_num, now=now
            )
            if fresh:
                job_store.enqueue(conn, job.kind, dict(job.payload), now=now, dedupe_key=job.dedupe_key)

        return unit

    def _dm_unit(self, request: EventCallback, retry_num: int) -> Callable[[Connection], None]:
        """A person wrote to the bot directly: record it and answer with the standard redirect."""
        now, event = self._clock(), request.event
        body = request.raw.decode("utf-8", "replace")
        payload = {"channel": str(event["channel"]), "ts": str(event["ts"]), "user": str(event["user"])}

        def unit(conn: Connection) -> None:
            if ticket_store.record_delivery(
                conn,
                dedupe_key=request.event_id,
                kind="event:message.im",
                body=body,
                retry_num=retry_num,
                now=now,
            ):
                job_store.enqueue(conn, JobKind.DM_REDIRECT, payload, now=now)

        return unit

    def _reaction_route(self, event: dict[str, object]) -> tuple[ReactionRoute, str] | None:
        """The route and default priority of a reaction that asks for a ticket, else None."""
        item = event.get("item")
        if not isinstance(item, dict) or item.get("type") != "message":
            return None
        channel, ts, user, emoji = (
            item.get("channel"),
            item.get("ts"),
            event.get("user"),
            event.get("reaction"),
        )
        if not (
            isinstance(channel, str)
            and channel
            and isinstance(ts, str)
            and ts
            and isinstance(user, str)
            and user
            and isinstance(emoji, str)
            and emoji
        ):
            return None
        if user == self._bot_user_id():  # the bot's own reactions never file tickets
            return None
        template = self._template()
        if template is not self._routes_of:
            self._routes.clear()
            self._routes_of = template
        key = (channel, emoji)
        if key in self._routes:
            return self._routes[key]
        route = route_reaction(template, channel_id=channel, emoji=emoji, reactor_id=user, bot_user_id=None)
        found = None if route is None else (route, default_priority(template, route.bucket))
        if len(self._routes) < _ROUTE_CACHE_SIZE:  # keys come from the wire: keep the cache bounded
            self._routes[key] = found
        return found

    def _reaction_unit(
        self, request: EventCallback, route: ReactionRoute, priority: str, retry_num: int
    ) -> IntakeRecord:
        """The unit that records the delivery, opens the ticket (or finds it) and enqueues the job.

        Built here, on the event loop, so the writer thread only runs statements.
        """
        item = request.event["item"]
        channel, ts, reactor = item["channel"], item["ts"], request.event["user"]
        team = route.team.key
        ticket_id = new_ticket_id()
        claim = TicketClaim(
            ticket_id=ticket_id,
            team=team,
            channel_id=channel,
            message_ts=ts,
            bucket=route.bucket.key,
            priority=priority,
            source="reaction",
            reactor_id=reactor,
            if_opened=JobSpec(JobKind.CREATE_TICKET, {"ticket_id": ticket_id}),
            if_tracked=JobSpec(
                JobKind.ALREADY_TRACKED,
                {"team": team, "channel": channel, "ts": ts, "user": reactor},
                dedupe_key=f"{JobKind.ALREADY_TRACKED}:{request.event_id}",
            ),
        )
        return IntakeRecord(
            dedupe_key=request.event_id,
            kind="event:reaction_added",
            body=request.raw.decode("utf-8", "replace"),
            retry_num=retry_num,
            now=self._clock(),
            ticket=claim,
        )

    async def _record_only(self, dedupe_key: str, kind: str, raw: bytes, retry_num: int) -> None:
        record = IntakeRecord(
            dedupe_key=dedupe_key,
            kind=kind,
            body=raw.decode("utf-8", "replace"),
            retry_num=retry_num,
            now=self._clock(),
        )
        await self._writer.submit_batched(write_intake, record)


def _is_human_dm(event: dict[str, object], bot_user_id: str | None) -> bool:
    """A top-level message a person sent the bot in a DM (not an edit, not a bot, not a thread reply)."""
    return (
        event.get("channel_type") == "im"
        and event.get("subtype") is None
        and event.get("bot_id") is None
        and event.get("thread_ts") is None
        and isinstance(event.get("user"), str)
        and event.get("user") != bot_user_id
        and isinstance(event.get("channel"), str)
        and isinstance(event.get("ts"), str)
    )
