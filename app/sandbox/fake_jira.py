"""A stateful fake of Jira's REST API (v2, v3 on Cloud) that the real `jira` package talks to.

Two deployments, chosen per instance:

- `cloud`: serverInfo says "Cloud"; Basic auth with e-mail + API token; users carry an
  `accountId`; `/rest/api/{2,3}/search` answers 410 Gone (removed in 2025) and searching is
  `/search/jql` with `nextPageToken` / `isLast` and no `total`, plus `search/approximate-count`.
- `datacenter`: serverInfo says "Server", version 9.12; Bearer personal access token; users carry
  `name` / `key`; only REST v2, with `/rest/api/2/search` paged by `startAt` / `total`.

State lives in `self.state` (`JiraState`) and every handler runs under `self.lock`. Faults
(503s, 429 + Retry-After, resets after the handler, latency) come from `HTTPFake.add_fault`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from app.sandbox.http_fake import FakeRequest, FakeResponse, Fault, HTTPFake
from app.sandbox.jira_handlers import ApiCall
from app.sandbox.jira_models import CustomField, Deployment, JiraApiError, Project, User
from app.sandbox.jira_render import FieldSelection, Renderer
from app.sandbox.jira_routes import register_routes
from app.sandbox.jira_state import JiraState

DEFAULT_EMAIL = "bridge-bot@example.com"
DEFAULT_API_TOKEN = "sandbox-jira-api-token"  # noqa: S105 - the fake's own credential
DEFAULT_PAT = "sandbox-jira-personal-access-token"
_UNAUTHORIZED = "You are not authenticated. Authentication required to perform this operation."
_API_PATH = re.compile(r"^/rest/api/(?P<version>2|3|latest)/")


class FakeJira(HTTPFake):
    """The fake server. Tests read state through the helpers below, never through `state` races."""

    def __init__(
        self,
        deployment: Deployment = "cloud",
        *,
        email: str = DEFAULT_EMAIL,
        api_token: str = DEFAULT_API_TOKEN,
        pat: str = DEFAULT_PAT,
        clock: Callable[[], datetime] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if deployment not in ("cloud", "datacenter"):
            raise ValueError(f"deployment must be 'cloud' or 'datacenter', not {deployment!r}")
        super().__init__(host=host, port=port)
        self.deployment: Deployment = deployment
        self.state = JiraState(deployment, clock)
        # The account the credentials belong to: the bridge's own bot user.
        self.bot = self.state.add_user(email.split("@")[0], "Interrupt Bridge", email)
        self._basic: dict[tuple[str, str], User] = {(email, api_token): self.bot}
        self._bearer: dict[str, User] = {pat: self.bot}
        self.response_checker: Callable[[FakeRequest, FakeResponse], list[str]] | None = None
        register_routes(self)

    @classmethod
    def with_demo_data(
        cls,
        deployment: Deployment = "cloud",
        *,
        email: str = DEFAULT_EMAIL,
        api_token: str = DEFAULT_API_TOKEN,
        pat: str = DEFAULT_PAT,
        clock: Callable[[], datetime] | None = None,
    ) -> FakeJira:
        """A fake (not started) with projects PLAT and NET, users alice/bob/carol and a custom field."""
        fake = cls(deployment, email=email, api_token=api_token, pat=pat, clock=clock)
        alice = fake.add_user("alice", "Alice Liddell", "alice@example.com")
        fake.add_user("bob", "Bob Okafor", "bob@example.com")
        fake.add_user("carol", "Carol Tanaka", "carol@example.com")
        fake.add_project("PLAT", "Platform", issue_types=("Task", "Bug", "Interrupt"), lead=alice)
        fake.add_project("NET", "Networking", issue_types=("Task", "Bug", "Interrupt"), lead=alice)
        with fake.lock:
            fake.state.add_custom_field(10042, "Affected service")
        return fake

    def start(self) -> FakeJira:
        super().start()
        return self

    # -- plumbing ------------------------------------------------------------------------------
    def dispatch(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            response = super().dispatch(request)
        if self.response_checker is not None:
            problems = self.response_checker(request, response)
            with self.lock:
                self.spec_violations.extend(f"{request.method} {request.path} -> {p}" for p in problems)
        return response

    def add_fault(self, fault: Fault) -> None:
        """Like HTTPFake's, but a bare error status gets Jira's error body (and 429 a Retry-After)."""
        if fault.status is not None and fault.status >= 400 and fault.body is None:
            reason = HTTPStatus(fault.status).phrase
            headers = {"Retry-After": "1", **fault.headers} if fault.status == 429 else fault.headers
            fault = dataclasses.replace(
                fault, body={"errorMessages": [reason], "errors": {}}, headers=headers
            )
        super().add_fault(fault)

    def authenticate(self, request: FakeRequest) -> User | None:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if self.deployment == "cloud" and scheme.lower() == "basic":
            try:
                email, _, token = base64.b64decode(secret, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return self._basic.get((email, token))
        if self.deployment == "datacenter" and scheme.lower() == "bearer":
            return self._bearer.get(secret.strip())
        return None

    def unauthorized(self) -> FakeResponse:
        headers = (
            {"WWW-Authenticate": 'Basic realm="protected-area"'}
            if self.deployment == "cloud"
            else {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED", "WWW-Authenticate": "Bearer"}
        )
        return FakeResponse(401, {"errorMessages": [_UNAUTHORIZED], "errors": {}}, headers)

    def api(self, handler: Callable[[ApiCall], FakeResponse]) -> Callable[[FakeRequest], FakeResponse]:
        """Wrap a handler: authenticate, pick the REST version, turn `JiraApiError` into its answer."""

        def wrapped(request: FakeRequest) -> FakeResponse:
            user = self.authenticate(request)
            if user is None:
                return self.unauthorized()
            match = _API_PATH.match(request.path)
            version = match.group("version") if match else "2"
            if version == "3" and self.deployment == "datacenter":
                return self.not_found(request)  # Data Center has no REST v3
            renderer = Renderer(self.state, self.base_url, "2" if version == "latest" else version, user)
            try:
                return handler(ApiCall(request, user, renderer, self.state))
            except JiraApiError as exc:
                return FakeResponse(exc.status, exc.body())

        return wrapped

    def not_found(self, request: FakeRequest) -> FakeResponse:
        return FakeResponse(404, {"errorMessages": [f"null for uri: {request.path}"], "errors": {}})

    # -- helpers for tests and the sandbox -----------------------------------------------------
    def _renderer(self) -> Renderer:
        server = self.base_url if self._server is not None else "http://fake-jira.invalid"
        return Renderer(self.state, server, "2", self.bot)

    def add_user(self, name: str, display_name: str, email: str, *, active: bool = True) -> User:
        """Add a user (Cloud identifies it by `.account_id`, Data Center by `.name`)."""
        with self.lock:
            return self.state.add_user(name, display_name, email, active=active)

    def add_credentials(self, user: User, secret: str) -> None:
        """Let `user` authenticate too: `secret` is its API token (Cloud) or personal access token (DC)."""
        with self.lock:
            self._basic[(user.email, secret)] = user
            self._bearer[secret] = user

    def add_project(
        self, key: str, name: str, *, issue_types: Iterable[str] = ("Task", "Bug"), lead: User | None = None
    ) -> Project:
        with self.lock:
            return self.state.add_project(key, name, issue_types, lead)

    def add_custom_field(
        self, number: int, name: str, *, kind: str = "string", options: Iterable[str] = ()
    ) -> CustomField:
        """Add `customfield_<number>`: a text field, or with `options` a select list (`kind="option"`)
        or a multi-select (`kind="options"`); it is on every create screen."""
        if (kind == "string") == bool(options) or kind not in ("string", "option", "options"):
            raise ValueError("a string field takes no options; option and options fields need some")
        with self.lock:
            return self.state.add_custom_field(number, name, kind, options)

    def deny_permission(self, permission: str, project: str | None = None) -> None:
        """Take a project permission (`MODIFY_REPORTER`...) away, in one project or in all of them."""
        with self.lock:
            self.state.denied_permissions.add((permission, project))

    def hide_create_field(self, project: str, field_id: str) -> None:
        """Leave a field off the project's create screen (createmeta omits it; setting it fails)."""
        with self.lock:
            target = self.state.project(project)
            if target is None:
                raise KeyError(f"no project {project!r}")
            target.off_screen.add(field_id)

    def user(self, name: str) -> User:
        """A user by username (both deployments keep one internally)."""
        with self.lock:
            found = next((u for u in self.state.users if u.name == name), None)
        if found is None:
            raise KeyError(f"no user named {name!r}")
        return found

    def identifier(self, name: str) -> str:
        """What this deployment's API calls the user named `name`: accountId on Cloud, name on DC."""
        user = self.user(name)
        return user.account_id if self.deployment == "cloud" else user.name

    def issues(self) -> list[dict[str, Any]]:
        """Every issue as REST v2 `GET issue` would return it (all fields), oldest first."""
        with self.lock:
            renderer = self._renderer()
            return [renderer.issue(i, FieldSelection(everything=True)) for i in self.state.issues.values()]

    def issue(self, key: str) -> dict[str, Any]:
        with self.lock:
            return self._renderer().issue(self.state.require_issue(key), FieldSelection(everything=True))

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            issue = self.state.require_issue(key)
            renderer = self._renderer()
            return [renderer.remote_link(issue, link) for link in issue.remote_links]

    def comments(self, key: str) -> list[str]:
        """The comment bodies of an issue (plain text), oldest first."""
        with self.lock:
            return [c.body for c in self.state.require_issue(key).comments]

    def watchers(self, key: str) -> list[str]:
        """Usernames of an issue's watchers."""
        with self.lock:
            return [u.name for u in self.state.require_issue(key).watchers]

    def calls(self, method: str, path_regex: str) -> list[FakeRequest]:
        """Requests received so far whose method matches and whose path matches `path_regex`."""
        pattern = re.compile(path_regex)
        with self.lock:
            return [r for r in self.requests if r.method == method.upper() and pattern.search(r.path)]

    def bulk_add_issues(
        self,
        count: int,
        *,
        project: str = "PLAT",
        issue_type: str = "Task",
        labels: Iterable[str] = (),
        summary: str = "Bulk issue {n}",
        start: datetime | None = None,
        step: timedelta = timedelta(minutes=1),
        done_every: int = 0,
    ) -> list[str]:
        """Add `count` issues fast (no validation, no HTTP); every `done_every`-th one is Done."""
        with self.lock:
            target = self.state.project(project)
            if target is None:
                raise KeyError(f"no project {project!r}")
            made = self.state.bulk_add_issues(
                count,
                target,
                issue_type=self.state.issue_type(issue_type),
                reporter=self.bot,
                labels=labels,
                summary=summary,
                start=start,
                step=step,
                done_every=done_every,
            )
            return [i.key for i in made]
