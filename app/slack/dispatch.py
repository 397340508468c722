"""Pick the handler for a verified Slack request and produce the ack.

Slow work never runs here: it is written as a job in the same transaction that records the
delivery (group commit), then acknowledged.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection

from app.config.template import Template
from app.domain.intake import ReactionRoute, default_priority, route_reaction
from app.slack.requests import (
    EventCallback,
    Interaction,
    OtherEnvelope,
    SlackRequest,
    SlashCommand,
    UrlVerification,
)
from app.store import jobs as job_store
from app.store import tickets as ticket_store
from app.store.group_commit import GroupCommitWriter
from app.worker.kinds import JobKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ack:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"

    @staticmethod
    def json(data: object, status: int = 200) -> Ack:
        return Ack(status, orjson.dumps(data), "application/json")


EMPTY_ACK = Ack()


class Dispatcher:
    def __init__(
        self,
        *,
        template: Callable[[], Template],
        writer: GroupCommitWriter,
        bot_user_id: Callable[[], str | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._template = template
        self._writer = writer
        self._bot_user_id = bot_user_id
        self._clock = clock

    async def dispatch(self, request: SlackRequest, *, retry_num: int = 0) -> Ack:
        if isinstance(request, UrlVerification):
            return Ack.json({"challenge": request.challenge})
        if isinstance(request, EventCallback):
            return await self._event(request, retry_num)
        if isinstance(request, Interaction):
            await self._record_only(request.dedupe_key, f"interaction:{request.type}", request.raw, retry_num)
            return EMPTY_ACK
        if isinstance(request, SlashCommand):
            await self._record_only(request.dedupe_key, "command", request.raw, retry_num)
            return EMPTY_ACK
        if isinstance(request, OtherEnvelope):
            log.info("ignored Slack envelope", extra={"slack.type": request.type})
            return EMPTY_ACK
        raise TypeError(f"unhandled request type {type(request).__name__}")

    async def _event(self, request: EventCallback, retry_num: int) -> Ack:
        event = request.event
        if request.event_type == "reaction_added":
            route = self._reaction_route(event)
            if route is not None:
                await self._writer.submit(self._reaction_unit(request, route, retry_num))
                return EMPTY_ACK
        await self._record_only(request.event_id, f"event:{request.event_type}", request.raw, retry_num)
        return EMPTY_ACK

    def _reaction_route(self, event: dict[str, object]) -> ReactionRoute | None:
        item = event.get("item")
        if not isinstance(item, dict) or item.get("type") != "message":
            return None
        channel, ts, user, emoji = (
            item.get("channel"),
            item.get("ts"),
            event.get("user"),
            event.get("reaction"),
        )
        if not all(isinstance(v, str) and v for v in (channel, ts, user, emoji)):
            return None
        return route_reaction(
            self._template(),
            channel_id=str(channel),
            emoji=str(emoji),
            reactor_id=str(user),
            bot_user_id=self._bot_user_id(),
        )

    def _reaction_unit(
        self, request: EventCallback, route: ReactionRoute, retry_num: int
    ) -> Callable[[Connection], None]:
        template = self._template()
        now = self._clock()
        item = request.event["item"]
        channel, ts, reactor = str(item["channel"]), str(item["ts"]), str(request.event["user"])
        priority = default_priority(template, route.bucket)
        body = request.raw.decode("utf-8", "replace")

        def unit(conn: Connection) -> None:
            fresh = ticket_store.record_delivery(
                conn,
                dedupe_key=request.event_id,
                kind="event:reaction_added",
                body=body,
                retry_num=retry_num,
                now=now,
            )
            if not fresh:
                return  # a retry of a delivery we already hold
            ticket_id = uuid.uuid4().hex
            opened = ticket_store.open_ticket(
                conn,
                ticket_id=ticket_id,
                team=route.team.key,
                channel_id=channel,
                message_ts=ts,
                bucket=route.bucket.key,
                priority=priority,
                source="reaction",
                reactor_id=reactor,
                now=now,
            )
            if opened:
                job_store.enqueue(conn, JobKind.CREATE_TICKET, {"ticket_id": ticket_id}, now=now)
            else:
                job_store.enqueue(
                    conn,
                    JobKind.ALREADY_TRACKED,
                    {"team": route.team.key, "channel": channel, "ts": ts, "user": reactor},
                    now=now,
                    dedupe_key=f"{JobKind.ALREADY_TRACKED}:{request.event_id}",
                )

        return unit

    async def _record_only(self, dedupe_key: str, kind: str, raw: bytes, retry_num: int) -> None:
        now = self._clock()
        body = raw.decode("utf-8", "replace")

        def unit(conn: Connection) -> None:
            ticket_store.record_delivery(
                conn, dedupe_key=dedupe_key, kind=kind, body=body, retry_num=retry_num, now=now
            )

        await self._writer.submit(unit)
