"""The fake Jira's create screens and permissions: select lists, fields off the screen, `mypermissions`.

What `interrupt-bridge check` reads (createmeta, mypermissions) must agree with what a create does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jira import JIRA, JIRAError

from app.sandbox.fake_jira import FakeJira
from tests.sandbox.jira_support import DEPLOYMENTS, client_for, raw, start_fake, user_ref


@pytest.fixture(params=DEPLOYMENTS)
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    fake = start_fake(request.param)
    yield fake
    fake.stop()
    assert fake.spec_violations == [], "the jira package or the fake broke the Jira spec"


@pytest.fixture
def client(fake: FakeJira) -> JIRA:
    return client_for(fake, max_retries=0)


def screen(fake: FakeJira, project: str = "PLAT") -> dict[str, dict[str, Any]]:
    types = raw(fake, "GET", f"/rest/api/2/issue/createmeta/{project}/issuetypes").json()
    task = next(
        t for t in types["issueTypes" if fake.deployment == "cloud" else "values"] if t["name"] == "Task"
    )
    page = raw(fake, "GET", f"/rest/api/2/issue/createmeta/{project}/issuetypes/{task['id']}").json()
    return {f["fieldId"]: f for f in page["fields" if fake.deployment == "cloud" else "values"]}


def create(client: JIRA, project: str = "PLAT", **fields: Any) -> Any:
    return client.create_issue(
        fields={"project": {"key": project}, "issuetype": {"name": "Task"}, "summary": "Disk full", **fields},
        prefetch=False,
    )


def field_errors(raised: pytest.ExceptionInfo[JIRAError]) -> dict[str, str]:
    assert raised.value.status_code == 400
    errors: dict[str, str] = raised.value.response.json()["errors"]
    return errors


def test_a_select_list_offers_its_options_and_takes_only_them(fake: FakeJira, client: JIRA) -> None:
    fake.add_custom_field(10050, "System", kind="option", options=["GitHub", "Vault"])
    fake.add_custom_field(10051, "Regions", kind="options", options=["eu", "us", "ap"])
    meta = screen(fake)
    assert meta["customfield_10050"]["schema"]["type"] == "option"
    assert [v["value"] for v in meta["customfield_10050"]["allowedValues"]] == ["GitHub", "Vault"]
    assert meta["customfield_10051"]["schema"] == {
        "type": "array",
        "items": "option",
        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:multiselect",
        "customId": 10051,
    }
    vault_id = meta["customfield_10050"]["allowedValues"][1]["id"]

    issue = create(client, customfield_10050={"id": vault_id}, customfield_10051=[{"value": "eu"}])
    stored = fake.issue(issue.key)["fields"]
    assert stored["customfield_10050"]["value"] == "Vault"
    assert [o["value"] for o in stored["customfield_10051"]] == ["eu"]
    with pytest.raises(JIRAError) as raised:
        create(client, customfield_10050={"value": "Grafana"}, customfield_10051={"value": "eu"})
    assert field_errors(raised) == {
        "customfield_10050": "Option value 'Grafana' is not valid",
        "customfield_10051": "data was not an array",
    }


def test_a_field_off_the_create_screen_is_not_offered_and_cannot_be_set(fake: FakeJira, client: JIRA) -> None:
    fake.hide_create_field("PLAT", "labels")
    assert "labels" not in screen(fake, "PLAT")
    assert "labels" in screen(fake, "NET")
    with pytest.raises(JIRAError) as raised:
        create(client, labels=["interrupt"])
    assert "cannot be set" in field_errors(raised)["labels"]
    assert create(client, "NET", labels=["interrupt"]).key.startswith("NET-")


def test_mypermissions_and_modify_reporter(fake: FakeJira, client: JIRA) -> None:
    fake.deny_permission("MODIFY_REPORTER", "PLAT")
    wanted = "CREATE_ISSUES,MODIFY_REPORTER"
    plat = client.my_permissions(projectKey="PLAT", permissions=wanted)["permissions"]
    assert {k: v["havePermission"] for k, v in plat.items()} == {
        "CREATE_ISSUES": True,
        "MODIFY_REPORTER": False,
    }
    assert plat["MODIFY_REPORTER"]["id"] == "30"
    assert client.my_permissions(projectKey="NET", permissions=wanted)["permissions"]["MODIFY_REPORTER"][
        "havePermission"
    ]
    # Like Jira, the reporter leaves the create screen and cannot be set there.
    assert "reporter" not in screen(fake, "PLAT")
    with pytest.raises(JIRAError) as raised:
        create(client, reporter=user_ref(fake, "alice"))
    assert "reporter" in field_errors(raised)
    assert create(client, "NET", reporter=user_ref(fake, "alice")).key.startswith("NET-")


def test_mypermissions_arguments(fake: FakeJira) -> None:
    everything = raw(fake, "GET", "/rest/api/2/mypermissions", params={"projectKey": "PLAT"})
    if fake.deployment == "cloud":  # Cloud insists on the list
        assert everything.status_code == 400
    else:
        assert everything.status_code == 200
        assert {"CREATE_ISSUES", "BROWSE_PROJECTS", "ADD_COMMENTS"} <= set(everything.json()["permissions"])
    unknown = raw(fake, "GET", "/rest/api/2/mypermissions", params={"projectKey": "NOPE", "permissions": "X"})
    assert unknown.status_code == 404
    bad = raw(fake, "GET", "/rest/api/2/mypermissions", params={"permissions": "FLY"})
    assert bad.status_code == 400
    assert "FLY" in bad.json()["errorMessages"][0]
