"""`oncall.handoff` and `oncall.alert`: hand the on-call user group over and tell everyone, once.

The scheduler enqueues one handoff job per (team, shift start) with a dedupe key, so however many
replicas enqueue it, one job exists and one worker runs it. The handler reads the shift again from the
schedule (the template may have changed since) and records each post in the `handoffs` table as it
succeeds, so a retry posts only what is missing. Setting the group again is harmless.

Failures are visible, not fatal: a user group Slack will not let us change (`permission_denied`,
`plan_upgrade_required`, `missing_scope`, `no_such_subteam`) or a rotation nobody in it can take raises
one operator alert per handoff and problem (an `oncall.alert` job with a dedupe key: a log line and a
message in the team's channel), and the rest of the handoff goes on.

The channel message and the alert are found again by their message metadata after an ambiguous
failure. A DM cannot be looked up that way (its channel id is only known from a successful post), so
a DM whose post failed ambiguously is posted again: at least once, never silently dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Connection

from app.config.rotation import Rotation
from app.config.sla import policy_of
from app.config.template import Team, Template
from app.domain.errors import ExternalError, UserGroupUnavailable
from app.domain.models import IssueRef, OpenInterrupts, ReplyPost, UserGroupRef
from app.domain.oncall import RotationNotStarted, Shift, shift_at
from app.domain.oncall_text import (
    HandoffFacts,
    alert_text,
    briefing_text,
    handoff_message,
    is_usergroup_id,
    shadow_briefing_text,
    thanks_text,
)
from app.domain.private import is_private
from app.domain.sla_risk import AtRisk, at_risk
from app.store import handoffs as handoff_store
from app.store import jobs as job_store
from app.store import sla as sla_store
from app.store.handoffs import Handoff
from app.store.jobs import Job
from app.worker.kinds import JobKind
from app.worker.oncall_people import OnCallPerson, resolve_oncall, slack_member
from app.worker.sync_context import ticket_clock
from app.worker.ticket_jobs import TicketJobBase

log = logging.getLogger(__name__)
T = TypeVar("T")

HANDOFF_METADATA_TYPE = "interrupt_bridge_handoff"
ALERT_METADATA_TYPE = "interrupt_bridge_alert"


def handoff_key(team: str, shift_start: datetime) -> str:
    return f"handoff:{team}:{shift_start.astimezone(UTC).isoformat()}"


def enqueue_handoff(conn: Connection, team: str, shift: Shift, *, now: float) -> bool:
    """The handoff job of `shift`, due at its start; a no-op when it was enqueued before."""
    return job_store.enqueue(
        conn,
        JobKind.HANDOFF,
        {"team": team, "shift_start": shift.start.astimezone(UTC).isoformat()},
        now=now,
        run_after=shift.start.timestamp(),
        dedupe_key=handoff_key(team, shift.start),
    )


class OnCallJobs(TicketJobBase):
    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {JobKind.HANDOFF: self.handoff, JobKind.ONCALL_ALERT: self.post_alert}

    # -- oncall.handoff -------------------------------------------------------------------------------
    async def handoff(self, job: Job) -> None:
        scheduled = self._scheduled_shift(job)
        if scheduled is None:
            return
        team, rotation, shift = scheduled
        record = await self._db(
            lambda c: handoff_store.open_handoff(c, team.key, shift.start.timestamp(), now=self._ctx.clock())
        )
        if record.completed_at is not None:
            return
        incoming = await resolve_oncall(self._ctx.chat, rotation, shift.start)
        if incoming is None:
            detail = "nobody in the rotation can take the shift"
            await self._alert(team.key, "nobody_reachable", shift.start, detail)
            await self._set(record, completed_at=self._ctx.clock())
            return
        previous = await self._previous(rotation, shift)
        shadow = await self._shadow(shift, incoming)
        usergroup = await self._sync_group(team.key, rotation, shift, incoming, shadow)
        facts = HandoffFacts(
            team_name=team.name,
            rotation=rotation,
            shift=shift,
            incoming=incoming.user.id,
            outgoing=previous[1].user.id if previous is not None and previous[1] is not None else None,
            usergroup=usergroup,
            open_interrupts=await self._open_interrupts(self._ctx.template(), team),
            skipped=incoming.skipped,
            at_risk=await self._at_risk(team),
            shadow=shadow,
            pairing=shift.pairing if shadow is not None else None,
        )
        chat = self._ctx.chat
        if record.message_ts is None:
            key = handoff_key(team.key, shift.start)
            await self._set(
                record, message_ts=await self._post_message(job, team, key, handoff_message(facts))
            )
        if record.briefing_ts is None:
            await self._set(record, briefing_ts=await chat.post_dm(incoming.user.id, briefing_text(facts)))
        if shadow is not None and record.shadow_briefing_ts is None:
            ts = await chat.post_dm(shadow, shadow_briefing_text(facts))
            await self._set(record, shadow_user=shadow, shadow_briefing_ts=ts)
        if previous is not None and record.thanks_ts is None:
            before, outgoing = previous
            if outgoing is not None and outgoing.user.id != incoming.user.id:
                text = thanks_text(team.name, rotation, before, await self._handled(team.key, before))
                await self._set(record, thanks_ts=await chat.post_dm(outgoing.user.id, text))
        await self._set(record, slack_user=incoming.user.id, completed_at=self._ctx.clock())
        log.info("handoff done", extra={"oncall.team": team.key, "oncall.user": incoming.user.id})

    def _scheduled_shift(self, job: Job) -> tuple[Team, Rotation, Shift] | None:
        """The job's shift as the schedule has it now; None when it is no longer due to hand over.

        The template may have changed since the job was enqueued, and a job that waited through a
        downtime may have been overtaken by a later shift, whose own handoff job runs instead.
        """
        team_key, start = str(job.payload["team"]), datetime.fromisoformat(job.payload["shift_start"])
        extra = {"oncall.team": team_key, "oncall.shift_start": start.isoformat()}
        team = next((t for t in self._ctx.template().teams if t.key == team_key), None)
        if team is None or team.rotation is None:
            log.info("handoff skipped: the team has no rotation any more", extra=extra)
            return None
        try:
            shift = shift_at(team.rotation, start)
        except RotationNotStarted:
            shift = None
        if shift is None or shift.start != start:
            log.info("handoff skipped: no shift begins then any more", extra=extra)
            return None
        if datetime.fromtimestamp(self._ctx.clock(), UTC) >= shift.end:
            log.info("handoff skipped: a later shift has begun", extra=extra)
            return None
        return team, team.rotation, shift

    async def _previous(self, rotation: Rotation, shift: Shift) -> tuple[Shift, OnCallPerson | None] | None:
        """The shift that ends where `shift` begins, and who covered it; None before the first."""
        try:
            before = shift_at(rotation, shift.start - timedelta(microseconds=1))
        except RotationNotStarted:
            return None
        return before, await resolve_oncall(self._ctx.chat, rotation, before.start)

    async def _shadow(self, shift: Shift, incoming: OnCallPerson) -> str | None:
        """The shadow's Slack user id; None without a shadow, or when they left Slack (with a warning)."""
        if shift.shadow is None:
            return None
        user = await slack_member(self._ctx.chat, shift.shadow)
        if user is None:
            log.warning("the shadow is no longer in Slack; skipped", extra={"oncall.member": shift.shadow})
            return None
        return None if user.id == incoming.user.id else user.id

    async def _sync_group(
        self,
        team_key: str,
        rotation: Rotation,
        shift: Shift,
        incoming: OnCallPerson,
        shadow: str | None,
    ) -> UserGroupRef | None:
        """Point the user group at the incoming lead and shadow; the group when that worked, else None."""
        ref = rotation.usergroup
        if ref is None:
            return None
        chat = self._ctx.chat
        try:
            group = await chat.usergroup(ref)
        except UserGroupUnavailable as exc:
            if not is_usergroup_id(ref):
                await self._alert(
                    team_key, exc.code, shift.start, f"the user group `{ref}` cannot be read ({exc})"
                )
                return None
            group = UserGroupRef(id=ref, handle="")  # listing is refused; the update may still be allowed
        if group is None:
            detail = f"there is no user group `{ref}` in the workspace"
            await self._alert(team_key, "no_such_subteam", shift.start, detail)
            return None
        # The API replaces the whole member list, so the list is everyone on call: the lead (and shadow).
        users = [incoming.user.id] if shadow is None else [incoming.user.id, shadow]
        try:
            await chat.usergroup_users_update(group.id, users)
        except UserGroupUnavailable as exc:
            # the group's id as code: a mention would page the people the alert is not for
            detail = f"the user group `{group.id}` could not be handed to <@{incoming.user.id}> ({exc})"
            await self._alert(team_key, exc.code, shift.start, detail)
            return None
        return group

    async def _open_interrupts(self, template: Template, team: Team) -> OpenInterrupts | None:
        labels = [*template.defaults.labels, *team.jira.labels]
        if not labels:
            return None
        try:
            # Private requests stay out of the team channel, even as the oldest open interrupt.
            return await self._ctx.tracker.open_interrupts(
                team.jira.project, labels[0], exclude_label=template.private.label
            )
        except ExternalError as exc:
            # The handoff must not wait for Jira; the message says the count is unknown.
            log.warning("could not count open interrupts", extra={"oncall.team": team.key, "error": str(exc)})
            return None

    async def _at_risk(self, team: Team) -> list[AtRisk] | None:
        """The team's open tickets at SLA risk, from the bridge's own clocks; None without SLA targets."""
        template = self._ctx.template()
        policy = policy_of(template)
        if not policy.targets:
            return None
        now = self._ctx.clock()
        rows = await self._db(lambda c: sla_store.open_tickets(c, team=team.key))
        clocks = [
            (ticket.jira_key, ticket.jira_url, ticket_clock(template, policy, ticket, state, now=now))
            for ticket, state in rows
            if ticket.jira_key is not None and not is_private(ticket.source)  # never named in the channel
        ]
        return at_risk(clocks, threshold=min(policy.reminders, default=0.75))

    async def _handled(self, team_key: str, shift: Shift) -> list[IssueRef]:
        rows = await self._db(
            lambda c: handoff_store.tickets_created_between(
                c, team_key, shift.start.timestamp(), shift.end.timestamp()
            )
        )
        return [IssueRef(key=key, url=url or self._ctx.tracker.browse_url(key)) for key, url in rows]

    async def _post_message(self, job: Job, team: Team, key: str, text: str) -> str:
        channel = team.channels[0]
        if job.attempts > 1:  # an earlier attempt may have posted before failing
            found = await self._ctx.chat.find_channel_message(channel, HANDOFF_METADATA_TYPE, "handoff", key)
            if found is not None:
                return found
        post = ReplyPost(
            channel=channel,
            thread_ts=None,
            text=text,
            blocks=[],
            metadata_type=HANDOFF_METADATA_TYPE,
            metadata={"handoff": key},
        )
        return await self._ctx.chat.post_reply(post)

    # -- oncall.alert ---------------------------------------------------------------------------------
    async def _alert(self, team_key: str, code: str, start: datetime, detail: str) -> None:
        """Raise an operator alert once per (team, problem, handoff): a log line and a channel message."""
        key = f"alert:{team_key}:{code}:{start.astimezone(UTC).isoformat()}"
        payload = {"team": team_key, "code": code, "detail": detail, "key": key}
        now = self._ctx.clock()

        def write(conn: Connection) -> bool:
            return job_store.enqueue(conn, JobKind.ONCALL_ALERT, payload, now=now, dedupe_key=key)

        if await self._db(write):
            log.error(
                "on call needs an operator",
                extra={"oncall.team": team_key, "oncall.problem": code, "error": detail},
            )

    async def post_alert(self, job: Job) -> None:
        payload = job.payload
        team = next((t for t in self._ctx.template().teams if t.key == payload["team"]), None)
        if team is None:
            return
        channel, key = team.channels[0], str(payload["key"])
        # an earlier attempt may have posted before failing
        if job.attempts > 1 and await self._ctx.chat.find_channel_message(
            channel, ALERT_METADATA_TYPE, "alert", key
        ):
            return
        text = alert_text(team.name, str(payload["code"]), str(payload["detail"]))
        await self._ctx.chat.post_reply(
            ReplyPost(
                channel=channel,
                thread_ts=None,
                text=text,
                blocks=[],
                metadata_type=ALERT_METADATA_TYPE,
                metadata={"alert": key},
            )
        )

    # -- database -------------------------------------------------------------------------------------
    async def _set(self, record: Handoff, **values: object) -> None:
        now = self._ctx.clock()
        await self._db(
            lambda c: handoff_store.update_handoff(c, record.team, record.shift_start, now=now, **values)
        )

    async def _db(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self._ctx.engine.begin() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)
