"""One report from end to end: the bounded JQL, the paged search, the records, the figures."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from app.adapters.jira_search import JiraIssueSearch, Progress
from app.config.template import Template
from app.domain.report_figures import InterruptReport, build_report
from app.domain.report_models import OpenFaqCandidate, Period, ReportIssue
from app.domain.report_query import REPORT_FIELDS, report_jql
from app.reports.reading import ReportContext, read_issue
from app.store.report_facts import TicketFacts


class UnknownTeam(ValueError):
    pass


def report_query(template: Template, period: Period, team: str | None) -> tuple[ReportContext, str]:
    """The template's reading context and the report's JQL; `UnknownTeam` for a team not in it."""
    ctx = ReportContext.of(template)
    scopes = ctx.scopes
    if team is not None:
        scope = ctx.scope(team)
        if scope is None:
            known = ", ".join(s.key for s in ctx.scopes) or "none"
            raise UnknownTeam(f"unknown team {team!r} (teams: {known})")
        scopes = (scope,)
    return ctx, report_jql(ctx.interrupt_labels, scopes, period)


def fetch_issues(
    search: JiraIssueSearch,
    template: Template,
    period: Period,
    *,
    team: str | None = None,
    facts: Mapping[str, TicketFacts] | None = None,
    now: datetime,
    progress: Progress | None = None,
) -> list[ReportIssue]:
    """Every interrupt issue of `period` and the period before it, as report records."""
    ctx, jql = report_query(template, period, team)
    known = facts or {}
    found = []
    for raw in search.issues(jql, REPORT_FIELDS, progress=progress):
        issue = read_issue(raw, ctx, known, now=now)
        if issue is not None and (team is None or issue.team == team):
            found.append(issue)
    return found


def interrupt_report(
    search: JiraIssueSearch,
    template: Template,
    period: Period,
    *,
    team: str | None = None,
    facts: Callable[[float], Mapping[str, TicketFacts]] | None = None,
    candidates: Callable[[str | None], Sequence[OpenFaqCandidate]] | None = None,
    now: datetime,
    progress: Progress | None = None,
) -> InterruptReport:
    """The report; `facts(since_epoch)` and `candidates(team)` read the bridge's store (None: Jira only)."""
    since = (period.previous().start - timedelta(days=1)).timestamp()
    issues = fetch_issues(
        search,
        template,
        period,
        team=team,
        facts=facts(since) if facts is not None else None,
        now=now,
        progress=progress,
    )
    open_candidates = candidates(team) if candidates is not None else ()
    return build_report(issues, period, team=team, candidates=open_candidates)
