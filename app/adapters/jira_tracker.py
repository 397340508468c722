"""`Tracker` on the `jira` package (REST v2, wiki-markup descriptions), Cloud and Data Center.

The `jira` client is synchronous, so every call runs in a bounded thread pool (at most
`JIRA_CONCURRENCY` calls in flight) and the event loop never blocks. Each pool thread has its own
client (a `requests` session is not meant to be shared across threads). The library's own retries
are off: a POST it retried after a connection error could create an issue twice; our job queue
retries instead, and looks for the marker label first.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from jira import JIRA, JIRAError

from app.adapters.jira_comments import JiraCommentsMixin
from app.adapters.jira_resolve import JiraResolveMixin
from app.domain.errors import AmbiguousError, PermanentError, RetryableError
from app.domain.models import IssueRef, IssueUpdate, OpenInterrupts, TicketDraft, TrackerUser
from app.observability.metrics import observe_upstream

T = TypeVar("T")
_USER_CACHE_TTL_S = 3600.0


def client_factory(
    *, url: str, email: str | None, api_token: str | None, pat: str | None, timeout_s: float
) -> Callable[[], JIRA]:
    def make() -> JIRA:
        auth: dict[str, Any] = {"token_auth": pat} if pat else {"basic_auth": (email or "", api_token or "")}
        return JIRA(server=url, max_retries=0, timeout=timeout_s, get_server_info=True, **auth)

    return make


class JiraTracker(JiraCommentsMixin, JiraResolveMixin):
    def __init__(self, make_client: Callable[[], JIRA], *, base_url: str, concurrency: int) -> None:
        self._make_client = make_client
        self._base_url = base_url.rstrip("/")
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="jira")
        self._local = threading.local()
        self._users: dict[str, tuple[float, TrackerUser | None]] = {}
        self._users_lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _client(self) -> JIRA:
        client: JIRA | None = getattr(self._local, "client", None)
        if client is None:
            client = self._make_client()
            self._local.client = client
        return client

    async def _run(self, what: str, fn: Callable[[JIRA], T], *, ambiguous: bool = False) -> T:
        def call() -> T:
            started, error = time.perf_counter(), None
            try:
                return fn(self._client())
            except JIRAError as exc:
                error = _map_jira_error(what, exc)
                raise error from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                kind = AmbiguousError if ambiguous else RetryableError
                error = kind(f"jira {what}: {type(exc).__name__}")
                raise error from None
            except Exception as exc:
                error = exc
                raise
            finally:
                observe_upstream("jira", what, started, error)

        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def browse_url(self, key: str) -> str:
        return f"{self._base_url}/browse/{key}"

    async def is_cloud(self) -> bool:
        return await self._run("serverInfo", lambda c: bool(c._is_cloud))

    async def find_by_marker(self, marker: str) -> IssueRef | None:
        jql = f'labels = "{marker}" ORDER BY created ASC'

        def search(client: JIRA) -> list[Any]:
            if client._is_cloud:
                return list(client.enhanced_search_issues(jql, maxResults=1, fields="key"))
            return list(client.search_issues(jql, maxResults=1, fields="key"))

        found = await self._run("search", search)
        if not found:
            return None
        key = str(found[0].key)
        return IssueRef(key=key, url=self.browse_url(key))

    async def create_issue(self, draft: TicketDraft) -> IssueRef:
        fields: dict[str, Any] = {
            **draft.fields,
            "project": {"key": draft.project},
            "issuetype": {"name": draft.issue_type},
            "summary": draft.summary,
            "description": draft.description,
            "labels": draft.labels,
            "priority": {"name": draft.priority},
        }
        if draft.reporter is not None:
            fields["reporter"] = draft.reporter.as_field()

        def create(client: JIRA) -> str:
            issue = client.create_issue(fields=fields, prefetch=False)
            return str(issue.key)

        key = await self._run("create issue", create, ambiguous=True)
        return IssueRef(key=key, url=self.browse_url(key))

    async def add_remote_link(self, key: str, *, url: str, title: str, global_id: str) -> None:
        body = {"globalId": global_id, "object": {"url": url, "title": title, "icon": {"title": "Slack"}}}

        def link(client: JIRA) -> None:
            # Straight to the endpoint: JIRA.add_remote_link first lists application links, an
            # admin-only call we neither need nor are usually allowed. Same globalId = update.
            client._session.post(client._get_url(f"issue/{key}/remotelink"), data=json.dumps(body))

        await self._run("add remote link", link)

    async def update_issue(self, update: IssueUpdate) -> None:
        """Set fields and swap labels in one PUT; label add/remove verbs keep others' labels intact."""
        fields: dict[str, Any] = dict(update.fields)
        if update.summary is not None:
            fields["summary"] = update.summary
        if update.priority is not None:
            fields["priority"] = {"name": update.priority}
        labels = [{"add": label} for label in update.add_labels] + [
            {"remove": label} for label in update.remove_labels
        ]
        body: dict[str, Any] = {"fields": fields}
        if labels:
            body["update"] = {"labels": labels}

        def put(client: JIRA) -> None:
            client._session.put(client._get_url(f"issue/{update.key}"), data=json.dumps(body))

        await self._run("update issue", put)

    async def find_user_by_email(self, email: str) -> TrackerUser | None:
        now = time.monotonic()
        with self._users_lock:
            cached = self._users.get(email.lower())
        if cached is not None and cached[0] > now:
            return cached[1]

        def search(client: JIRA) -> TrackerUser | None:
            for user in (
                client.search_users(query=email, maxResults=5)
                if client._is_cloud
                else client.search_users(user=email, maxResults=5)
            ):
                raw = user.raw
                if str(raw.get("emailAddress", "")).lower() == email.lower() and raw.get("active", True):
                    if client._is_cloud:
                        return TrackerUser(
                            display_name=raw.get("displayName", ""), account_id=raw["accountId"]
                        )
                    return TrackerUser(display_name=raw.get("displayName", ""), name=raw["name"])
            return None

        found = await self._run("user search", search)
        with self._users_lock:
            self._users[email.lower()] = (now + _USER_CACHE_TTL_S, found)
        return found

    async def assign_issue(self, key: str, user: TrackerUser) -> None:
        # Straight to the endpoint: JIRA.assign_issue first searches for the user we already have.
        body = user.as_field()

        def put(client: JIRA) -> None:
            client._session.put(client._get_url(f"issue/{key}/assignee"), data=json.dumps(body))

        await self._run("assign issue", put)

    async def add_watcher(self, key: str, user: TrackerUser) -> None:
        # The body is the bare JSON string: an accountId on Cloud, a username on Data Center.
        body = user.identifier

        def post(client: JIRA) -> None:
            client._session.post(client._get_url(f"issue/{key}/watchers"), data=json.dumps(body))

        await self._run("add watcher", post)

    def search_url(self, jql: str) -> str:
        """The issue navigator showing `jql` (the same path on Cloud and Data Center)."""
        return f"{self._base_url}/issues/?jql={quote(jql, safe='')}"

    async def open_interrupts(
        self, project: str, label: str, *, exclude_label: str | None = None
    ) -> OpenInterrupts:
        where = (
            f"project = {_jql_string(project)} AND labels = {_jql_string(label)} AND statusCategory != Done"
        )
        if exclude_label is not None:
            where += f" AND labels != {_jql_string(exclude_label)}"
        jql = f"{where} ORDER BY created ASC"

        def search(client: JIRA) -> tuple[int, str | None, str | None]:
            if client._is_cloud:
                # Cloud's search/jql reports no total; approximate-count is the one that counts.
                count = int(client.approximate_issue_count(where))
                found = client.enhanced_search_issues(jql, maxResults=1, fields="created")
            else:
                found = client.search_issues(jql, maxResults=1, fields="created")
                count = int(found.total)
            if not found:
                return count, None, None
            first = found[0]
            return count, str(first.key), getattr(first.fields, "created", None)

        count, key, created = await self._run("search", search)
        oldest = IssueRef(key=key, url=self.browse_url(key)) if key else None
        return OpenInterrupts(
            count=max(count, 1 if oldest else 0),  # the count is approximate; it may lag the search
            oldest=oldest,
            oldest_created=_jira_datetime(created),
            jql=jql,
            search_url=self.search_url(jql),
        )


def _jql_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _jira_datetime(raw: str | None) -> datetime | None:
    """Jira's '2024-03-11T09:15:02.000+0100' (no colon in the offset) as an aware datetime."""
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def _map_jira_error(what: str, exc: JIRAError) -> Exception:
    status = exc.status_code or 0
    message = f"jira {what}: HTTP {status}: {_jira_text(exc)}"
    if status == 429 or status >= 500 or status == 0:
        retry_after = None
        response = getattr(exc, "response", None)
        if response is not None and response.headers.get("Retry-After"):
            try:
                retry_after = float(response.headers["Retry-After"])
            except ValueError:
                retry_after = None
        return RetryableError(message, retry_after_s=retry_after)
    return PermanentError(message, field_errors=_field_errors(exc))


def _field_errors(exc: JIRAError) -> dict[str, str]:
    response = getattr(exc, "response", None)
    if response is None:
        return {}
    try:
        errors = response.json().get("errors") or {}
    except (ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}


def _jira_text(exc: JIRAError) -> str:
    text = exc.text or ""
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            return text[:500]
        messages = list(body.get("errorMessages") or [])
        messages += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
        if messages:
            return "; ".join(messages)[:500]
    return text[:500]
