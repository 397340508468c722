"""Paged issue search for reports: Cloud's `search/jql` (nextPageToken), Data Center's `search` (startAt).

Pages are requested at the largest size each deployment serves with fields (Cloud 100, Data Center
1000 by default) and yielded as raw issue JSON one at a time. The next page is fetched on a helper
thread while the caller works through the current one (one request in flight, never more), so
Jira's time to build a page overlaps the report's time to digest the previous one; a report over
100k issues holds at most two pages of JSON. Synchronous (the `jira` client is): callers run it in
a thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

import orjson
import requests
from jira import JIRA, JIRAError

from app.adapters.jira_tracker import _map_jira_error
from app.domain.errors import RetryableError

CLOUD_PAGE: Final = 100
DATACENTER_PAGE: Final = 1000
Progress = Callable[[int, int | None], None]
"""Called after each page with (issues so far, total if the deployment says so)."""


class JiraIssueSearch:
    """Iterate every issue matching a JQL query; counts the search requests it made."""

    def __init__(self, client: JIRA, *, page_size: int | None = None) -> None:
        self._client = client
        self._page_size = page_size
        self.requests = 0

    @property
    def is_cloud(self) -> bool:
        return bool(self._client._is_cloud)

    def issues(
        self, jql: str, fields: Sequence[str], *, progress: Progress | None = None
    ) -> Iterator[dict[str, Any]]:
        if self.is_cloud:
            yield from self._cloud(jql, list(fields), progress)
        else:
            yield from self._datacenter(jql, list(fields), progress)

    def _cloud(self, jql: str, fields: list[str], progress: Progress | None) -> Iterator[dict[str, Any]]:
        url = self._client.server_url + "/rest/api/3/search/jql"
        first: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": self._page_size or CLOUD_PAGE}

        def after(body: dict[str, Any], page: dict[str, Any]) -> dict[str, Any] | None:
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token or not page.get("issues"):
                return None
            return {**body, "nextPageToken": token}

        yield from self._issues(url, first, after, lambda _page: None, progress)  # Cloud gives no total

    def _datacenter(self, jql: str, fields: list[str], progress: Progress | None) -> Iterator[dict[str, Any]]:
        url = self._client.server_url + "/rest/api/2/search"
        first: dict[str, Any] = {
            "jql": jql,
            "fields": fields,
            "startAt": 0,
            "maxResults": self._page_size or DATACENTER_PAGE,
        }

        def after(body: dict[str, Any], page: dict[str, Any]) -> dict[str, Any] | None:
            # the server may cap maxResults below what we asked: page by what came back
            start = int(body["startAt"]) + len(page.get("issues") or [])
            if not page.get("issues") or start >= int(page.get("total") or 0):
                return None
            return {**body, "startAt": start}

        yield from self._issues(url, first, after, lambda page: int(page.get("total") or 0), progress)

    def _issues(
        self,
        url: str,
        first: dict[str, Any],
        after: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None],
        total_of: Callable[[dict[str, Any]], int | None],
        progress: Progress | None,
    ) -> Iterator[dict[str, Any]]:
        """The issues of each page in order; `after(request, page)` gives the next request or None
        at the end, `total_of(page)` what `progress` is told the total is.

        The next request is sent as soon as the current page is decoded, before the caller sees
        the page: a single helper thread, so requests stay strictly one after the other on the
        client's session. Errors surface in the caller's thread when it reaches that page."""
        seen = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jira-search") as pool:
            body: dict[str, Any] | None = first
            pending: Future[dict[str, Any]] | None = pool.submit(self._post, url, first)
            try:
                while pending is not None and body is not None:
                    page = pending.result()
                    body = after(body, page)
                    pending = pool.submit(self._post, url, body) if body is not None else None
                    issues = page.get("issues") or []
                    seen += len(issues)
                    if progress is not None:
                        progress(seen, total_of(page))
                    yield from issues
            finally:
                if pending is not None:
                    pending.cancel()  # the caller stopped early; a request already sent completes

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        try:
            response = self._client._session.post(url, data=json.dumps(body))
        except JIRAError as exc:
            raise _map_jira_error("search", exc) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetryableError(f"jira search: {type(exc).__name__}") from None
        try:
            answer = orjson.loads(response.content)  # a 100k-issue report decodes ~0.5 GB of JSON
        except orjson.JSONDecodeError:
            raise RetryableError("jira search: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise RetryableError("jira search: the answer is not a JSON object")
        return answer
