"""Jira admin webhook bodies shaped as Atlassian documents them, checked against the platform spec.

Top level (Atlassian's webhook docs): `timestamp` (epoch ms), `webhookEvent`, `issue_event_type_name`,
`user`, `issue`, `changelog`; comment events carry `comment` and a reduced `issue`. The parts with a
schema in the Jira platform OpenAPI spec (UserDetails, IssueBean, Changelog/ChangeDetails, Comment,
StatusDetails) are validated against it when the shared specs are present. Atlassian sends `null` for
an empty change value (`"from": null`) where the spec says string; like the request checker, the
validation reads an explicit null as an absent value.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from openapi_schema_validator import OAS30Validator

from app.sandbox.fake_jira import FakeJira
from tests.specs.jira_spec import SPEC_PATH
from tests.specs.shared_dir import shared_dir

WEBHOOK_SECRET = "jira-webhook-secret-4c1d"
TO_DO = ("10000", "To Do")
IN_PROGRESS = ("3", "In Progress")
DONE = ("10001", "Done")


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def jira_time(at: float) -> str:
    """Jira's '2026-01-31T10:00:00.000+0000'."""
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def user(fake: FakeJira, name: str, *, with_email: bool = True) -> dict[str, Any]:
    """UserDetails of a fake-Jira user as Cloud sends it (the email only when the profile shows it)."""
    found = fake.user(name)
    body: dict[str, Any] = {
        "self": f"{fake.base_url}/rest/api/2/user?accountId={found.account_id}",
        "accountId": found.account_id,
        "accountType": "atlassian",
        "avatarUrls": {
            size: f"https://avatar.example/{name}/{size}" for size in ("16x16", "24x24", "32x32", "48x48")
        },
        "displayName": found.display_name,
        "active": True,
        "timeZone": "Europe/Berlin",
    }
    if with_email:
        body["emailAddress"] = found.email
    return body


def bridge_user(fake: FakeJira) -> dict[str, Any]:
    return user(fake, fake.bot.name)


def status(pair: tuple[str, str]) -> dict[str, Any]:
    ident, name = pair
    category = {"To Do": ("2", "new", "To Do"), "Done": ("3", "done", "Done")}.get(
        name, ("4", "indeterminate", "In Progress")
    )
    return {
        "self": f"https://jira.example/rest/api/2/status/{ident}",
        "description": "",
        "iconUrl": "https://jira.example/images/icons/statuses/generic.png",
        "name": name,
        "id": ident,
        "statusCategory": {
            "self": f"https://jira.example/rest/api/2/statuscategory/{category[0]}",
            "id": int(category[0]),
            "key": category[1],
            "colorName": "blue-gray",
            "name": category[2],
        },
    }


def issue(fake: FakeJira, key: str, *, full: bool = True, state: tuple[str, str] = TO_DO) -> dict[str, Any]:
    """An IssueBean as webhooks carry it: all fields for issue events, a few for comment events."""
    current = fake.issue(key)
    fields = current["fields"]
    reduced = {
        name: fields[name] for name in ("summary", "issuetype", "project", "priority") if name in fields
    }
    reduced["status"] = status(state)
    if full:
        reduced |= {name: fields.get(name) for name in ("labels", "reporter", "created", "description")}
        reduced["resolution"] = None
    return {
        "id": current["id"],
        "self": f"{fake.base_url}/rest/api/2/issue/{current['id']}",
        "key": key,
        "fields": reduced,
    }


def change(field: str, before: tuple[str, str] | None, after: tuple[str, str] | None) -> dict[str, Any]:
    """A ChangeDetails item; Jira writes `null` for a value that was or became empty."""
    return {
        "field": field,
        "fieldtype": "jira",
        "fieldId": field,
        "from": before[0] if before else None,
        "fromString": before[1] if before else None,
        "to": after[0] if after else None,
        "toString": after[1] if after else None,
    }


def issue_updated(
    fake: FakeJira,
    key: str,
    *,
    by: str,
    items: list[dict[str, Any]],
    at: float,
    state: tuple[str, str] = TO_DO,
) -> dict[str, Any]:
    body = {
        "timestamp": int(at * 1000),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": user(fake, by),
        "issue": issue(fake, key, state=state),
        "changelog": {"id": "10100", "items": items},
    }
    check("UserDetails", body["user"])
    check("IssueBean", body["issue"])
    check("Changelog", body["changelog"])
    return body


def comment_event(
    event: str,
    fake: FakeJira,
    key: str,
    *,
    comment_id: str,
    author: dict[str, Any],
    body: str,
    at: float,
    visibility: dict[str, str] | None = None,
    jsd_public: bool = True,
) -> dict[str, Any]:
    comment: dict[str, Any] = {
        "self": f"{fake.base_url}/rest/api/2/issue/{key}/comment/{comment_id}",
        "id": comment_id,
        "author": author,
        "body": body,
        "updateAuthor": author,
        "created": jira_time(at),
        "updated": jira_time(at),
        "jsdPublic": jsd_public,
    }
    if visibility is not None:
        comment["visibility"] = visibility
    payload = {
        "timestamp": int(at * 1000),
        "webhookEvent": event,
        "comment": comment,
        "issue": issue(fake, key, full=False),
    }
    check("Comment", {**comment, "body": None})  # the spec's body is ADF (v3); v2 webhooks send wiki text
    check("IssueBean", payload["issue"])
    return payload


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


# -- spec checks --------------------------------------------------------------------------------------
@functools.cache
def _components() -> dict[str, Any] | None:
    root = shared_dir()
    path = root / SPEC_PATH if root is not None else None
    if path is None or not path.is_file():
        return None
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return spec["components"]


@functools.cache
def _validator(name: str) -> OAS30Validator | None:
    components = _components()
    if components is None:
        return None
    return OAS30Validator({"$ref": f"#/components/schemas/{name}", "components": components})


def check(name: str, instance: dict[str, Any]) -> None:
    """Fail when `instance` does not fit the spec's schema `name` (skipped without the shared specs)."""
    validator = _validator(name)
    if validator is None:
        return
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(_no_nulls(instance))
    ]
    assert problems == [], f"{name} does not match the Jira platform spec: {problems}"


def _no_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value]
    return value
