"""Helpers shared by the fake-Jira tests: start a spec-checked fake, make a real `jira.JIRA` for it."""

from __future__ import annotations

import base64
import json
from typing import Any

import requests
from jira import JIRA

from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PAT, FakeJira
from app.sandbox.jira_models import Deployment
from tests.specs.jira_spec import jira_checker_or_none

DEPLOYMENTS: list[Deployment] = ["cloud", "datacenter"]


def start_fake(deployment: Deployment, **options: Any) -> FakeJira:
    """A started demo fake whose requests and answers are checked against the Jira spec (when present)."""
    fake = FakeJira.with_demo_data(deployment, **options).start()
    checker = jira_checker_or_none(fake.base_url)
    if checker is not None:
        fake.request_checker = checker
        fake.response_checker = checker.check_response
    return fake


def client_for(fake: FakeJira, **options: Any) -> JIRA:
    """The real client, authenticated the way the deployment wants (API token or PAT)."""
    if fake.deployment == "cloud":
        return JIRA(fake.base_url, basic_auth=(DEFAULT_EMAIL, DEFAULT_API_TOKEN), **options)
    return JIRA(fake.base_url, token_auth=DEFAULT_PAT, **options)


def auth_header(fake: FakeJira) -> dict[str, str]:
    if fake.deployment == "cloud":
        pair = base64.b64encode(f"{DEFAULT_EMAIL}:{DEFAULT_API_TOKEN}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {"Authorization": f"Bearer {DEFAULT_PAT}"}


def raw(
    fake: FakeJira,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """One plain HTTP call (authenticated unless `headers` says otherwise), for what JIRA cannot send."""
    sent = {"Content-Type": "application/json", **auth_header(fake), **(headers or {})}
    data = None if body is None else json.dumps(body)
    return requests.request(method, fake.base_url + path, params=params, data=data, headers=sent, timeout=10)


def search_name(fake: FakeJira, name: str) -> str:
    """What `assign_issue` / `add_watcher` take for a demo user: an e-mail on Cloud, a username on DC."""
    return f"{name}@example.com" if fake.deployment == "cloud" else name


def user_ref(fake: FakeJira, name: str) -> dict[str, str]:
    """A user as issue fields carry it: `{"accountId"}` on Cloud, `{"name"}` on Data Center."""
    if fake.deployment == "cloud":
        return {"accountId": fake.identifier(name)}
    return {"name": name}
