"""What the bridge's own store adds to a report: the Slack channel and the first response of its tickets,
whether the FAQ answered them, and the open FAQ candidates.

Jira knows neither channel nor first response (a Slack reply by the on-call person is a first response
Jira never saw), so tickets the bridge raised are enriched from here; tickets created in Jira directly
have neither. "Answered by the FAQ" is read from Jira's `faq-deflected` label first; the store's
"This solved it" record only fills in when the label is missing (e.g. the resolve job has not run yet).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from app.domain.private import is_private
from app.domain.report_models import OpenFaqCandidate
from app.store.faq import faq_candidates, faq_deflections
from app.store.schema import sla_state, tickets


@dataclass(frozen=True, slots=True)
class TicketFacts:
    channel_id: str
    first_response_at: float | None
    faq_deflected: bool = False
    """The requester clicked "This solved it" (`faq_deflections`)."""


def facts_since(conn: Connection, since: float) -> dict[str, TicketFacts]:
    """Jira key → facts, for the bridge's tickets created at or after `since` (epoch seconds)."""
    query = (
        select(
            tickets.c.jira_key,
            tickets.c.channel_id,
            sla_state.c.first_response_at,
            faq_deflections.c.ticket_id.label("deflected"),
        )
        .select_from(
            tickets.outerjoin(sla_state, sla_state.c.ticket_id == tickets.c.id).outerjoin(
                faq_deflections, faq_deflections.c.ticket_id == tickets.c.id
            )
        )
        .where(tickets.c.jira_key.is_not(None) & (tickets.c.created_at >= since))
    )
    return {
        str(row.jira_key): TicketFacts(str(row.channel_id), row.first_response_at, row.deflected is not None)
        for row in conn.execute(query)
    }


def open_candidates(conn: Connection, *, team: str | None = None) -> list[OpenFaqCandidate]:
    """The open FAQ candidates (of `team`), each marked private when its ticket came in privately."""
    query = (
        select(faq_candidates, tickets.c.source)
        .select_from(faq_candidates.outerjoin(tickets, tickets.c.id == faq_candidates.c.ticket_id))
        .where(faq_candidates.c.state == "open")
    )
    if team is not None:
        query = query.where(faq_candidates.c.team == team)
    return [
        OpenFaqCandidate(
            question=str(row.question),
            answer=str(row.answer),
            jira_key=row.jira_key,
            proposed_by=str(row.proposed_by),
            team=str(row.team),
            bucket=str(row.bucket),
            created_at=float(row.created_at),
            # a candidate whose ticket row is gone cannot be shown to be public: not quoted
            private=row.source is None or is_private(str(row.source)),
        )
        for row in conn.execute(query)
    ]
