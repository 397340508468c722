"""SLA state per ticket and its reminders: the facts the SLA clock is computed from.

Targets are not stored: they follow the ticket's current priority and the template, so a priority
change or a new template moves the due times. Only what happened is stored (first response with its
source, resolution, the last Jira status) and which reminders were claimed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from app.domain.jira_events import JiraUser
from app.store import tickets as ticket_store
from app.store.schema import sla_reminders, sla_state, tickets
from app.store.tickets import Ticket, insert_ignoring_conflicts


@dataclass(frozen=True)
class SlaState:
    ticket_id: str
    first_response_at: float | None = None
    first_response_source: str | None = None
    first_response_by: str | None = None
    resolved_at: float | None = None
    status: str | None = None
    jira_reporter: JiraUser | None = None


@dataclass(frozen=True)
class ReminderRow:
    ticket_id: str
    target: str
    permille: int
    attempts: int
    posted_ts: str | None
    skipped: str | None


def get_state(conn: Connection, ticket_id: str) -> SlaState:
    row = conn.execute(select(sla_state).where(sla_state.c.ticket_id == ticket_id)).mappings().first()
    return _state(row) if row is not None else SlaState(ticket_id)


def _ensure(conn: Connection, ticket_id: str, now: float) -> None:
    conn.execute(
        insert_ignoring_conflicts(conn, sla_state, ["ticket_id"]),
        {"ticket_id": ticket_id, "updated_at": now},
    )


def record_first_response(
    conn: Connection, ticket_id: str, *, at: float, source: str, by: str | None, now: float
) -> bool:
    """Keep the earliest first response; True when this one is it (first, or earlier than the one known)."""
    _ensure(conn, ticket_id, now)
    result = conn.execute(
        update(sla_state)
        .where(
            (sla_state.c.ticket_id == ticket_id)
            & or_(sla_state.c.first_response_at.is_(None), sla_state.c.first_response_at > at)
        )
        .values(first_response_at=at, first_response_source=source, first_response_by=by, updated_at=now)
    )
    return result.rowcount == 1


def set_resolved(conn: Connection, ticket_id: str, *, at: float | None, now: float) -> None:
    """Resolved at `at`, or reopened (None): the resolution clock runs again from the original start."""
    _ensure(conn, ticket_id, now)
    conn.execute(
        update(sla_state).where(sla_state.c.ticket_id == ticket_id).values(resolved_at=at, updated_at=now)
    )


def set_status(conn: Connection, ticket_id: str, *, status: str, now: float) -> None:
    _ensure(conn, ticket_id, now)
    conn.execute(
        update(sla_state).where(sla_state.c.ticket_id == ticket_id).values(status=status, updated_at=now)
    )


def set_reporter(conn: Connection, ticket_id: str, reporter: JiraUser, *, now: float) -> None:
    _ensure(conn, ticket_id, now)
    conn.execute(
        update(sla_state)
        .where(sla_state.c.ticket_id == ticket_id)
        .values(jira_reporter=json.dumps(reporter.to_json()), updated_at=now)
    )


def open_tickets(conn: Connection, *, team: str | None = None) -> list[tuple[Ticket, SlaState]]:
    """Tickets with a Jira issue that no webhook has reported resolved, oldest first."""
    query = (
        select(tickets, *[c.label(f"sla_{c.name}") for c in sla_state.c])
        .select_from(tickets.outerjoin(sla_state, sla_state.c.ticket_id == tickets.c.id))
        .where((tickets.c.state == ticket_store.CREATED) & sla_state.c.resolved_at.is_(None))
        .order_by(tickets.c.created_at)
    )
    if team is not None:
        query = query.where(tickets.c.team == team)
    found: list[tuple[Ticket, SlaState]] = []
    for row in conn.execute(query).mappings():
        ticket = Ticket(**{name: row[name] for name in Ticket.__dataclass_fields__})
        sla = {c.name: row[f"sla_{c.name}"] for c in sla_state.c}
        found.append((ticket, _state(sla) if sla["ticket_id"] is not None else SlaState(ticket.id)))
    return found


# -- reminders ----------------------------------------------------------------------------------------
def claim_reminder(
    conn: Connection, ticket_id: str, target: str, permille: int, *, now: float, skipped: str | None = None
) -> bool:
    """Claim a threshold of a ticket's target; False when it was claimed before (by anyone, ever)."""
    statement = insert_ignoring_conflicts(conn, sla_reminders, ["ticket_id", "target", "permille"]).returning(
        sla_reminders.c.ticket_id
    )
    values = {
        "ticket_id": ticket_id,
        "target": target,
        "permille": permille,
        "attempts": 0,
        "skipped": skipped,
        "created_at": now,
        "updated_at": now,
    }
    return conn.execute(statement, values).first() is not None


def claimed_reminders(conn: Connection, ticket_ids: list[str]) -> set[tuple[str, str, int]]:
    """(ticket, target, permille) of every threshold of these tickets that has been claimed."""
    claimed: set[tuple[str, str, int]] = set()
    for start in range(0, len(ticket_ids), 500):  # bounded IN lists
        query = select(sla_reminders.c.ticket_id, sla_reminders.c.target, sla_reminders.c.permille).where(
            sla_reminders.c.ticket_id.in_(ticket_ids[start : start + 500])
        )
        claimed.update((row[0], row[1], row[2]) for row in conn.execute(query))
    return claimed


def get_reminder(conn: Connection, ticket_id: str, target: str, permille: int) -> ReminderRow | None:
    row = conn.execute(select(sla_reminders).where(_reminder(ticket_id, target, permille))).mappings().first()
    if row is None:
        return None
    return ReminderRow(
        ticket_id=row["ticket_id"],
        target=row["target"],
        permille=row["permille"],
        attempts=row["attempts"],
        posted_ts=row["posted_ts"],
        skipped=row["skipped"],
    )


def update_reminder(
    conn: Connection, ticket_id: str, target: str, permille: int, *, now: float, **values: Any
) -> None:
    conn.execute(
        update(sla_reminders).where(_reminder(ticket_id, target, permille)).values(updated_at=now, **values)
    )


def bump_reminder(conn: Connection, ticket_id: str, target: str, permille: int, *, now: float) -> None:
    """Count a post attempt before making it, so a retry knows to look for the earlier post first."""
    conn.execute(
        update(sla_reminders)
        .where(_reminder(ticket_id, target, permille))
        .values(attempts=sla_reminders.c.attempts + 1, updated_at=now)
    )


def _reminder(ticket_id: str, target: str, permille: int) -> Any:
    return and_(
        sla_reminders.c.ticket_id == ticket_id,
        sla_reminders.c.target == target,
        sla_reminders.c.permille == permille,
    )


def _state(row: Any) -> SlaState:
    reporter = row["jira_reporter"]
    return SlaState(
        ticket_id=row["ticket_id"],
        first_response_at=row["first_response_at"],
        first_response_source=row["first_response_source"],
        first_response_by=row["first_response_by"],
        resolved_at=row["resolved_at"],
        status=row["status"],
        jira_reporter=JiraUser.from_json(json.loads(reporter)) if reporter else None,
    )
