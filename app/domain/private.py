"""Private requests: raised from a DM with the bot, tracked in the requester's DM thread, never shown in
a public channel. Pure functions of the template and the ticket's facts.

What may be said outside the DM (the on-call notice) is the ticket link, the team, the bucket and
the priority; never the request's text, summary or requester.
"""

from __future__ import annotations

from dataclasses import replace

from app.config.template import Template
from app.domain.models import TicketDraft

PRIVATE_SOURCE = "private"
"""`tickets.source` of a private request (the intake modal opened from "Ask privately")."""


def is_private(source: str) -> bool:
    return source == PRIVATE_SOURCE


def private_draft(template: Template, draft: TicketDraft, *, team: str, bucket: str) -> TicketDraft:
    """`draft` with the private label and, where the template configures one, the security level."""
    options = template.private
    labels = draft.labels if options.label in draft.labels else [*draft.labels, options.label]
    fields = dict(draft.fields)
    level = options.security_field(team, bucket)
    if level is not None:
        fields["security"] = level
    return replace(draft, labels=labels, fields=fields)


def triage_channel(template: Template, team: str) -> str | None:
    """Where the on-call person hears of the team's private requests; None means by DM."""
    return template.private.triage_channels.get(team) or template.sla.triage_channels.get(team)


def private_answer_text(*, ticket_key: str, ticket_url: str, team_name: str) -> str:
    """The answer in the requester's DM thread once the ticket exists."""
    return (
        f":lock: Thanks, your private request is tracked as <{ticket_url}|{ticket_key}>. Nothing was posted "
        f"in a channel: the {team_name} on-call person has the link, and replies here go to the ticket."
    )


def oncall_notice_text(
    *, ticket_key: str, ticket_url: str, team_name: str, bucket_name: str, priority: str, mentions: str
) -> str:
    """The on-call person's notice of a private request: the link and the triage facts, no text."""
    who = f"{mentions} " if mentions else ""
    return (
        f":lock: {who}a private request for *{team_name}* came in: <{ticket_url}|{ticket_key}> "
        f"({bucket_name}, {priority}). Its details are in Jira only; please answer there or in its "
        "Jira comments, which reach the requester."
    )
