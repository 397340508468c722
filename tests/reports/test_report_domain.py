"""The report's figures as pure functions: periods, JQL, counts and trends, durations, SLA, topics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.report_figures import build_report, durations
from app.domain.report_models import Period, ReportIssue
from app.domain.report_period import PeriodError, parse_range, parse_since
from app.domain.report_query import TeamScope, report_jql, team_of
from app.domain.report_topics import normalise, repeat_topics

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def issue(key: str, days_ago: float, summary: str = "x", **kw: object) -> ReportIssue:
    return ReportIssue(key=key, created=NOW - timedelta(days=days_ago), summary=summary, **kw)  # type: ignore[arg-type]


def test_since_and_range_parse_or_say_what_was_expected() -> None:
    assert parse_since("30d", now=NOW) == Period(NOW - timedelta(days=30), NOW)
    assert parse_since("2w", now=NOW).length == timedelta(days=14)
    assert parse_range("2026-10-01", "2026-10-31", now=NOW) == Period(
        datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    )
    for bad in ("thirty days", "0d", "30", "-3d"):
        with pytest.raises(PeriodError, match="--since"):
            parse_since(bad, now=NOW)
    with pytest.raises(PeriodError, match="--from"):
        parse_range("yesterday", None, now=NOW)
    with pytest.raises(PeriodError, match="before"):
        parse_range("2026-10-31", "2026-10-01", now=NOW)


def test_jql_is_bounded_by_label_window_and_team() -> None:
    period = Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    scope = TeamScope("platform", "PLAT", ("team-platform",))
    jql = report_jql(["interrupt"], [scope], period)
    assert jql == (
        'labels = "interrupt" AND project = "PLAT" AND labels = "team-platform" AND '
        'created >= "2026-08-30" AND created < "2026-11-02" ORDER BY created ASC'
    )
    both = report_jql(["interrupt"], [scope, TeamScope("net", "NET")], period)
    assert 'project in ("NET", "PLAT")' in both


def test_team_is_the_most_specific_scope_matching_project_and_labels() -> None:
    scopes = [TeamScope("plat", "PLAT"), TeamScope("plat-ci", "PLAT", ("ci",)), TeamScope("net", "NET")]
    assert team_of("PLAT", frozenset({"ci", "interrupt"}), scopes) == "plat-ci"
    assert team_of("PLAT", frozenset({"interrupt"}), scopes) == "plat"
    assert team_of("OPS", frozenset(), scopes) is None


def test_counts_trend_weeks_and_prevention() -> None:
    period = Period(NOW - timedelta(days=14), NOW)
    issues = [
        issue("A-1", 1, bucket="access", team="plat", priority="High", resolved=NOW, prevention_noted=True),
        issue("A-2", 2, bucket="access", team="plat", priority="Low", resolved=NOW),
        issue("A-3", 9, bucket="ci", team="net", priority="Low"),
        issue("A-4", 20, bucket="access", team="plat"),  # previous period
        issue("A-5", 40, bucket="ci"),  # outside both
        issue("P-1", 3, bucket="access", private=True, summary="secret text"),
    ]
    report = build_report(issues, period)
    assert (report.total.current, report.total.previous) == (4, 1)
    access = next(c for c in report.by_bucket if c.name == "access")
    assert (access.current, access.previous, access.change) == (3, 1, 2.0)
    assert next(c for c in report.by_bucket if c.name == "ci").change is None  # nothing before
    assert sum(n for _, row in report.weekly for _, n in row) == 4
    assert len(report.weekly) in (3, 4)  # every week the 14 days touch, empty ones too
    assert (report.resolved, report.resolved_without_prevention) == (2, 1)
    assert report.without_prevention_examples == ("A-2",)
    assert report.private_by_bucket == (("access", 1),)


def test_median_and_p90() -> None:
    assert durations([]).median_h is None
    one = durations([3.0])
    assert (one.median_h, one.p90_h) == (3.0, 3.0)
    many = durations([float(h) for h in range(1, 11)])
    assert many.median_h == 5.5
    assert many.p90_h == pytest.approx(9.1)


def test_sla_attainment_counts_decided_tickets_per_priority_and_target() -> None:
    period = Period(NOW - timedelta(days=7), NOW)
    issues = [
        issue("A-1", 1, priority="High", sla_first_response_met=True, sla_resolution_met=False),
        issue("A-2", 1, priority="High", sla_first_response_met=False),
        issue("A-3", 1, priority="High"),  # running: not counted
    ]
    rows = {(a.priority, a.target): (a.met, a.total) for a in build_report(issues, period).sla}
    assert rows == {("High", "first_response"): (1, 2), ("High", "resolution"): (0, 1)}


def test_repeat_topics_group_rewordings_apart_from_other_subjects_and_never_quote_private() -> None:
    summaries = [
        "How do I rotate my API token?",
        "how to rotate an API token",
        "Rotate API token (again)",
        "Need access to Vault",
        "need Vault access",
        "access to the Grafana dashboards",
        "Printer on floor 3 is jammed",
    ]
    issues = [issue(f"A-{n}", n, s) for n, s in enumerate(summaries)]
    issues.append(issue("P-1", 1, "rotate API token for the secret project", private=True))
    topics = repeat_topics(issues)
    assert [(t.count, set(t.examples)) for t in topics] == [(3, {"A-0", "A-1", "A-2"}), (2, {"A-3", "A-4"})]
    assert all("secret" not in t.title for t in topics)
    assert normalise("PLAT-123: CI runner #42 out of disk!") == "ci runner out disk"


def test_saved_filters_and_their_reconciliation() -> None:
    from app.domain.report_saved_filters import ExistingFilter, plan, wanted_filters

    wanted = wanted_filters(
        labels=["interrupt"],
        scopes=[TeamScope("platform", "PLAT", ("team-platform",))],
        buckets=["question", "incident"],
        resolution_targets_s={"Highest": 4 * 3600, "High": 2 * 86400},
        prevention_label="prevention-noted",
    )
    by_name = {f.name: f for f in wanted}
    assert set(by_name) == {
        "Interrupts: platform / question",
        "Interrupts: platform / incident",
        "Interrupts: open",
        "Interrupts: breached",
        "Interrupts: no prevention note",
    }
    assert 'labels = "bucket-incident"' in by_name["Interrupts: platform / incident"].jql
    breached = by_name["Interrupts: breached"].jql
    assert '(priority = "High" AND created <= "-2880m")' in breached
    assert '(priority = "Highest" AND created <= "-240m")' in breached
    assert "statusCategory != Done" in breached
    assert 'labels not in ("prevention-noted")' in by_name["Interrupts: no prevention note"].jql
    open_filter = by_name["Interrupts: open"]
    existing = [
        ExistingFilter("1", open_filter.name, open_filter.jql, open_filter.description),
        ExistingFilter("2", "Interrupts: breached", "project = PLAT", None),
        ExistingFilter("3", "Someone else's filter", "project = NET", None),
    ]
    todo = plan(wanted, existing)
    assert [f.name for f in todo.unchanged] == ["Interrupts: open"]
    assert [(i, f.name) for i, f in todo.update] == [("2", "Interrupts: breached")]
    assert len(todo.create) == 3
