"""What the SLA and sync job handlers share: their job kinds, dependencies and small helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from app.config.sla import JiraSync, SlaPolicy, policy_of, sync_of
from app.config.template import Template
from app.domain.sla import Calendar, SlaClock, calendar_for, sla_clock
from app.domain.sync_ports import SyncTracker
from app.store.sla import SlaState
from app.store.tickets import Ticket
from app.worker.ticket_jobs import IntakeContext

T = TypeVar("T")

# Slack message metadata of the sync's own posts: a retried post looks for its earlier attempt by it,
# and the thread-reply handler never mirrors a message carrying it back to Jira.
SYNC_METADATA_TYPE = "interrupt_bridge_sync"


class SyncJobKind(StrEnum):
    """Job kinds of the SLA clock and the two-way sync (names stored in the job table)."""

    JIRA_EVENT = "jira.event"  # one verified webhook delivery: record state, fan out the posts below
    STATUS_MESSAGE = "jira.status_message"
    RESOLVED = "jira.resolved"  # reaction on the original message + the prevention prompt
    COMMENT_TO_SLACK = "jira.comment_to_slack"
    COMMENT_EDITED_IN_JIRA = "jira.comment_edited"
    REFRESH_REDIRECT = "sla.redirect"  # the redirect reply's status and SLA line
    SLA_SCAN = "sla.scan"  # which reminder thresholds were crossed
    SLA_REMIND = "sla.remind"
    THREAD_MESSAGE = "thread.message"  # a reply, edit or deletion in a ticket's thread, to Jira
    PREVENTION_NOTE = "ticket.prevention_note"


@dataclass
class SyncContext:
    intake: IntakeContext
    tracker: SyncTracker
    sla: Callable[[Template], SlaPolicy] = field(default=policy_of)
    sync: Callable[[Template], JiraSync] = field(default=sync_of)

    @property
    def clock(self) -> Callable[[], float]:
        return self.intake.clock

    def template(self) -> Template:
        return self.intake.template()

    def policy(self) -> SlaPolicy:
        return self.sla(self.template())

    def options(self) -> JiraSync:
        return self.sync(self.template())

    async def read(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self.intake.engine.connect() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self.intake.engine.begin() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)


def team_zone(template: Template, policy: SlaPolicy, team: str) -> ZoneInfo:
    """Where the team's times are shown: its rotation's zone, else the policy's."""
    found = next((t for t in template.teams if t.key == team), None)
    return found.rotation.zone if found is not None and found.rotation is not None else policy.zone


def ticket_calendar(template: Template, policy: SlaPolicy, ticket: Ticket) -> Calendar | None:
    """The calendar the ticket's clock counts on; None when its priority has no target."""
    target = policy.target(ticket.priority)
    team = next((t for t in template.teams if t.key == ticket.team), None)
    if target is None or team is None:  # no target, or a team since removed from the template
        return None
    return calendar_for(team.rotation, target.clock, default_zone=policy.zone)


def ticket_clock(
    template: Template, policy: SlaPolicy, ticket: Ticket, state: SlaState, *, now: float
) -> SlaClock | None:
    """The ticket's SLA clock as of `now`; None when its priority has no target."""
    target = policy.target(ticket.priority)
    calendar = ticket_calendar(template, policy, ticket)
    if target is None or calendar is None:
        return None
    return sla_clock(
        target,
        calendar,
        started_at=at_epoch(ticket.created_at),
        now=at_epoch(max(now, ticket.created_at)),
        first_response_at=at_epoch(state.first_response_at) if state.first_response_at is not None else None,
        first_response_source=state.first_response_source,
        resolved_at=at_epoch(state.resolved_at) if state.resolved_at is not None else None,
    )


def at_epoch(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
