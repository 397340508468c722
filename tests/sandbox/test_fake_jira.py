"""The fake Jira driven by the real `jira.JIRA` client, on Cloud and on Data Center.

Every fake here checks the client's requests and its own answers against the Jira platform
OpenAPI spec (when the shared specs are present) and fails the test on any violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from jira import JIRA, JIRAError

from app.sandbox.fake_jira import FakeJira
from tests.sandbox.jira_support import DEPLOYMENTS, client_for, raw, search_name, start_fake, user_ref

JIRA_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


@pytest.fixture(params=DEPLOYMENTS)
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    fake = start_fake(request.param)
    yield fake
    fake.stop()
    assert fake.spec_violations == [], "the jira package or the fake broke the Jira spec"


@pytest.fixture
def client(fake: FakeJira) -> JIRA:
    return client_for(fake)


def new_issue(client: JIRA, **fields: Any) -> Any:
    values = {"project": "PLAT", "summary": "Disk full on db-1", "issuetype": {"name": "Interrupt"}, **fields}
    return client.create_issue(**values)


def errors_of(raised: pytest.ExceptionInfo[JIRAError]) -> dict[str, Any]:
    assert raised.value.status_code == 400
    body: dict[str, Any] = raised.value.response.json()
    assert set(body) == {"errorMessages", "errors"}
    return body


def test_construction_reads_server_info_and_the_deployment(fake: FakeJira, client: JIRA) -> None:
    info = client.server_info()
    cloud = fake.deployment == "cloud"
    assert info["deploymentType"] == ("Cloud" if cloud else "Server")
    assert info["versionNumbers"][0] == (1001 if cloud else 9)
    assert client._is_cloud is cloud
    me = client.myself()
    assert me["displayName"] == "Interrupt Bridge"
    assert ("accountId" in me) is cloud
    assert ("name" in me) is not cloud
    assert len(fake.calls("GET", r"/rest/api/2/serverInfo$")) == 2  # construction + our call


def test_create_issue_and_read_it_back(fake: FakeJira, client: JIRA) -> None:
    issue = new_issue(
        client,
        description="db-1 has 0 bytes left",
        labels=["interrupt", "db"],
        priority={"name": "High"},
        customfield_10042="postgres",
        assignee=user_ref(fake, "bob"),
    )
    assert issue.key == "PLAT-1"
    fields = issue.fields
    assert (fields.summary, fields.description, fields.labels) == (
        "Disk full on db-1",
        "db-1 has 0 bytes left",
        ["interrupt", "db"],
    )
    assert (fields.priority.name, fields.status.name, fields.issuetype.name) == ("High", "To Do", "Interrupt")
    assert fields.status.statusCategory.key == "new"
    assert fields.resolution is None
    assert fields.resolutiondate is None
    assert fields.customfield_10042 == "postgres"
    assert fields.reporter.displayName == "Interrupt Bridge"
    assert fields.assignee.displayName == "Bob Okafor"
    assert JIRA_TIMESTAMP.match(fields.created)
    assert JIRA_TIMESTAMP.match(fields.updated)
    assert fake.issue("PLAT-1")["fields"]["labels"] == ["interrupt", "db"]
    assert client.issue(issue.id).key == "PLAT-1"  # by id as well as by key
    second = new_issue(client, project="NET")
    assert second.key == "NET-1"
    assert [i["key"] for i in fake.issues()] == ["PLAT-1", "NET-1"]


def test_get_issue_honours_fields(client: JIRA) -> None:
    new_issue(client, labels=["a"])
    issue = client.issue("PLAT-1", fields="summary,labels")
    assert set(issue.raw["fields"]) == {"summary", "labels"}
    assert set(client.issue("PLAT-1", fields="*all,-comment").raw["fields"]) >= {
        "summary",
        "status",
        "watches",
    }
    assert "comment" not in client.issue("PLAT-1", fields="*all,-comment").raw["fields"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"project": {"key": "NOPE"}}, "project", "valid project is required"),
        ({"issuetype": {"name": "Epic"}}, "issuetype", "The issue type selected is invalid."),
        ({"summary": None}, "summary", "You must specify a summary of the issue."),
        ({"summary": "x" * 256}, "summary", "Summary must be less than 255 characters."),
        (
            {"summary": "two\nlines"},
            "summary",
            "The summary is invalid because it contains newline characters.",
        ),
        (
            {"labels": ["needs triage"]},
            "labels",
            "The label 'needs triage' contains spaces which is invalid.",
        ),
        ({"priority": {"name": "Urgent"}}, "priority", "The priority selected is invalid."),
        (
            {"reporter": {"accountId": "nobody", "name": "nobody"}},
            "reporter",
            "The reporter specified is not a user.",
        ),
        (
            {"assignee": {"accountId": "nobody", "name": "nobody"}},
            "assignee",
            "User 'nobody' does not exist.",
        ),
        (
            {"customfield_99999": "x"},
            "customfield_99999",
            "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown.",
        ),
        ({"customfield_10042": "x" * 256}, "customfield_10042", "The entered text is too long."),
        (
            {"description": {"type": "doc", "version": 1, "content": []}},
            "description",
            "Operation value must be a string",
        ),
    ],
)
def test_create_is_validated_like_jira(
    fake: FakeJira, client: JIRA, fields: dict[str, Any], field: str, message: str
) -> None:
    values = {"project": {"key": "PLAT"}, "summary": "ok", "issuetype": {"name": "Task"}, **fields}
    with pytest.raises(JIRAError) as raised:
        client.create_issue(fields=values)
    assert errors_of(raised)["errors"][field].startswith(message)
    assert fake.issues() == []


def test_issue_type_must_belong_to_the_project(fake: FakeJira, client: JIRA) -> None:
    fake.add_project("OPS", "Operations", issue_types=("Task",))
    with pytest.raises(JIRAError) as raised:
        client.create_issue(fields={"project": {"key": "OPS"}, "summary": "x", "issuetype": {"name": "Bug"}})
    assert errors_of(raised)["errors"] == {"issuetype": "The issue type selected is invalid."}


def test_users_are_named_per_deployment(fake: FakeJira, client: JIRA) -> None:
    other = {"name": "alice"} if fake.deployment == "cloud" else {"accountId": fake.user("alice").account_id}
    with pytest.raises(JIRAError) as raised:
        new_issue(client, assignee=other)
    assert "assignee" in errors_of(raised)["errors"]
    issue = new_issue(client, reporter=user_ref(fake, "carol"))
    assert issue.fields.reporter.displayName == "Carol Tanaka"


def test_update_fields_and_labels(fake: FakeJira, client: JIRA) -> None:
    issue = new_issue(client, labels=["interrupt"])
    issue.update(
        fields={"summary": "Disk full on db-2", "labels": ["interrupt", "db"], "priority": {"id": "1"}}
    )
    assert (issue.fields.summary, issue.fields.labels, issue.fields.priority.name) == (
        "Disk full on db-2",
        ["interrupt", "db"],
        "Highest",
    )
    issue.update(update={"labels": [{"add": "sev2"}, {"remove": "db"}]})
    assert issue.fields.labels == ["interrupt", "sev2"]
    issue.add_field_value("labels", "escalated")
    assert fake.issue(issue.key)["fields"]["labels"] == ["interrupt", "sev2", "escalated"]
    issue.update(fields={"customfield_10042": "kafka", "description": "now kafka"})
    assert (issue.fields.customfield_10042, issue.fields.description) == ("kafka", "now kafka")
    with pytest.raises(JIRAError) as raised:
        issue.update(fields={"labels": ["has space"]})
    assert errors_of(raised)["errors"]["labels"].startswith("The label 'has space'")
    with pytest.raises(JIRAError) as raised:
        issue.update(fields={"status": {"name": "Done"}})  # only transitions change the status
    assert "status" in errors_of(raised)["errors"]
    assert fake.issue(issue.key)["fields"]["labels"] == ["interrupt", "sev2", "escalated"]


def test_update_with_bare_label_strings_is_rejected_like_jira(fake: FakeJira, client: JIRA) -> None:
    issue = new_issue(client)
    fake.request_checker = None  # the spec rejects this request too; that is what is being shown
    with pytest.raises(JIRAError) as raised:
        issue.update(labels=["x"])  # the jira package turns a list into update operations: must be objects
    assert "FieldOperation" in errors_of(raised)["errorMessages"][0]


def test_remote_links_upsert_on_global_id(fake: FakeJira, client: JIRA) -> None:
    issue = new_issue(client)
    thread = {
        "url": "https://example.slack.com/archives/C0PLATSUP/p1700000000000100",
        "title": "Slack thread",
    }
    first = client.add_remote_link(issue.key, thread, globalId="slack:T1:C0PLATSUP:1700000000.000100")
    again = client.add_remote_link(
        issue.key,
        {**thread, "title": "Slack thread (2 replies)"},
        globalId="slack:T1:C0PLATSUP:1700000000.000100",
    )
    assert first.id == again.id
    other = client.add_remote_link(
        issue.key, {"url": "https://runbooks.example/db", "title": "Runbook"}, globalId="runbook:db"
    )
    plain = client.add_simple_link(issue.key, {"url": "https://example.com", "title": "no global id"})
    links = client.remote_links(issue.key)
    assert [(link.id, link.object.title) for link in links] == [
        (first.id, "Slack thread (2 replies)"),
        (other.id, "Runbook"),
        (plain.id, "no global id"),
    ]
    assert [link["globalId"] for link in fake.remote_links(issue.key)[:2]] == [
        "slack:T1:C0PLATSUP:1700000000.000100",
        "runbook:db",
    ]
    statuses = [
        r.status_code
        for r in [
            raw(
                fake,
                "POST",
                f"/rest/api/2/issue/{issue.key}/remotelink",
                body={"globalId": "runbook:db", "object": {"url": "u", "title": "t"}},
            )
        ]
    ]
    assert statuses == [200]  # an update answers 200, a creation 201
    response = raw(fake, "POST", f"/rest/api/2/issue/{issue.key}/remotelink", body={"object": {"url": "u"}})
    assert response.status_code == 400
    assert response.json()["errors"] == {"title": "'title' is required."}
    if fake.request_checker is not None:  # the spec says so too
        assert fake.spec_violations == [
            f"POST /rest/api/2/issue/{issue.key}/remotelink: body object: 'title' is a required property"
        ]
        fake.spec_violations.clear()


def test_comments_add_list_update_delete(fake: FakeJira, client: JIRA) -> None:
    issue = new_issue(client)
    first = client.add_comment(issue.key, "Looking into it")
    client.add_comment(issue, "Freed 20 GB")
    assert [c.body for c in client.comments(issue.key)] == ["Looking into it", "Freed 20 GB"]
    assert first.author.displayName == "Interrupt Bridge"
    first.update(body="Looking into it (alice)")
    assert client.comment(issue.key, first.id).body == "Looking into it (alice)"
    first.delete()
    assert fake.comments(issue.key) == ["Freed 20 GB"]
    assert client.issue(issue.key).fields.comment.total == 1
    with pytest.raises(JIRAError) as raised:
        client.add_comment(issue.key, "   ")
    assert raised.value.status_code == 400


def test_transitions_move_the_workflow_and_set_the_resolution(fake: FakeJira, client: JIRA) -> None:
    issue = new_issue(client)
    assert [(t["id"], t["name"]) for t in client.transitions(issue)] == [
        ("21", "In Progress"),
        ("31", "Done"),
    ]
    client.transition_issue(issue, "In Progress", comment="picked up")
    assert client.issue(issue.key).fields.status.statusCategory.key == "indeterminate"
    assert fake.comments(issue.key) == ["picked up"]
    client.transition_issue(issue, "31", fields={"resolution": {"name": "Won't Do"}})
    done = client.issue(issue.key)
    assert (done.fields.status.name, done.fields.resolution.name) == ("Done", "Won't Do")
    assert JIRA_TIMESTAMP.match(done.fields.resolutiondate)
    client.transition_issue(issue, "To Do")
    reopened = client.issue(issue.key)
    assert reopened.fields.resolution is None
    assert reopened.fields.resolutiondate is None
    with pytest.raises(JIRAError) as raised:
        client.transition_issue(issue, "11")  # already in To Do
    assert errors_of(raised)["errorMessages"] == ["Transition id '11' is not valid for this issue."]


def test_assign_and_watch(fake: FakeJira, client: JIRA) -> None:
    issue = new_issue(client)
    assert client.assign_issue(issue.key, search_name(fake, "alice"))
    assert client.issue(issue.key).fields.assignee.displayName == "Alice Liddell"
    assert fake.calls(
        "PUT", rf"/rest/api/latest/issue/{issue.key}/assignee$"
    )  # the jira package uses "latest"
    client.assign_issue(issue.key, None)
    assert client.issue(issue.key).fields.assignee is None
    client.add_watcher(issue.key, search_name(fake, "bob"))
    client.add_watcher(issue.key, search_name(fake, "bob"))
    assert fake.watchers(issue.key) == ["bob"]
    assert client.watchers(issue.key).watchCount == 1
    gone = fake.add_user("dave", "Dave Former", "dave@example.com", active=False)
    key = "accountId" if fake.deployment == "cloud" else "name"
    ident = gone.account_id if fake.deployment == "cloud" else gone.name
    response = raw(fake, "PUT", f"/rest/api/2/issue/{issue.key}/assignee", body={key: ident})
    assert response.status_code == 400
    assert response.json()["errors"] == {"assignee": "User 'Dave Former' cannot be assigned issues."}


def test_search_users_by_query_or_username(fake: FakeJira, client: JIRA) -> None:
    if fake.deployment == "cloud":
        found = client.search_users(query="carol")
        assert [(u.displayName, u.accountId) for u in found] == [("Carol Tanaka", fake.identifier("carol"))]
        response = raw(fake, "GET", "/rest/api/2/user/search", params={"username": "carol"})
        assert response.status_code == 400  # GDPR strict mode: no usernames on Cloud
    else:
        found = client.search_users(user="carol")
        assert [(u.displayName, u.name) for u in found] == [("Carol Tanaka", "carol")]
        assert raw(fake, "GET", "/rest/api/2/user/search", params={"query": "carol"}).status_code == 400
    by_mail = (
        client.search_users(query="bob@ex") if fake.deployment == "cloud" else client.search_users("bob@ex")
    )
    assert [u.displayName for u in by_mail] == ["Bob Okafor"]  # a prefix of the e-mail address


def test_catalogue_priorities_project_fields(fake: FakeJira, client: JIRA) -> None:
    assert [p.name for p in client.priorities()] == ["Highest", "High", "Medium", "Low", "Lowest"]
    project = client.project("NET")
    assert (project.key, project.name) == ("NET", "Networking")
    assert [t.name for t in project.issueTypes] == ["Task", "Bug", "Interrupt"]
    with pytest.raises(JIRAError) as raised:
        client.project("NOPE")
    assert raised.value.status_code == 404
    fields = {f["id"]: f for f in client.fields()}
    assert fields["customfield_10042"]["name"] == "Affected service"
    assert "cf[10042]" in fields["customfield_10042"]["clauseNames"]
    assert fields["labels"]["schema"] == {"type": "array", "items": "string", "system": "labels"}


def test_createmeta(fake: FakeJira, client: JIRA) -> None:
    if fake.deployment == "cloud":  # the jira package refuses these on Cloud; the API has them
        types = raw(fake, "GET", "/rest/api/3/issue/createmeta/PLAT/issuetypes").json()["issueTypes"]
        type_id = types[2]["id"]
        metas = raw(fake, "GET", f"/rest/api/3/issue/createmeta/PLAT/issuetypes/{type_id}").json()["fields"]
    else:
        with pytest.warns(DeprecationWarning, match="deprecated"):
            types = client.createmeta_issuetypes("PLAT")["values"]
        type_id = types[2]["id"]
        with pytest.warns(DeprecationWarning, match="deprecated"):
            metas = client.createmeta_fieldtypes("PLAT", type_id)["values"]
        assert [t.name for t in client.project_issue_types("PLAT")] == ["Task", "Bug", "Interrupt"]
    assert types[2]["name"] == "Interrupt"
    required = {m["fieldId"] for m in metas if m["required"]}
    assert required == {"summary", "issuetype", "project", "reporter"}
    assert "customfield_10042" in {m["fieldId"] for m in metas}


def test_filters(fake: FakeJira, client: JIRA) -> None:
    saved = client.create_filter(
        name="Open interrupts", jql="labels = interrupt AND resolution = Unresolved", favourite=True
    )
    assert client.filter(saved.id).jql == "labels = interrupt AND resolution = Unresolved"
    assert [f.name for f in client.favourite_filters()] == ["Open interrupts"]
    updated = client.update_filter(saved.id, jql="labels = interrupt")
    assert (updated.jql, updated.favourite) == ("labels = interrupt", True)
    with pytest.raises(JIRAError) as raised:
        client.create_filter(name="Open interrupts", jql="project = PLAT")
    assert errors_of(raised)["errors"] == {"filterName": "Filter with same name already exists."}
    with pytest.raises(JIRAError) as raised:
        client.create_filter(name="Broken", jql="project = ")
    assert "Expecting either a value" in errors_of(raised)["errors"]["jql"]


def test_rest_v3_speaks_adf_on_cloud_only(fake: FakeJira) -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Line one"}]}],
    }
    fields = {"project": {"key": "PLAT"}, "summary": "v3", "issuetype": {"name": "Task"}, "description": doc}
    response = raw(fake, "POST", "/rest/api/3/issue", body={"fields": fields})
    if fake.deployment == "datacenter":
        assert response.status_code == 404  # Data Center has no REST v3
        return
    assert response.status_code == 201
    key = response.json()["key"]
    assert raw(fake, "GET", f"/rest/api/3/issue/{key}").json()["fields"]["description"] == doc
    assert raw(fake, "GET", f"/rest/api/2/issue/{key}").json()["fields"]["description"] == "Line one"
    wiki = raw(fake, "POST", "/rest/api/3/issue", body={"fields": {**fields, "description": "wiki text"}})
    assert wiki.status_code == 400
    assert wiki.json()["errors"]["description"].startswith("Operation value must be an Atlassian Document")
