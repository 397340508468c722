"""The Jira saved filters that show the report's picture on Jira dashboards, and how to reconcile them.

One filter per team and bucket, plus "open interrupts", "breached" and "no prevention note". Jira
does not know the bridge's SLA clock, so "breached" is an approximation Jira can evaluate: open
interrupts older than their priority's resolution target counted in calendar time (business-hours
targets make the real clock slower, so the filter errs on the side of showing a ticket).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.domain.report_query import TeamScope, interrupt_clause, jql_string

PREFIX = "Interrupts"


@dataclass(frozen=True)
class SavedFilter:
    name: str
    jql: str
    description: str


@dataclass(frozen=True)
class ExistingFilter:
    id: str
    name: str
    jql: str
    description: str | None


@dataclass(frozen=True)
class FilterPlan:
    create: tuple[SavedFilter, ...]
    update: tuple[tuple[str, SavedFilter], ...]
    """(id of the existing filter, what it should be)."""
    unchanged: tuple[SavedFilter, ...]


def wanted_filters(
    *,
    labels: Sequence[str],
    scopes: Sequence[TeamScope],
    buckets: Sequence[str],
    resolution_targets_s: Mapping[str, float],
    prevention_label: str | None,
) -> list[SavedFilter]:
    """Every filter the report defines, for `scopes` (all teams, or one)."""
    everyone = interrupt_clause(labels, scopes)
    found: list[SavedFilter] = []
    for scope in scopes:
        for bucket in buckets:
            where = f"{interrupt_clause(labels, [scope])} AND labels = {jql_string('bucket-' + bucket)}"
            found.append(
                SavedFilter(
                    f"{PREFIX}: {scope.key} / {bucket}",
                    f"{where} ORDER BY created DESC",
                    f"Interrupts of team {scope.key} in bucket {bucket} (managed by interrupt-bridge).",
                )
            )
    open_where = f"{everyone} AND statusCategory != Done"
    found.append(
        SavedFilter(
            f"{PREFIX}: open",
            f"{open_where} ORDER BY created ASC",
            "Open interrupt tickets, oldest first (managed by interrupt-bridge).",
        )
    )
    overdue = [
        f"(priority = {jql_string(priority)} AND created <= {jql_string(_age(seconds))})"
        for priority, seconds in sorted(resolution_targets_s.items())
    ]
    if overdue:
        found.append(
            SavedFilter(
                f"{PREFIX}: breached",
                f"{open_where} AND ({' OR '.join(overdue)}) ORDER BY created ASC",
                "Open interrupts older than their priority's resolution target, in calendar time "
                "(managed by interrupt-bridge).",
            )
        )
    if prevention_label is not None:
        found.append(
            SavedFilter(
                f"{PREFIX}: no prevention note",
                f"{everyone} AND statusCategory = Done AND labels not in ({jql_string(prevention_label)}) "
                "ORDER BY resolutiondate DESC",
                "Resolved interrupts nobody wrote a prevention note for (managed by interrupt-bridge).",
            )
        )
    return found


def _age(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"-{minutes}m"


def plan(wanted: Sequence[SavedFilter], existing: Sequence[ExistingFilter]) -> FilterPlan:
    """What to create and update so that the user's filters match `wanted` (matched by name)."""
    by_name = {f.name: f for f in existing}
    create, update, unchanged = [], [], []
    for want in wanted:
        have = by_name.get(want.name)
        if have is None:
            create.append(want)
        elif have.jql.strip() != want.jql or (have.description or "") != want.description:
            update.append((have.id, want))
        else:
            unchanged.append(want)
    return FilterPlan(tuple(create), tuple(update), tuple(unchanged))
