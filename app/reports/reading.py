"""Jira search results as report records: team from project and labels, bucket from `bucket-<key>`,
SLA outcomes from the template's targets and the bridge's first responses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.config.sla import SlaPolicy, policy_of, sync_of
from app.config.template import Template
from app.domain.faq import FAQ_DEFLECTED_LABEL
from app.domain.report_models import ReportIssue
from app.domain.report_query import TeamScope, team_of
from app.domain.report_sla import sla_outcomes
from app.domain.sla import Calendar, calendar_for
from app.store.report_facts import TicketFacts

BUCKET_PREFIX = "bucket-"


@dataclass
class ReportContext:
    """What reading an issue needs from the workflow template."""

    template: Template
    interrupt_labels: tuple[str, ...]
    scopes: tuple[TeamScope, ...]
    prevention_label: str | None
    policy: SlaPolicy
    private_label: str
    _calendars: dict[tuple[str, str], Calendar] = field(default_factory=dict)

    @classmethod
    def of(cls, template: Template) -> ReportContext:
        return cls(
            template=template,
            interrupt_labels=tuple(template.defaults.labels),
            scopes=tuple(TeamScope(t.key, t.jira.project, tuple(t.jira.labels)) for t in template.teams),
            prevention_label=sync_of(template).prevention_label,
            policy=policy_of(template),
            private_label=template.private.label,
        )

    def scope(self, team: str) -> TeamScope | None:
        return next((s for s in self.scopes if s.key == team), None)

    def calendar(self, team: str, clock: str) -> Calendar:
        found = self._calendars.get((team, clock))
        if found is None:
            rotation = next((t.rotation for t in self.template.teams if t.key == team), None)
            found = calendar_for(rotation, clock, default_zone=self.policy.zone)  # type: ignore[arg-type]
            self._calendars[(team, clock)] = found
        return found


def jira_datetime(raw: Any) -> datetime | None:
    """Jira's `2024-03-11T09:15:02.000+0100` as an aware datetime (None when absent or unreadable)."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        found = value.get("name") or value.get("key")
        return str(found) if found else None
    return None


def read_issue(
    raw: Mapping[str, Any], ctx: ReportContext, facts: Mapping[str, TicketFacts], *, now: datetime
) -> ReportIssue | None:
    """One report record, or None for an issue without a readable `created` timestamp."""
    fields = raw.get("fields") or {}
    created = jira_datetime(fields.get("created"))
    if created is None:
        return None
    key = str(raw.get("key", ""))
    labels = frozenset(str(label) for label in fields.get("labels") or ())
    project = fields.get("project") or {}
    team = team_of(str(project.get("key", "")) if isinstance(project, dict) else "", labels, ctx.scopes)
    buckets = sorted(label.removeprefix(BUCKET_PREFIX) for label in labels if label.startswith(BUCKET_PREFIX))
    priority = _name(fields.get("priority"))
    resolved = jira_datetime(fields.get("resolutiondate"))
    reporter = fields.get("reporter") or {}
    fact = facts.get(key)
    first_response = (
        datetime.fromtimestamp(fact.first_response_at, created.tzinfo)
        if fact is not None and fact.first_response_at is not None
        else None
    )
    response_met: bool | None = None
    resolution_met: bool | None = None
    target = ctx.policy.target(priority) if priority else None
    if target is not None and team is not None:
        response_met, resolution_met = sla_outcomes(
            target,
            ctx.calendar(team, target.clock),
            created=created,
            first_response=first_response,
            resolved=resolved,
            now=now,
        )
    return ReportIssue(
        key=key,
        created=created,
        summary=str(fields.get("summary") or ""),
        team=team,
        bucket=buckets[0] if buckets else None,
        priority=priority,
        resolved=resolved,
        requester=reporter.get("displayName") if isinstance(reporter, dict) else None,
        channel=fact.channel_id if fact is not None else None,
        private=ctx.private_label in labels,
        prevention_noted=ctx.prevention_label is not None and ctx.prevention_label in labels,
        # Jira's label counts tickets the bridge did not raise; the store fills in a label not set (yet)
        faq_deflected=FAQ_DEFLECTED_LABEL in labels or (fact is not None and fact.faq_deflected),
        first_response=first_response,
        sla_first_response_met=response_met,
        sla_resolution_met=resolution_met,
    )
