"""`interrupt-bridge check`: what it verifies of the Jira webhook, the secret and the SLA section."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from app.cli.check_sync import (
    NEEDED_EVENTS,
    check_sync,
    permission_checks,
    secret_check,
    sla_check,
    webhook_check,
)
from app.config.loader import load_template
from app.config.sla import SlaPolicy
from tests.conftest import EXAMPLE_TEMPLATE, make_settings

HOOK = {"name": "bridge", "url": "https://bridge.example/jira/webhook", "events": list(NEEDED_EVENTS)}


def test_a_webhook_with_every_needed_event_passes() -> None:
    other = {"name": "ci", "url": "https://ci.example/hook", "events": ["jira:issue_created"]}
    assert webhook_check([other, HOOK]).ok
    assert webhook_check(None).ok  # not an administrator: cannot tell, says so
    assert webhook_check(None).warn
    assert "by hand" in webhook_check(None).detail


@pytest.mark.parametrize(
    ("hooks", "detail"),
    [
        ([], "no webhook calls /jira/webhook"),
        ([{**HOOK, "events": ["jira:issue_updated"]}], "missing events comment_created, comment_updated"),
        ([{**HOOK, "enabled": False}], "disabled"),
        ([{**HOOK, "excludeBody": True}], "Exclude body"),
    ],
)
def test_what_is_wrong_with_the_webhook_is_named(hooks: list[dict[str, Any]], detail: str) -> None:
    result = webhook_check(hooks)
    assert not result.ok
    assert detail in result.detail


def test_secret(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    jira = {"JIRA_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t"}
    assert secret_check(make_settings(url)).ok  # the sandbox: no webhooks to verify
    assert not secret_check(make_settings(url, **jira)).ok
    assert not secret_check(make_settings(url, JIRA_WEBHOOK_SECRET="short", **jira)).ok
    assert secret_check(make_settings(url, JIRA_WEBHOOK_SECRET="x" * 32, **jira)).ok


def test_sla_section_against_the_template() -> None:
    template = load_template(EXAMPLE_TEMPLATE)
    assert sla_check(template).ok
    wrong = SlaPolicy.model_validate({"targets": {"Urgent": {"first_response": "1h"}}})
    result = sla_check(SimpleNamespace(sla=wrong, priorities=template.priorities, teams=template.teams))  # type: ignore[arg-type]
    assert not result.ok
    assert "'Urgent'" in result.detail


def test_comment_permissions_per_project() -> None:
    template = load_template(EXAMPLE_TEMPLATE)

    class Client:
        def my_permissions(self, *, projectKey: str, permissions: str) -> dict[str, Any]:
            held = {
                p: {"havePermission": projectKey == "PLAT" or p == "ADD_COMMENTS"}
                for p in permissions.split(",")
            }
            return {"permissions": held}

    results = {r.name: r for r in permission_checks(Client(), template)}
    assert results["Jira comments in PLAT"].ok
    assert not results["Jira comments in NET"].ok
    assert "EDIT_OWN_COMMENTS, DELETE_OWN_COMMENTS" in results["Jira comments in NET"].detail


def test_a_failing_jira_is_one_failed_check(tmp_path: Any) -> None:
    template = load_template(EXAMPLE_TEMPLATE)

    def broken() -> Any:
        raise ConnectionError("no route to host")

    results = check_sync(make_settings(f"sqlite:///{tmp_path / 'x.sqlite3'}"), template, broken)
    assert [(r.name, r.ok) for r in results][-1] == ("Jira webhook", False)
