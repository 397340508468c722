"""Paged issue search for reports: Cloud's `search/jql` (nextPageToken), Data Center's `search` (startAt).

Pages are requested at the largest size each deployment serves with fields (Cloud 100, Data Center
1000 by default) and yielded as raw issue JSON one at a time, so a report over 100k issues never
holds more than one page of JSON. Synchronous (the `jira` client is): callers run it in a thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
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
        body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": self._page_size or CLOUD_PAGE}
        seen = 0
        while True:
            page = self._post(url, body)
            issues = page.get("issues") or []
            seen += len(issues)
            if progress is not None:
                progress(seen, None)
            yield from issues
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token or not issues:
                return
            body["nextPageToken"] = token

    def _datacenter(self, jql: str, fields: list[str], progress: Progress | None) -> Iterator[dict[str, Any]]:
        url = self._client.server_url + "/rest/api/2/search"
        size = self._page_size or DATACENTER_PAGE
        start = 0
        while True:
            page = self._post(url, {"jql": jql, "fields": fields, "startAt": start, "maxResults": size})
            issues = page.get("issues") or []
            total = int(page.get("total") or 0)
            start += len(issues)
            if progress is not None:
                progress(start, total)
            yield from issues
            # the server may cap maxResults below what we asked: page by what came back
            if not issues or start >= total:
                return

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
