"""The `handoffs` table: one row per (team, shift start) recording what the handoff has posted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, select, update

from app.store.schema import handoffs, tickets
from app.store.tickets import CREATED, insert_ignoring_conflicts


@dataclass(frozen=True)
class Handoff:
    team: str
    shift_start: float
    slack_user: str | None
    message_ts: str | None
    briefing_ts: str | None
    thanks_ts: str | None
    completed_at: float | None
    shadow_briefing_ts: str | None = None


def open_handoff(conn: Connection, team: str, shift_start: float, *, now: float) -> Handoff:
    """The handoff's row, created on first use."""
    conn.execute(
        insert_ignoring_conflicts(conn, handoffs, ["team", "shift_start"]),
        {"team": team, "shift_start": shift_start, "created_at": now, "updated_at": now},
    )
    row = conn.execute(
        select(handoffs).where(and_(handoffs.c.team == team, handoffs.c.shift_start == shift_start))
    ).one()
    return Handoff(
        team=row.team,
        shift_start=row.shift_start,
        slack_user=row.slack_user,
        message_ts=row.message_ts,
        briefing_ts=row.briefing_ts,
        thanks_ts=row.thanks_ts,
        completed_at=row.completed_at,
        shadow_briefing_ts=row.shadow_briefing_ts,
    )


def update_handoff(conn: Connection, team: str, shift_start: float, *, now: float, **values: object) -> None:
    conn.execute(
        update(handoffs)
        .where(and_(handoffs.c.team == team, handoffs.c.shift_start == shift_start))
        .values(**values, updated_at=now)
    )


def tickets_created_between(
    conn: Connection, team: str, start: float, end: float, *, limit: int = 200
) -> list[tuple[str, str]]:
    """(Jira key, URL) of the team's tickets raised in [start, end), oldest first."""
    rows = conn.execute(
        select(tickets.c.jira_key, tickets.c.jira_url)
        .where(
            (tickets.c.team == team)
            & (tickets.c.state == CREATED)
            & (tickets.c.created_at >= start)
            & (tickets.c.created_at < end)
            & tickets.c.jira_key.is_not(None)
        )
        .order_by(tickets.c.created_at, tickets.c.id)
        .limit(limit)
    ).all()
    return [(str(key), str(url or "")) for key, url in rows]
