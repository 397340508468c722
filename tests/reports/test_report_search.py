"""The report's search against the fake Jira over real HTTP: Cloud's search/jql, Data Center's search."""

from __future__ import annotations

import json

import pytest

from app.adapters.jira_search import JiraIssueSearch
from app.config.template import Template
from app.domain.errors import PermanentError
from app.domain.report_period import parse_since
from app.domain.report_query import REPORT_FIELDS
from app.reports.service import interrupt_report
from app.sandbox.fake_jira import FakeJira
from tests.reports.conftest import NOW
from tests.sandbox.jira_support import client_for


def test_pages_through_every_issue_with_only_the_needed_fields(seeded: FakeJira) -> None:
    search = JiraIssueSearch(client_for(seeded, max_retries=0))
    seen: list[tuple[int, int | None]] = []
    found = list(
        search.issues(
            'labels = "interrupt" ORDER BY created ASC',
            REPORT_FIELDS,
            progress=lambda n, total: seen.append((n, total)),
        )
    )
    assert len(found) == 250
    assert len({i["key"] for i in found}) == 250
    assert set(found[0]["fields"]) <= set(REPORT_FIELDS)
    if seeded.deployment == "cloud":
        calls = seeded.calls("POST", r"^/rest/api/3/search/jql$")
        assert len(calls) == search.requests == 3  # 100 + 100 + 50
        bodies = [json.loads(c.body) for c in calls]
        assert [("nextPageToken" in b) for b in bodies] == [False, True, True]
        assert all(b["fields"] == list(REPORT_FIELDS) for b in bodies)
        assert seen[-1] == (250, None)
    else:
        calls = seeded.calls("POST", r"^/rest/api/2/search$")
        assert len(calls) == search.requests == 1  # Data Center serves up to 1000 per page
        assert json.loads(calls[0].body)["startAt"] == 0
        assert seen[-1] == (250, 250)


def test_pages_of_a_smaller_size_follow_on(seeded: FakeJira) -> None:
    search = JiraIssueSearch(client_for(seeded, max_retries=0), page_size=60)
    assert len(list(search.issues('labels = "interrupt"', REPORT_FIELDS))) == 250
    assert search.requests == 5


def test_rejected_jql_carries_jiras_own_text(seeded: FakeJira) -> None:
    search = JiraIssueSearch(client_for(seeded, max_retries=0))
    with pytest.raises(PermanentError) as caught:
        list(search.issues('labels = "interrupt" AND project = "NOPE"', REPORT_FIELDS))
    assert "The value 'NOPE' does not exist for the field 'project'." in str(caught.value)


def test_report_over_the_fake(seeded: FakeJira, template: Template) -> None:
    search = JiraIssueSearch(client_for(seeded, max_retries=0))
    period = parse_since("30d", now=NOW)
    report = interrupt_report(search, template, period, now=NOW)
    assert 110 <= report.total.current <= 140
    assert 110 <= report.total.previous <= 140
    assert {c.name for c in report.by_team} == {"platform", "networking"}
    assert {c.name for c in report.by_bucket} <= {"question", "access-request", "ci-broken", "incident"}
    assert report.resolution.count > 0
    assert report.resolution.median_h is not None
    assert report.topics
    assert report.topics[0].count >= 10
    assert report.private_by_bucket
    assert all(n > 0 for _, n in report.private_by_bucket)
    assert 0 < report.resolved_without_prevention < report.resolved
    only = interrupt_report(search, template, period, team="networking", now=NOW)
    assert [c.name for c in only.by_team] == ["networking"]
    assert only.total.current < report.total.current
