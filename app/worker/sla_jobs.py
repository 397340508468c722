"""SLA reminders: a periodic scan claims crossed thresholds, one job per claim posts the reminder.

Once per threshold per ticket, across replicas and restarts: the scan claims a threshold by inserting
its `sla_reminders` row (primary key ticket, target, fraction) and enqueues the reminder in the same
transaction, so two scans racing claim it once. When several thresholds of a target were crossed
since the last scan (the service was down), only the highest is posted; the others are recorded as
superseded. The reminder job checks the target again right before posting and posts nothing once it
is met; a retried post first looks for its earlier attempt by the message's metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import Connection

from app.config.sla import TARGET_NAMES, permille
from app.domain.errors import PermanentError
from app.domain.models import ReplyPost
from app.domain.oncall import RotationNotStarted
from app.domain.private import is_private, triage_channel
from app.domain.sla import Reminder, reminder_thresholds_crossed
from app.domain.sla_text import reminder_text
from app.store import jobs as job_store
from app.store import sla as sla_store
from app.store import tickets as ticket_store
from app.store.jobs import Job
from app.store.sla import SlaState
from app.store.tickets import Ticket
from app.worker.oncall_people import resolve_oncall
from app.worker.sync_context import (
    SYNC_METADATA_TYPE,
    SyncContext,
    SyncJobKind,
    team_zone,
    ticket_calendar,
    ticket_clock,
)

log = logging.getLogger(__name__)

SCAN_EVERY_S = 60.0
SUPERSEDED = "superseded"
MET = "met"


def enqueue_sla_scan(conn: Connection, *, now: float, every_s: float = SCAN_EVERY_S) -> bool:
    """Enqueue the scan of this `every_s` slot (once, whichever replica asks first); for the scheduler."""
    slot = int(now // every_s)
    kind = SyncJobKind.SLA_SCAN
    return job_store.enqueue(conn, kind, {"slot": slot}, now=now, dedupe_key=f"{kind}:{slot}")


class SlaJobs:
    def __init__(self, ctx: SyncContext) -> None:
        self._ctx = ctx

    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {SyncJobKind.SLA_SCAN: self.scan, SyncJobKind.SLA_REMIND: self.remind}

    async def scan(self, job: Job) -> None:
        """Claim every crossed, unclaimed threshold of every open ticket and enqueue its reminder."""
        template, policy, now = self._ctx.template(), self._ctx.policy(), self._ctx.clock()
        if not policy.targets or not policy.reminders:
            return
        instant = datetime.fromtimestamp(now, UTC)
        plan: list[tuple[str, Reminder, str | None]] = []
        wanted = {permille(f) for f in policy.reminders}

        def load(conn: Connection) -> tuple[list[tuple[Ticket, SlaState]], set[tuple[str, str, int]]]:
            found = sla_store.open_tickets(conn)
            return found, sla_store.claimed_reminders(conn, [ticket.id for ticket, _ in found])

        tickets, claimed = await self._ctx.read(load)
        for ticket, state in tickets:
            target = policy.target(ticket.priority)
            names = [name for name in TARGET_NAMES if target is not None and target.span(name) is not None]
            if all((ticket.id, name, mille) in claimed for name in names for mille in wanted):
                continue  # every reminder of this ticket is claimed: no clock to compute
            clock = ticket_clock(template, policy, ticket, state, now=now)
            calendar = ticket_calendar(template, policy, ticket)
            if clock is None or calendar is None:
                continue
            crossed = reminder_thresholds_crossed(clock, policy.reminders, calendar, now=instant)
            highest = {r.target: r.permille for r in crossed}  # crossed is in order: the last one wins
            plan += [(ticket.id, r, None if r.permille == highest[r.target] else SUPERSEDED) for r in crossed]

        def write(conn: Connection) -> int:
            added = 0
            for ticket_id, reminder, skipped in plan:
                if (
                    sla_store.claim_reminder(
                        conn, ticket_id, reminder.target, reminder.permille, now=now, skipped=skipped
                    )
                    and skipped is None
                ):
                    payload = {
                        "ticket_id": ticket_id,
                        "target": reminder.target,
                        "permille": reminder.permille,
                    }
                    key = f"{SyncJobKind.SLA_REMIND}:{ticket_id}:{reminder.target}:{reminder.permille}"
                    job_store.enqueue(conn, SyncJobKind.SLA_REMIND, payload, now=now, dedupe_key=key)
                    added += 1
            return added

        if plan:
            added = await self._ctx.write(write)
            if added:
                log.info("SLA reminders due", extra={"jobs.added": added})

    async def remind(self, job: Job) -> None:
        payload = job.payload
        ticket_id, target_name, mille = payload["ticket_id"], payload["target"], int(payload["permille"])
        row = await self._ctx.read(lambda conn: sla_store.get_reminder(conn, ticket_id, target_name, mille))
        if row is None or row.posted_ts is not None or row.skipped is not None:
            return
        ticket = await self._ctx.read(lambda conn: ticket_store.get_ticket(conn, ticket_id))
        state = await self._ctx.read(lambda conn: sla_store.get_state(conn, ticket_id))
        template, policy, now = self._ctx.template(), self._ctx.policy(), self._ctx.clock()
        clock = ticket_clock(template, policy, ticket, state, now=now) if ticket is not None else None
        target = (
            None
            if clock is None
            else (clock.first_response if target_name == "first_response" else clock.resolution)
        )
        if ticket is None or ticket.jira_key is None or target is None or target.met:
            await self._skip(ticket_id, target_name, mille, MET)
            return
        triage = policy.triage_channels.get(ticket.team)
        if is_private(ticket.source):  # a private ticket's thread is the requester's DM: prefer triage
            triage = triage_channel(template, ticket.team) or triage
        channel, thread = (
            (triage, None) if triage else (ticket.channel_id, ticket.thread_ts or ticket.message_ts)
        )
        marker = f"{ticket_id}:{target_name}:{mille}"
        if row.attempts > 0:
            found = await self._find(channel, thread, marker)
            if found is not None:
                await self._posted(ticket_id, target_name, mille, found)
                return
        fraction = next((f for f in policy.reminders if permille(f) == mille), mille / 1000)
        reminder = Reminder(target.name, fraction, target.now)
        text = reminder_text(
            reminder,
            target,
            ticket_key=ticket.jira_key,
            ticket_url=str(ticket.jira_url),
            priority=ticket.priority,
            mention=await self._oncall_mention(ticket, now),
            zone=team_zone(template, policy, ticket.team),
        )
        await self._ctx.write(
            lambda conn: sla_store.bump_reminder(conn, ticket_id, target_name, mille, now=self._ctx.clock())
        )
        ts = await self._ctx.intake.chat.post_reply(
            ReplyPost(
                channel=channel,
                thread_ts=thread,
                text=text,
                blocks=[],
                metadata_type=SYNC_METADATA_TYPE,
                metadata={"ticket_id": ticket_id, "reminder": marker},
            )
        )
        await self._posted(ticket_id, target_name, mille, ts)
        if target.breached:
            await self._ctx.write(self._refresh(ticket))  # the redirect reply shows "overdue" now

    async def _find(self, channel: str, thread: str | None, marker: str) -> str | None:
        chat = self._ctx.intake.chat
        if thread is None:
            return await chat.find_channel_message(channel, SYNC_METADATA_TYPE, "reminder", marker)
        return await chat.find_reply(channel, thread, SYNC_METADATA_TYPE, "reminder", marker)

    async def _oncall_mention(self, ticket: Ticket, now: float) -> str:
        """`<@U…>` of whoever is on call now; the team's name when it has no rotation or nobody is."""
        team = next((t for t in self._ctx.template().teams if t.key == ticket.team), None)
        if team is None:
            return "On call:"
        fallback = f"{team.name} on call:"
        if team.rotation is None:
            return fallback
        try:
            person = await resolve_oncall(
                self._ctx.intake.chat, team.rotation, datetime.fromtimestamp(now, UTC)
            )
        except (RotationNotStarted, PermanentError):
            return fallback
        return f"<@{person.user.id}>" if person is not None else fallback

    async def _skip(self, ticket_id: str, target: str, mille: int, why: str) -> None:
        now = self._ctx.clock()
        await self._ctx.write(
            lambda conn: sla_store.update_reminder(conn, ticket_id, target, mille, now=now, skipped=why)
        )

    async def _posted(self, ticket_id: str, target: str, mille: int, ts: str) -> None:
        now = self._ctx.clock()
        await self._ctx.write(
            lambda conn: sla_store.update_reminder(conn, ticket_id, target, mille, now=now, posted_ts=ts)
        )

    def _refresh(self, ticket: Ticket) -> Callable[[Connection], bool]:
        now = self._ctx.clock()
        kind = SyncJobKind.REFRESH_REDIRECT
        return lambda conn: job_store.enqueue(
            conn, kind, {"ticket_id": ticket.id}, now=now, dedupe_key=f"{kind}:breached:{ticket.id}"
        )
