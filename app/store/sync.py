"""Jira webhook deliveries and the Slack message <-> Jira comment pairs of the two-way sync."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, or_, select, update

from app.store import tickets as ticket_store
from app.store.schema import jira_deliveries, mirrored_comments, tickets
from app.store.tickets import Ticket, insert_ignoring_conflicts

SLACK = "slack"
JIRA = "jira"


@dataclass(frozen=True)
class JiraDelivery:
    id: int
    identifier: str
    event: str
    issue_key: str
    ticket_id: str
    received_at: float
    body: str


@dataclass(frozen=True)
class Mirror:
    id: int
    ticket_id: str
    origin: str
    channel_id: str
    slack_ts: str | None
    jira_comment_id: str | None
    slack_edited_ts: str | None
    attempts: int
    deleted_at: float | None


# -- tickets ------------------------------------------------------------------------------------------
def ticket_for_issue(conn: Connection, *, issue_key: str, labels: tuple[str, ...]) -> Ticket | None:
    """The tracked ticket of a Jira issue: by its marker label when the payload lists labels (found even
    while the worker has not recorded the key yet), else by key."""
    markers = [label for label in labels if label.startswith("ib-")]
    condition: ColumnElement[bool] = (tickets.c.jira_key == issue_key) & (
        tickets.c.state == ticket_store.CREATED
    )
    if markers:
        condition = or_(
            condition,
            tickets.c.marker.in_(markers) & tickets.c.state.in_([ticket_store.PENDING, ticket_store.CREATED]),
        )
    row = conn.execute(select(tickets).where(condition).order_by(tickets.c.created_at)).mappings().first()
    return _ticket(row) if row is not None else None


def ticket_for_thread(conn: Connection, *, channel_id: str, thread_ts: str) -> Ticket | None:
    """The (oldest) ticket whose redirect lives in this thread: raised on its parent or on a reply.

    A ticket still being created on the thread's parent is returned too (its caller waits for it)."""
    row = (
        conn.execute(
            select(tickets)
            .where(
                (tickets.c.channel_id == channel_id)
                & tickets.c.state.in_([ticket_store.PENDING, ticket_store.CREATED])
                & or_(
                    tickets.c.thread_ts == thread_ts,
                    tickets.c.thread_ts.is_(None) & (tickets.c.message_ts == thread_ts),
                )
            )
            .order_by(tickets.c.created_at)
        )
        .mappings()
        .first()
    )
    return _ticket(row) if row is not None else None


# -- deliveries -----------------------------------------------------------------------------------------
def record_jira_delivery(
    conn: Connection, *, identifier: str, event: str, issue_key: str, ticket_id: str, body: str, now: float
) -> int | None:
    """Store a verified delivery; its id, or None when this identifier was stored before."""
    statement = insert_ignoring_conflicts(conn, jira_deliveries, ["identifier"]).returning(
        jira_deliveries.c.id
    )
    row = conn.execute(
        statement,
        {
            "identifier": identifier,
            "event": event,
            "issue_key": issue_key,
            "ticket_id": ticket_id,
            "received_at": now,
            "body": body,
        },
    ).first()
    return int(row[0]) if row is not None else None


def get_delivery(conn: Connection, delivery_id: int) -> JiraDelivery | None:
    row = conn.execute(select(jira_deliveries).where(jira_deliveries.c.id == delivery_id)).mappings().first()
    if row is None:
        return None
    return JiraDelivery(**{name: row[name] for name in JiraDelivery.__dataclass_fields__})


# -- mirrored comments ----------------------------------------------------------------------------------
def claim_slack_mirror(
    conn: Connection, *, ticket_id: str, channel_id: str, slack_ts: str, now: float
) -> Mirror:
    """The pair of a Slack reply, created (without a Jira comment yet) if it is new."""
    conn.execute(
        insert_ignoring_conflicts(conn, mirrored_comments, ["channel_id", "slack_ts"]),
        _new(ticket_id, SLACK, channel_id, now, slack_ts=slack_ts),
    )
    found = slack_mirror(conn, channel_id=channel_id, slack_ts=slack_ts)
    assert found is not None
    return found


def claim_jira_mirror(
    conn: Connection, *, ticket_id: str, channel_id: str, jira_comment_id: str, now: float
) -> Mirror:
    """The pair of a Jira comment, created (without a Slack message yet) if it is new."""
    conn.execute(
        insert_ignoring_conflicts(conn, mirrored_comments, ["jira_comment_id"]),
        _new(ticket_id, JIRA, channel_id, now, jira_comment_id=jira_comment_id),
    )
    found = jira_mirror(conn, jira_comment_id)
    assert found is not None
    return found


def slack_mirror(conn: Connection, *, channel_id: str, slack_ts: str) -> Mirror | None:
    row = (
        conn.execute(
            select(mirrored_comments).where(
                (mirrored_comments.c.channel_id == channel_id) & (mirrored_comments.c.slack_ts == slack_ts)
            )
        )
        .mappings()
        .first()
    )
    return _mirror(row) if row is not None else None


def jira_mirror(conn: Connection, jira_comment_id: str) -> Mirror | None:
    row = (
        conn.execute(select(mirrored_comments).where(mirrored_comments.c.jira_comment_id == jira_comment_id))
        .mappings()
        .first()
    )
    return _mirror(row) if row is not None else None


def update_mirror(conn: Connection, mirror_id: int, *, now: float, **values: Any) -> None:
    conn.execute(
        update(mirrored_comments).where(mirrored_comments.c.id == mirror_id).values(updated_at=now, **values)
    )


def take_attempt(conn: Connection, mirror_id: int, *, seen: int, now: float) -> bool:
    """Count an attempt before a non-idempotent call, if nobody counted one since we read `seen`.

    True means this caller makes the attempt; False that another worker is making (or made) it.
    """
    result = conn.execute(
        update(mirrored_comments)
        .where((mirrored_comments.c.id == mirror_id) & (mirrored_comments.c.attempts == seen))
        .values(attempts=mirrored_comments.c.attempts + 1, updated_at=now)
    )
    return result.rowcount == 1


def newer_edit(conn: Connection, mirror_id: int, edited_ts: str, *, now: float) -> bool:
    """Record `edited_ts` as the applied edit unless a newer one was applied; True when this one wins.

    Slack timestamps have a fixed width (10 digits, a dot, 6 digits), so they compare as strings.
    """
    column = mirrored_comments.c.slack_edited_ts
    result = conn.execute(
        update(mirrored_comments)
        .where((mirrored_comments.c.id == mirror_id) & or_(column.is_(None), column < edited_ts))
        .values(slack_edited_ts=edited_ts, updated_at=now)
    )
    return result.rowcount == 1


def _new(ticket_id: str, origin: str, channel_id: str, now: float, **values: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "origin": origin,
        "channel_id": channel_id,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        **values,
    }


def _mirror(row: Any) -> Mirror:
    return Mirror(**{name: row[name] for name in Mirror.__dataclass_fields__})


def _ticket(row: Any) -> Ticket:
    return Ticket(**{name: row[name] for name in Ticket.__dataclass_fields__})
