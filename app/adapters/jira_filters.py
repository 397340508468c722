"""Jira saved filters of the bridge's account: list its own, create, update (REST v2 shapes).

Cloud lists the caller's filters with `GET filter/my`; Data Center has no such call, so filters are
created as favourites and found among `GET filter/favourite`.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from jira import JIRA, JIRAError

from app.adapters.jira_tracker import _map_jira_error
from app.domain.errors import RetryableError
from app.domain.report_saved_filters import ExistingFilter, SavedFilter


class JiraFilters:
    def __init__(self, client: JIRA) -> None:
        self._client = client

    def mine(self) -> list[ExistingFilter]:
        cloud = bool(self._client._is_cloud)
        path = "filter/my?includeFavourites=true" if cloud else "filter/favourite"
        found = self._call("GET", path)
        return [
            ExistingFilter(str(f["id"]), str(f["name"]), str(f.get("jql") or ""), f.get("description"))
            for f in found
            if isinstance(f, dict)
        ]

    def create(self, wanted: SavedFilter) -> str:
        body = {"name": wanted.name, "jql": wanted.jql, "description": wanted.description, "favourite": True}
        return str(self._call("POST", "filter", body)["id"])

    def update(self, filter_id: str, wanted: SavedFilter) -> None:
        body = {"name": wanted.name, "jql": wanted.jql, "description": wanted.description}
        self._call("PUT", f"filter/{filter_id}", body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = self._client._get_url(path.split("?")[0])
        params = dict(p.split("=", 1) for p in path.split("?")[1].split("&")) if "?" in path else None
        try:
            response = self._client._session.request(
                method, url, params=params, data=json.dumps(body) if body is not None else None
            )
        except JIRAError as exc:
            raise _map_jira_error(f"filter {method}", exc) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetryableError(f"jira filter {method}: {type(exc).__name__}") from None
        return response.json()
