"""The report's search against the fake Jira over real HTTP: Cloud's search/jql, Data Center's search."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import yaml

from app.adapters.jira_search import JiraIssueSearch
from app.config.loader import load_template
from app.config.template import Template
from app.domain.errors import PermanentError
from app.domain.report_period import parse_since
from app.domain.report_query import REPORT_FIELDS
from app.reports.reading import jira_datetime
from app.reports.service import interrupt_report
from app.sandbox.fake_jira import FakeJira
from app.store.report_facts import TicketFacts
from tests.reports.conftest import EXAMPLE_TEMPLATE, NOW
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


def test_sla_attainment_from_the_templates_targets_and_the_bridges_first_responses(
    seeded: FakeJira, tmp_path: Path
) -> None:
    data = yaml.safe_load(EXAMPLE_TEMPLATE.read_text(encoding="utf-8"))
    data["sla"] = {
        "targets": {
            "High": {"first_response": "2h", "resolution": "2d", "clock": "24x7"},
            "Low": {"resolution": "1d", "clock": "24x7"},
        }
    }
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    template = load_template(path)
    high = [i for i in seeded.issues() if i["fields"]["priority"]["name"] == "High"][-3:]
    facts = {  # the bridge saw a first response 1 h after creation for these three
        i["key"]: TicketFacts("C0PLATSUP", jira_datetime(i["fields"]["created"]).timestamp() + 3600)
        for i in high
    }
    search = JiraIssueSearch(client_for(seeded, max_retries=0))
    report = interrupt_report(
        search, template, parse_since("30d", now=NOW), facts=lambda _since: facts, now=NOW
    )
    rows = {(a.priority, a.target): a for a in report.sla}
    assert rows[("High", "first_response")].met >= 3
    assert rows[("High", "resolution")].total > 0
    assert rows[("Low", "resolution")].total > 0
    assert ("Medium", "resolution") not in rows  # no target, no attainment
    assert report.response.count == 3
    assert report.top_channels == (("C0PLATSUP", 3),)


def _search_calls(fake: FakeJira) -> int:
    return len(fake.calls("POST", r"^/rest/api/(3/search/jql|2/search)$"))


def test_the_next_page_is_fetched_while_the_caller_reads_the_current_one(seeded: FakeJira) -> None:
    search = JiraIssueSearch(client_for(seeded, max_retries=0), page_size=60)
    issues = search.issues('labels = "interrupt"', REPORT_FIELDS)
    next(issues)  # the caller holds the first issue of the first page and does nothing else
    deadline = time.monotonic() + 10
    while _search_calls(seeded) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _search_calls(seeded) == 2  # the second page was asked for meanwhile, and no more
    assert len(list(issues)) == 249
    assert search.requests == _search_calls(seeded) == 5


def test_a_caller_that_stops_early_leaves_no_request_behind(seeded: FakeJira) -> None:
    search = JiraIssueSearch(client_for(seeded, max_retries=0), page_size=60)
    issues = search.issues('labels = "interrupt"', REPORT_FIELDS)
    first = [next(issues) for _ in range(3)]
    issues.close()  # waits for the one request in flight, sends none after it
    assert len(first) == 3
    assert _search_calls(seeded) <= 2
    time.sleep(0.2)
    assert _search_calls(seeded) <= 2
    assert not [t for t in threading.enumerate() if t.name.startswith("jira-search")]
