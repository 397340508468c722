"""The bounded JQL of a report: the interrupt label, a time window, and the team's project and labels.

JQL dates are read in the Jira user's own time zone, which the bridge does not know; the window is
therefore widened by a day on each side and the exact period is applied to the issues' `created`
timestamps (which carry their offset) when the figures are computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from app.domain.report_models import Period

REPORT_FIELDS: tuple[str, ...] = (
    "summary",
    "created",
    "resolutiondate",
    "priority",
    "labels",
    "project",
    "reporter",
    "status",
)
"""Only what the figures need: Cloud pages 100 issues at a time with fields, and bytes add up."""


@dataclass(frozen=True)
class TeamScope:
    """Which issues are a team's: its Jira project and the labels the bridge puts on its tickets."""

    key: str
    project: str
    labels: tuple[str, ...] = ()


def jql_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def scope_clause(scope: TeamScope) -> str:
    parts = [f"project = {jql_string(scope.project)}"]
    parts += [f"labels = {jql_string(label)}" for label in scope.labels]
    return " AND ".join(parts)


def interrupt_clause(labels: Sequence[str], scopes: Sequence[TeamScope]) -> str:
    """Every interrupt label, restricted to the given teams' projects (all projects when none)."""
    parts = [f"labels = {jql_string(label)}" for label in labels]
    if len(scopes) == 1:
        parts.append(scope_clause(scopes[0]))
    elif scopes:
        projects = sorted({s.project for s in scopes})
        parts.append(f"project in ({', '.join(jql_string(p) for p in projects)})")
    return " AND ".join(parts)


def report_jql(labels: Sequence[str], scopes: Sequence[TeamScope], period: Period) -> str:
    """Issues created in `period` and the period before it (for trends), oldest first."""
    first = period.previous().start - timedelta(days=1)
    last = period.end + timedelta(days=1)
    window = f'created >= "{first:%Y-%m-%d}" AND created < "{last:%Y-%m-%d}"'
    return f"{interrupt_clause(labels, scopes)} AND {window} ORDER BY created ASC"


def team_of(project: str, labels: frozenset[str], scopes: Sequence[TeamScope]) -> str | None:
    """The team an issue belongs to: same project and all the team's labels (the most specific wins)."""
    best: TeamScope | None = None
    for scope in scopes:
        fits = scope.project == project and set(scope.labels) <= labels
        if fits and (best is None or len(scope.labels) > len(best.labels)):
            best = scope
    return best.key if best is not None else None
