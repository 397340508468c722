"""Deliveries and tickets: what the ack path records and what the worker moves forward."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Insert, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.store.schema import slack_deliveries, tickets

PENDING = "pending"
CREATED = "created"
IGNORED = "ignored"


@dataclass(frozen=True)
class Ticket:
    id: str
    team: str
    channel_id: str
    message_ts: str
    thread_ts: str | None
    bucket: str
    priority: str
    source: str
    requester_id: str | None
    reactor_id: str | None
    state: str
    ignored_reason: str | None
    marker: str
    jira_key: str | None
    jira_url: str | None
    create_attempts: int
    reply_ts: str | None
    reply_attempts: int
    form: str | None
    request_post_attempts: int
    created_at: float


def insert_ignoring_conflicts(conn: Connection, table: Table, conflict_columns: list[str]) -> Insert:
    insert = postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
    return insert.on_conflict_do_nothing(index_elements=conflict_columns)


def record_delivery(
    conn: Connection, *, dedupe_key: str, kind: str, body: str, retry_num: int, now: float
) -> bool:
    """Store a verified delivery; False when this delivery (same event_id) was stored before."""
    statement = insert_ignoring_conflicts(conn, slack_deliveries, ["dedupe_key"]).returning(
        slack_deliveries.c.id
    )
    result = conn.execute(
        statement,
        {"dedupe_key": dedupe_key, "kind": kind, "received_at": now, "retry_num": retry_num, "body": body},
    )
    # RETURNING, not rowcount: psycopg reports -1 for an insert that returns rows
    return result.first() is not None


def open_ticket(
    conn: Connection,
    *,
    ticket_id: str,
    team: str,
    channel_id: str,
    message_ts: str,
    bucket: str,
    priority: str,
    source: str,
    reactor_id: str | None,
    now: float,
) -> bool:
    """Claim the source message for a new ticket; False when the message is already tracked."""
    statement = insert_ignoring_conflicts(conn, tickets, ["team", "channel_id", "message_ts"]).returning(
        tickets.c.id
    )
    result = conn.execute(
        statement,
        {
            "id": ticket_id,
            "team": team,
            "channel_id": channel_id,
            "message_ts": message_ts,
            "bucket": bucket,
            "priority": priority,
            "source": source,
            "reactor_id": reactor_id,
            "state": PENDING,
            "marker": marker_for(ticket_id),
            "create_attempts": 0,
            "reply_attempts": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    return result.first() is not None


def open_form_ticket(
    conn: Connection,
    *,
    ticket_id: str,
    team: str,
    channel_id: str,
    message_ts: str | None,
    thread_ts: str | None,
    bucket: str,
    priority: str,
    source: str,
    requester_id: str,
    form_json: str,
    now: float,
) -> bool:
    """A ticket raised through the modal. Without a source message (global shortcut, slash
    command) the request is posted by the worker first; until then `message_ts` holds a
    placeholder unique to the ticket. False when the source message is already tracked."""
    statement = insert_ignoring_conflicts(conn, tickets, ["team", "channel_id", "message_ts"]).returning(
        tickets.c.id
    )
    result = conn.execute(
        statement,
        {
            "id": ticket_id,
            "team": team,
            "channel_id": channel_id,
            "message_ts": message_ts or pending_message_ts(ticket_id),
            "thread_ts": thread_ts,
            "bucket": bucket,
            "priority": priority,
            "source": source,
            "requester_id": requester_id,
            "reactor_id": None,
            "state": PENDING,
            "marker": marker_for(ticket_id),
            "form": form_json,
            "create_attempts": 0,
            "reply_attempts": 0,
            "request_post_attempts": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    return result.first() is not None


PENDING_MESSAGE_PREFIX = "pending:"


def pending_message_ts(ticket_id: str) -> str:
    return f"{PENDING_MESSAGE_PREFIX}{ticket_id[:24]}"


def marker_for(ticket_id: str) -> str:
    """The Jira label that lets a retried create find the issue an earlier attempt made."""
    return f"ib-{ticket_id}"


def get_ticket(conn: Connection, ticket_id: str) -> Ticket | None:
    row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
    return _ticket(row) if row is not None else None


def get_ticket_by_source(conn: Connection, *, team: str, channel_id: str, message_ts: str) -> Ticket | None:
    row = (
        conn.execute(
            select(tickets).where(
                (tickets.c.team == team)
                & (tickets.c.channel_id == channel_id)
                & (tickets.c.message_ts == message_ts)
            )
        )
        .mappings()
        .first()
    )
    return _ticket(row) if row is not None else None


def update_ticket(conn: Connection, ticket_id: str, *, now: float, **values: Any) -> None:
    conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(updated_at=now, **values))


def bump(conn: Connection, ticket_id: str, column: str, *, now: float) -> None:
    """Count an attempt *before* making a non-idempotent call, so a crash mid-call is detectable."""
    col = tickets.c[column]
    conn.execute(update(tickets).where(tickets.c.id == ticket_id).values({col: col + 1, "updated_at": now}))


def _ticket(row: Any) -> Ticket:
    return Ticket(**{name: row[name] for name in Ticket.__dataclass_fields__})
