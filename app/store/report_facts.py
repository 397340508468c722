"""What the bridge's own store adds to a report: the Slack channel and the first response of its tickets.

Jira knows neither (a Slack reply by the on-call person is a first response Jira never saw), so
tickets the bridge raised are enriched from here; tickets created in Jira directly have neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from app.store.schema import sla_state, tickets


@dataclass(frozen=True, slots=True)
class TicketFacts:
    channel_id: str
    first_response_at: float | None


def facts_since(conn: Connection, since: float) -> dict[str, TicketFacts]:
    """Jira key → facts, for the bridge's tickets created at or after `since` (epoch seconds)."""
    query = (
        select(tickets.c.jira_key, tickets.c.channel_id, sla_state.c.first_response_at)
        .select_from(tickets.outerjoin(sla_state, sla_state.c.ticket_id == tickets.c.id))
        .where(tickets.c.jira_key.is_not(None) & (tickets.c.created_at >= since))
    )
    return {
        str(row.jira_key): TicketFacts(str(row.channel_id), row.first_response_at)
        for row in conn.execute(query)
    }
