"""Searching the fake Jira: Cloud's search/jql (nextPageToken, no total, 410 on the old API) and
Data Center's search (startAt, total), fields, caps, JQL errors, driven by the real client."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from jira import JIRAError

from app.sandbox.fake_jira import FakeJira
from tests.sandbox.jira_support import DEPLOYMENTS, client_for, raw, start_fake, user_ref


def _fake(deployment: str) -> Iterator[FakeJira]:
    fake = start_fake(deployment)  # type: ignore[arg-type]
    yield fake
    fake.stop()
    assert fake.spec_violations == [], "the jira package or the fake broke the Jira spec"


@pytest.fixture(params=DEPLOYMENTS)
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    yield from _fake(request.param)


@pytest.fixture
def cloud() -> Iterator[FakeJira]:
    yield from _fake("cloud")


@pytest.fixture
def datacenter() -> Iterator[FakeJira]:
    yield from _fake("datacenter")


def test_cloud_pages_250_issues_with_next_page_tokens(cloud: FakeJira) -> None:
    made = cloud.bulk_add_issues(250, labels=["interrupt"])
    cloud.bulk_add_issues(5, project="NET")
    client = client_for(cloud)
    found = client.enhanced_search_issues("project = PLAT ORDER BY key ASC", maxResults=0, fields="summary")
    assert [i.key for i in found] == made
    pages = cloud.calls("GET", r"/rest/api/2/search/jql$")
    assert len(pages) == 3
    assert [p.query.get("nextPageToken") is None for p in pages] == [True, False, False]
    assert found[0].fields.summary == "Bulk issue 1"


def test_cloud_search_jql_answer_shape_and_caps(cloud: FakeJira) -> None:
    cloud.bulk_add_issues(250)
    client = client_for(cloud)
    first = client.enhanced_search_issues(
        "project = PLAT", maxResults=500, fields="summary", json_result=True
    )
    assert set(first) == {"issues", "nextPageToken", "isLast"}  # no total on Cloud
    assert (len(first["issues"]), first["isLast"]) == (100, False)  # capped at 100 with fields
    assert set(first["issues"][0]) == {"expand", "id", "self", "key", "fields"}
    assert set(first["issues"][0]["fields"]) == {"summary"}
    ids = client.enhanced_search_issues("project = PLAT", maxResults=500, fields="id", json_result=True)
    assert (len(ids["issues"]), ids["isLast"]) == (250, True)  # id-only pages may be far larger
    assert "nextPageToken" not in ids
    bare = raw(cloud, "GET", "/rest/api/2/search/jql", params={"jql": "project = PLAT", "maxResults": 2})
    assert bare.json()["issues"] == [{"id": "10001"}, {"id": "10002"}]  # ids only unless fields are asked for
    second = client.enhanced_search_issues(
        "project = PLAT",
        maxResults=100,
        fields="*all",
        nextPageToken=first["nextPageToken"],
        json_result=True,
    )
    assert [i["key"] for i in second["issues"]][::99] == ["PLAT-101", "PLAT-200"]
    assert "comment" in second["issues"][0]["fields"]


def test_cloud_page_tokens_belong_to_their_query(cloud: FakeJira) -> None:
    cloud.bulk_add_issues(3)
    first = raw(
        cloud, "GET", "/rest/api/2/search/jql", params={"jql": "project = PLAT", "maxResults": 1}
    ).json()
    for token, jql in [(first["nextPageToken"], "project = NET"), ("bm90LWEtdG9rZW4", "project = PLAT")]:
        response = raw(cloud, "GET", "/rest/api/2/search/jql", params={"jql": jql, "nextPageToken": token})
        assert response.status_code == 400
        assert response.json()["errorMessages"] == ["The provided next page token is invalid or expired."]
    posted = raw(
        cloud,
        "POST",
        "/rest/api/3/search/jql",
        body={
            "jql": "project = PLAT",
            "maxResults": 1,
            "nextPageToken": first["nextPageToken"],
            "fields": ["summary"],
        },
    ).json()
    assert [i["key"] for i in posted["issues"]] == ["PLAT-2"]
    assert base64.urlsafe_b64decode(posted["nextPageToken"] + "==")  # opaque but well-formed


@pytest.mark.parametrize("path", ["/rest/api/2/search", "/rest/api/3/search"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_cloud_old_search_is_gone(cloud: FakeJira, path: str, method: str) -> None:
    body = {"jql": "project = PLAT"} if method == "POST" else None
    response = raw(
        cloud, method, path, params={"jql": "project = PLAT"} if method == "GET" else None, body=body
    )
    assert response.status_code == 410
    assert "/rest/api/3/search/jql" in response.json()["errorMessages"][0]


def test_cloud_search_issues_goes_to_search_jql(cloud: FakeJira) -> None:
    cloud.bulk_add_issues(3)
    client = client_for(cloud)
    assert [i.key for i in client.search_issues("project = PLAT ORDER BY key DESC")] == [
        "PLAT-3",
        "PLAT-2",
        "PLAT-1",
    ]
    assert cloud.calls("GET", r"/search$") == []
    assert client.approximate_issue_count("project = PLAT") == 3


def test_cloud_rejects_unbounded_queries(cloud: FakeJira) -> None:
    for path, body in [
        ("/rest/api/3/search/jql", {"jql": "ORDER BY created"}),
        ("/rest/api/3/search/approximate-count", {"jql": ""}),
    ]:
        response = raw(cloud, "POST", path, body=body)
        assert response.status_code == 400
        assert "Unbounded JQL queries are not allowed here" in response.json()["errorMessages"][0]


def test_datacenter_search_pages_with_start_at_and_total(datacenter: FakeJira) -> None:
    made = datacenter.bulk_add_issues(250)
    client = client_for(datacenter)
    found = client.search_issues("project = PLAT ORDER BY key", maxResults=0, fields="summary")
    assert [i.key for i in found] == made
    assert found.total == 250
    assert len(datacenter.calls("GET", r"/rest/api/2/search$")) == 3
    page = client.search_issues("project = PLAT ORDER BY key", startAt=240, maxResults=50, json_result=True)
    assert (page["startAt"], page["maxResults"], page["total"], len(page["issues"])) == (240, 50, 250, 10)
    assert "comment" in page["issues"][0]["fields"]  # the jira package asks for *all
    navigable = raw(datacenter, "GET", "/rest/api/2/search", params={"jql": "key = PLAT-1"}).json()
    assert "comment" not in navigable["issues"][0]["fields"]  # *navigable by default
    assert "summary" in navigable["issues"][0]["fields"]
    capped = raw(datacenter, "GET", "/rest/api/2/search", params={"jql": "", "maxResults": 5000}).json()
    assert capped["maxResults"] == 1000
    posted = raw(
        datacenter,
        "POST",
        "/rest/api/2/search",
        body={"jql": "key = PLAT-7", "fields": ["labels"], "validateQuery": True},
    ).json()
    assert [(i["key"], set(i["fields"])) for i in posted["issues"]] == [("PLAT-7", {"labels"})]


def test_datacenter_has_no_cloud_search(datacenter: FakeJira) -> None:
    assert (
        raw(datacenter, "GET", "/rest/api/2/search/jql", params={"jql": "project = PLAT"}).status_code == 404
    )
    assert (
        raw(datacenter, "POST", "/rest/api/2/search/approximate-count", body={"jql": "x"}).status_code == 404
    )


def test_search_filters_and_sorts_on_issue_state(fake: FakeJira) -> None:
    client = client_for(fake)
    old = client.create_issue(
        project="PLAT",
        summary="VPN flaps",
        issuetype={"name": "Interrupt"},
        labels=["interrupt"],
        customfield_10042="vpn-gw",
    )
    client.create_issue(
        project="PLAT",
        summary="Disk full",
        issuetype={"name": "Bug"},
        labels=["db"],
        priority={"name": "Highest"},
        assignee=user_ref(fake, "alice"),
    )
    client.create_issue(project="NET", summary="DNS slow", issuetype={"name": "Task"})
    client.transition_issue(old, "Done")

    def keys(jql: str) -> list[str]:
        return [i.key for i in client.search_issues(jql, fields="summary")]

    assert keys("project = PLAT AND statusCategory != Done") == ["PLAT-2"]
    assert keys("resolution = Unresolved ORDER BY priority DESC") == ["PLAT-2", "NET-1"]
    assert keys("labels in (interrupt, db) ORDER BY key DESC") == ["PLAT-2", "PLAT-1"]
    assert keys('text ~ "vpn-gw"') == ["PLAT-1"]
    assert keys('"Affected service" ~ vpn') == ["PLAT-1"]
    assert keys("resolutiondate >= -1d") == ["PLAT-1"]
    assert keys("issuetype = Bug AND assignee is not EMPTY") == ["PLAT-2"]
    me = "currentUser()"
    assert keys(f"reporter = {me} AND project = NET") == ["NET-1"]
    alice = fake.identifier("alice")
    assert keys(f'assignee = "{alice}"') == ["PLAT-2"]
    assert keys(f'created >= "{datetime.now(UTC) - timedelta(days=1):%Y-%m-%d}" AND project = NET') == [
        "NET-1"
    ]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("project = ", "Expecting either a value, list or function but got the end of the query."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("status = Blocked", "The value 'Blocked' does not exist for the field 'status'."),
        ("assignee = nobody", "The value 'nobody' does not exist for the field 'assignee'."),
        ("sprint = 5", "Field 'sprint' does not exist or you do not have permission to view it."),
        ("summary = x", "The operator '=' is not supported by the 'summary' field."),
    ],
)
def test_invalid_jql_is_a_400_naming_the_problem(fake: FakeJira, jql: str, message: str) -> None:
    client = client_for(fake)
    with pytest.raises(JIRAError) as raised:
        client.search_issues(jql)
    assert raised.value.status_code == 400
    assert message in raised.value.response.json()["errorMessages"][0]


def test_users_in_jql_follow_the_deployment(fake: FakeJira) -> None:
    client = client_for(fake)
    # Cloud knows users by accountId only; Data Center by username.
    foreign = "alice" if fake.deployment == "cloud" else fake.user("alice").account_id
    with pytest.raises(JIRAError):
        client.search_issues(f'assignee = "{foreign}"')


def test_bulk_issues_are_fast_enough_for_benchmarks(cloud: FakeJira) -> None:
    started = time.perf_counter()
    cloud.bulk_add_issues(20_000, labels=["interrupt"], done_every=4)
    added = time.perf_counter() - started
    response = raw(
        cloud,
        "POST",
        "/rest/api/3/search/approximate-count",
        body={"jql": "labels = interrupt AND statusCategory != Done"},
    )
    assert response.json() == {"count": 15_000}
    assert added < 5.0
    assert time.perf_counter() - started < 10.0


def test_a_controlled_clock_drives_timestamps_and_relative_dates() -> None:
    now = [datetime(2026, 1, 31, 9, 0, tzinfo=UTC)]
    fake = start_fake("datacenter", clock=lambda: now[0])
    try:
        client = client_for(fake)
        fields = {"project": {"key": "PLAT"}, "summary": "old", "issuetype": {"name": "Task"}}
        old = client.create_issue(fields=fields)
        now[0] += timedelta(days=10)
        client.create_issue(fields={**fields, "summary": "new"})
        client.transition_issue(old, "Done")
        assert old.fields.created == "2026-01-31T09:00:00.000+0000"
        assert client.issue(old.key).fields.resolutiondate == "2026-02-10T09:00:00.000+0000"
        assert [i.key for i in client.search_issues("created >= -1w")] == ["PLAT-2"]
        assert [i.key for i in client.search_issues('created < "2026-02-01"')] == ["PLAT-1"]
        assert [i.key for i in client.search_issues("updated >= -1h ORDER BY key DESC")] == [
            "PLAT-2",
            "PLAT-1",
        ]
    finally:
        fake.stop()
    assert fake.spec_violations == []
