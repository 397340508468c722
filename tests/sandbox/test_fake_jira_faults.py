"""Authentication, injected faults, concurrency and the Jira spec checker itself."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jira.resilientsession
import pytest
import requests
from jira import JIRA, JIRAError

from app.sandbox.fake_jira import DEFAULT_EMAIL, FakeJira
from app.sandbox.http_fake import FakeRequest, FakeResponse, Fault
from tests.sandbox.jira_support import DEPLOYMENTS, auth_header, client_for, raw, start_fake
from tests.specs.jira_spec import JiraSpecChecker, jira_checker_or_none
from tests.specs.shared_dir import SHARED_ENV, SpecsMissingWarning, shared_dir

CREATE = {"fields": {"project": {"key": "PLAT"}, "summary": "Disk full", "issuetype": {"name": "Task"}}}


@pytest.fixture(params=DEPLOYMENTS)
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    fake = start_fake(request.param)
    yield fake
    fake.stop()
    assert fake.spec_violations == [], "the jira package or the fake broke the Jira spec"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The jira package's retry back-off, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(jira.resilientsession, "time", SimpleNamespace(sleep=slept.append))
    return slept


# -- authentication ------------------------------------------------------------------------------
def test_wrong_credentials_are_refused(fake: FakeJira) -> None:
    wrong: dict[str, Any] = (
        {"basic_auth": (DEFAULT_EMAIL, "wrong-token")}
        if fake.deployment == "cloud"
        else {"token_auth": "wrong"}
    )
    with pytest.raises(JIRAError) as raised:
        JIRA(fake.base_url, max_retries=0, **wrong)
    assert raised.value.status_code == 401


@pytest.mark.parametrize(
    "header",
    [None, "Bearer sandbox-jira-api-token", "Basic bm90LWJhc2U2NA==", "Basic !!!", "Token abc"],
)
def test_missing_or_foreign_auth_schemes_are_401(fake: FakeJira, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{fake.base_url}/rest/api/2/myself", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json()["errorMessages"][0].startswith("You are not authenticated")
    assert raw(fake, "GET", "/rest/api/2/myself").status_code == 200  # the right header works


def test_each_deployment_has_its_own_scheme(fake: FakeJira) -> None:
    other = "datacenter" if fake.deployment == "cloud" else "cloud"
    foreign = FakeJira.with_demo_data(other).start()
    try:
        response = requests.get(f"{fake.base_url}/rest/api/2/myself", headers=auth_header(foreign), timeout=5)
        assert response.status_code == 401  # a PAT means nothing to Cloud, Basic nothing to DC here
    finally:
        foreign.stop()


def test_other_accounts_can_be_given_credentials(fake: FakeJira) -> None:
    fake.add_credentials(fake.user("alice"), "alice-secret")
    if fake.deployment == "cloud":
        client = JIRA(fake.base_url, basic_auth=("alice@example.com", "alice-secret"))
    else:
        client = JIRA(fake.base_url, token_auth="alice-secret")
    assert client.myself()["displayName"] == "Alice Liddell"
    assert client.create_issue(fields=CREATE["fields"]).fields.reporter.displayName == "Alice Liddell"


# -- faults --------------------------------------------------------------------------------------
def test_503_three_times_then_success(fake: FakeJira, sleeps: list[float]) -> None:
    client = client_for(fake)
    fake.add_fault(
        Fault(r"/rest/api/2/issue$", method="POST", times=3, status=503, headers={"Retry-After": "1"})
    )
    issue = client.create_issue(fields=CREATE["fields"])
    assert issue.key == "PLAT-1"
    assert len(fake.calls("POST", r"/rest/api/2/issue$")) == 4
    assert len(sleeps) == 3
    assert all(1.0 <= s <= 2.0 for s in sleeps)
    assert [i["key"] for i in fake.issues()] == ["PLAT-1"]


def test_429_carries_retry_after_and_a_jira_body(fake: FakeJira) -> None:
    fake.add_fault(Fault(r"/search", times=1, status=429))
    response = raw(fake, "GET", "/rest/api/2/myself")
    assert response.status_code == 200  # only matching paths are hit
    client = client_for(fake, max_retries=0)
    with pytest.raises(JIRAError) as raised:
        client.search_issues("project = PLAT")
    assert raised.value.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert raised.value.response.json() == {"errorMessages": ["Too Many Requests"], "errors": {}}
    assert client.search_issues("project = PLAT") == []  # the fault was used up


def test_reset_after_create_leaves_exactly_one_issue(fake: FakeJira) -> None:
    client = client_for(fake, max_retries=0)
    fake.add_fault(Fault(r"/rest/api/2/issue$", method="POST", reset_after_handler=True))
    with pytest.raises(requests.exceptions.ConnectionError):
        client.create_issue(fields=CREATE["fields"])
    assert [i["key"] for i in fake.issues()] == ["PLAT-1"]  # created, though the client never heard


def test_the_jira_package_retries_a_reset_post_into_a_duplicate(fake: FakeJira, sleeps: list[float]) -> None:
    # Why the bridge must look for an issue before re-creating it after an ambiguous failure.
    client = client_for(fake)
    fake.add_fault(Fault(r"/rest/api/2/issue$", method="POST", reset_after_handler=True))
    assert client.create_issue(fields=CREATE["fields"]).key == "PLAT-2"
    assert [i["key"] for i in fake.issues()] == ["PLAT-1", "PLAT-2"]
    assert len(sleeps) == 1


def test_latency_trips_the_client_timeout(fake: FakeJira) -> None:
    client = client_for(fake, max_retries=0, timeout=0.3)
    fake.add_fault(Fault(r"/rest/api/2/issue/", method="GET", delay_s=10))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.issue("PLAT-1")
    assert time.monotonic() - started < 5


def test_concurrent_creates_get_distinct_keys(fake: FakeJira) -> None:
    keys: list[str] = []

    def create_five() -> None:
        for _ in range(5):
            keys.append(raw(fake, "POST", "/rest/api/2/issue", body=CREATE).json()["key"])

    threads = [threading.Thread(target=create_five) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(keys, key=lambda k: int(k.split("-")[1])) == [f"PLAT-{n}" for n in range(1, 41)]
    assert len(fake.issues()) == 40


# -- the spec checker ----------------------------------------------------------------------------
@pytest.fixture
def checker() -> JiraSpecChecker:
    root = shared_dir()
    if root is None:
        pytest.skip("shared specs missing: the Jira spec checker is not tested")
    return JiraSpecChecker(root, "http://127.0.0.1:8080")


def request(
    method: str, path: str, query: dict[str, list[str]] | None = None, body: Any = None
) -> FakeRequest:
    data = b"" if body is None else json.dumps(body).encode()
    return FakeRequest(method, path, query or {}, {"content-type": "application/json"}, data)


@pytest.mark.parametrize(
    "sent",
    [
        request(
            "GET",
            "/rest/api/2/search/jql",
            {"jql": ["project = PLAT"], "fields": ["*all", "summary"], "maxResults": ["50"]},
        ),
        request(
            "GET",
            "/rest/api/2/user/search",
            {"query": ["al"], "includeActive": ["True"], "includeInactive": ["False"], "maxResults": ["20"]},
        ),
        request(
            "GET",
            "/rest/api/2/search",
            {
                "jql": ["x"],
                "startAt": ["0"],
                "validateQuery": ["True"],
                "fields": ["*all"],
                "maxResults": ["50"],
            },
        ),
        request(
            "POST",
            "/rest/api/2/search",
            body={
                "jql": "x",
                "startAt": 0,
                "validateQuery": True,
                "fields": ["*all"],
                "expand": None,
                "maxResults": 50,
            },
        ),
        request(
            "POST", "/rest/api/2/issue/PLAT-1/transitions", body={"transition": {"id": 31}, "fields": {}}
        ),
        request("PUT", "/rest/api/latest/issue/PLAT-1/assignee", body={"accountId": None}),
        request("POST", "/rest/api/2/issue/PLAT-1/comment", body={"body": "wiki *text*"}),
        request("POST", "/rest/api/2/issue/PLAT-1/watchers", body="5b10ac8d82e05b22cc7d4ef5"),
        request("GET", "/rest/api/2/filter/favourite"),
        request("GET", "/rest/applinks/latest/listApplicationlinks"),
    ],
)
def test_checker_accepts_what_the_jira_package_sends(checker: JiraSpecChecker, sent: FakeRequest) -> None:
    assert checker(sent) == []


@pytest.mark.parametrize(
    ("sent", "problem"),
    [
        (
            request("GET", "/rest/api/2/search/jql", {"jql": ["x"], "colour": ["red"]}),
            "query parameter 'colour' is not a parameter of this operation",
        ),
        (
            request("GET", "/rest/api/2/search/jql", {"maxResults": ["lots"]}),
            "ParameterValidationError(name='maxResults', location='query')",
        ),
        (
            request("POST", "/rest/api/2/search/jql", body={"jql": "x", "fields": "summary"}),
            "body fields: 'summary' is not of type 'array'",
        ),
        (
            request("POST", "/rest/api/3/search/approximate-count", body={"jql": "x", "maxResults": 5}),
            "body (root): Additional properties are not allowed ('maxResults' was unexpected)",
        ),
        (
            request("POST", "/rest/api/2/issue", body={"fields": ["summary"]}),
            "body fields: ['summary'] is not of type 'object'",
        ),
        (
            request("POST", "/rest/api/2/issue/PLAT-1/remotelink", body={"globalId": "g"}),
            "body (root): 'object' is a required property",
        ),
        (
            request("DELETE", "/rest/api/2/serverInfo"),
            "DELETE /rest/api/3/serverInfo is not an operation of the Jira platform spec",
        ),
        (
            request("GET", "/rest/api/2/search", {"jql": ["x"], "startAt": ["first"]}),
            "startAt must be an integer",
        ),
        (
            request("GET", "/rest/api/2/search", {"jql": ["x"], "validateQuery": ["sometimes"]}),
            "validateQuery must be one of",
        ),
        (
            request("POST", "/rest/api/2/search", body={"jql": "x", "nextPageToken": "t"}),
            "body field 'nextPageToken' is not a Data Center search field",
        ),
    ],
)
def test_checker_rejects_bad_requests(checker: JiraSpecChecker, sent: FakeRequest, problem: str) -> None:
    problems = checker(sent)
    assert any(p.startswith(problem) for p in problems), problems


def test_checker_validates_answers(checker: JiraSpecChecker) -> None:
    sent = request("GET", "/rest/api/2/serverInfo")
    assert (
        checker.check_response(sent, FakeResponse(200, {"version": "9.12.15", "versionNumbers": [9, 12, 15]}))
        == []
    )
    assert checker.check_response(sent, FakeResponse(200, {"version": 9, "build": "x"})) == [
        "body (root): Additional properties are not allowed ('build' was unexpected)",
        "body version: 9 is not of type 'string'",
    ]
    assert (
        checker.check_response(sent, FakeResponse(503, {"errorMessages": []})) == []
    )  # errors are not checked
    links = request("GET", "/rest/api/2/issue/PLAT-1/remotelink")
    link = {"id": 1, "self": "http://x/1", "object": {"url": "u", "title": "t"}}
    assert checker.check_response(links, FakeResponse(200, [link, {**link, "colour": "red"}])) == [
        "body (root): Additional properties are not allowed ('colour' was unexpected)"
    ]


def test_the_fake_collects_violations_and_still_answers(fake: FakeJira) -> None:
    if fake.request_checker is None:
        pytest.skip("shared specs missing: spec violations are not collected")
    response = raw(fake, "GET", "/rest/api/2/priority", params={"orderBy": "name"})
    assert response.status_code == 200
    assert fake.spec_violations == [
        "GET /rest/api/2/priority: query parameter 'orderBy' is not a parameter of this operation"
    ]
    fake.spec_violations.clear()


def test_the_spec_is_loaded_once_per_process(checker: JiraSpecChecker) -> None:
    root = shared_dir()
    assert root is not None
    started = time.perf_counter()
    again = JiraSpecChecker(root, "http://127.0.0.1:9999")
    assert again.spec is checker.spec
    assert time.perf_counter() - started < 0.1


def test_spec_checks_are_skipped_with_a_notice_without_the_shared_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "missing"))
    with pytest.warns(SpecsMissingWarning, match="Jira spec checks skipped"):
        assert jira_checker_or_none("http://127.0.0.1:1") is None
    monkeypatch.setenv(SHARED_ENV, str(tmp_path))  # present, but without the Jira spec
    with pytest.warns(SpecsMissingWarning, match="Jira spec checks skipped"):
        assert jira_checker_or_none("http://127.0.0.1:1") is None
    with pytest.warns(SpecsMissingWarning):
        fake = start_fake("cloud")
    try:  # behaviour does not need the specs
        assert client_for(fake).create_issue(fields=CREATE["fields"]).key == "PLAT-1"
        assert fake.request_checker is None
        assert fake.spec_violations == []
    finally:
        fake.stop()
