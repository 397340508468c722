"""FAQ state: the request text of each ticket, "This solved it" clicks and proposed answers.

- `faq_requests`: what the requester asked (the message or the form's summary and description),
  stored when the ticket is created, so the redirect reply (and its refreshes) can be matched
  against the FAQ without reading Slack again, and a proposed answer knows its question.
- `faq_deflections`: one row per ticket whose requester clicked "This solved it"; the primary key
  makes the resolution happen once, however often the button is clicked.
- `faq_candidates`: replies proposed as answers (a `:book:` reaction in a ticket's thread), one per
  reply, for `interrupt-bridge faq candidates`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Float, String, Table, Text, UniqueConstraint, select

from app.store.schema import _Id, metadata
from app.store.tickets import insert_ignoring_conflicts

faq_requests = Table(
    "faq_requests",
    metadata,
    Column("ticket_id", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

faq_deflections = Table(
    "faq_deflections",
    metadata,
    Column("ticket_id", String(32), primary_key=True),
    Column("entry_id", String(64), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("resolved_at", Float),  # when the Jira issue was resolved and labelled
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

faq_candidates = Table(
    "faq_candidates",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("ticket_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("reply_ts", String(32), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("answered_by", String(32), nullable=False),
    Column("proposed_by", String(32), nullable=False),
    Column("team", String(64), nullable=False),
    Column("bucket", String(64), nullable=False),
    Column("jira_key", String(64)),
    Column("state", String(16), nullable=False),  # open (room for accepted | rejected later)
    Column("created_at", Float, nullable=False),
    UniqueConstraint("channel_id", "reply_ts", name="uq_faq_candidates_reply"),
)


@dataclass(frozen=True)
class Candidate:
    id: int
    ticket_id: str
    channel_id: str
    reply_ts: str
    question: str
    answer: str
    answered_by: str
    proposed_by: str
    team: str
    bucket: str
    jira_key: str | None
    state: str
    created_at: float


def remember_request(conn: Connection, ticket_id: str, text: str, *, now: float) -> None:
    """Store the ticket's request text once (a retried create keeps the first)."""
    statement = insert_ignoring_conflicts(conn, faq_requests, ["ticket_id"])
    conn.execute(statement, {"ticket_id": ticket_id, "text": text, "created_at": now})


def request_text(conn: Connection, ticket_id: str) -> str | None:
    row = conn.execute(select(faq_requests.c.text).where(faq_requests.c.ticket_id == ticket_id)).first()
    return None if row is None else str(row[0])


def claim_deflection(conn: Connection, ticket_id: str, *, entry_id: str, user_id: str, now: float) -> bool:
    """Record "This solved it" for the ticket; False when it was recorded before (by anyone)."""
    statement = insert_ignoring_conflicts(conn, faq_deflections, ["ticket_id"]).returning(
        faq_deflections.c.ticket_id
    )
    values = {"ticket_id": ticket_id, "entry_id": entry_id, "user_id": user_id}
    result = conn.execute(statement, {**values, "created_at": now, "updated_at": now})
    return result.first() is not None


def deflection(conn: Connection, ticket_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(faq_deflections).where(faq_deflections.c.ticket_id == ticket_id)).mappings()
    found = row.first()
    return None if found is None else dict(found)


def mark_resolved(conn: Connection, ticket_id: str, *, now: float) -> None:
    conn.execute(
        faq_deflections.update()
        .where(faq_deflections.c.ticket_id == ticket_id)
        .values(resolved_at=now, updated_at=now)
    )


def propose(conn: Connection, candidate: dict[str, Any]) -> bool:
    """Store a proposed answer; False when this reply was proposed before."""
    statement = insert_ignoring_conflicts(conn, faq_candidates, ["channel_id", "reply_ts"]).returning(
        faq_candidates.c.id
    )
    return conn.execute(statement, {"state": "open", **candidate}).first() is not None


def candidates(conn: Connection, *, state: str | None = "open", team: str | None = None) -> list[Candidate]:
    query = select(faq_candidates).order_by(faq_candidates.c.created_at, faq_candidates.c.id)
    if state is not None:
        query = query.where(faq_candidates.c.state == state)
    if team is not None:
        query = query.where(faq_candidates.c.team == team)
    return [Candidate(**dict(row)) for row in conn.execute(query).mappings()]


__all__ = ["Candidate"]
