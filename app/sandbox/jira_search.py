"""Issue search of the fake Jira: Cloud's `search/jql` and approximate count, Data Center's `search`.

Cloud pages with an opaque `nextPageToken` and never says how many issues match; Data Center
pages with `startAt` and reports `total`. Both honour `fields` and cap `maxResults` the way the
real services do, so code that assumes "one page is everything" fails here as it would there.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any, Final

from app.sandbox.http_fake import FakeResponse
from app.sandbox.jira_handlers import ApiCall
from app.sandbox.jira_models import Issue, JiraApiError
from app.sandbox.jira_render import FieldSelection

CLOUD_PAGE_CAP: Final = 100  # when fields beyond id/key are requested
CLOUD_ID_PAGE_CAP: Final = 5000
DATACENTER_PAGE_CAP: Final = 1000  # jira.search.views.default.max
DEFAULT_PAGE: Final = 50
_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
_UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
_BAD_TOKEN = "The provided next page token is invalid or expired."  # noqa: S105 - not a secret


def _params(call: ApiCall) -> dict[str, Any]:
    """GET query parameters or POST body, normalised to one dict (fields as a list of strings)."""
    if call.request.method == "POST":
        body = call.body_object()
        raw_fields = body.get("fields") or []
        if not isinstance(raw_fields, list):
            raise JiraApiError(400, ["'fields' must be an array of field names."])
        return {**body, "fields": [str(f) for f in raw_fields]}
    params: dict[str, Any] = {k: v[-1] for k, v in call.request.query.items()}
    params["fields"] = call.request.query.get("fields", [])
    return params


def _int(params: dict[str, Any], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise JiraApiError(400, [f"The '{name}' parameter must be a number, not '{raw}'."]) from None


def _run(call: ApiCall, jql_text: Any, *, bounded: bool, first_page: bool = True) -> list[Issue]:
    if jql_text is not None and not isinstance(jql_text, str):
        raise JiraApiError(400, ["'jql' must be a string."])
    query = call.state.parse_jql(jql_text or "")
    if bounded and query.where is None:
        raise JiraApiError(400, [_UNBOUNDED])
    return call.state.search_page_source(jql_text or "", query, call.user, first_page=first_page)


def _token(offset: int, jql_text: str) -> str:
    raw = json.dumps({"o": offset, "q": hashlib.sha256(jql_text.encode()).hexdigest()[:16]})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _offset(token: Any, jql_text: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)))
        if data["q"] == hashlib.sha256(jql_text.encode()).hexdigest()[:16] and data["o"] >= 0:
            return int(data["o"])
    except (ValueError, KeyError, TypeError):
        pass
    raise JiraApiError(400, [_BAD_TOKEN])


def search_jql(call: ApiCall) -> FakeResponse:
    """Cloud `GET/POST search/jql`: only issue ids unless `fields` asks for more."""
    if not call.state.is_cloud:
        raise JiraApiError(404, ["null for uri: " + call.request.path])
    params = _params(call)
    jql_text = params.get("jql") or ""
    offset = _offset(params.get("nextPageToken"), str(jql_text))
    hits = _run(call, jql_text, bounded=True, first_page=not params.get("nextPageToken"))
    selection = FieldSelection.parse(params["fields"], "")
    cap = CLOUD_ID_PAGE_CAP if selection.only_ids else CLOUD_PAGE_CAP
    size = max(1, min(_int(params, "maxResults", DEFAULT_PAGE), cap))
    page = hits[offset : offset + size]
    body: dict[str, Any] = {"issues": [call.render.issue(i, selection) for i in page]}
    if offset + size < len(hits):
        body["nextPageToken"] = _token(offset + size, str(jql_text))
        body["isLast"] = False
    else:
        body["isLast"] = True
    return FakeResponse(200, body)


def approximate_count(call: ApiCall) -> FakeResponse:
    if not call.state.is_cloud:
        raise JiraApiError(404, ["null for uri: " + call.request.path])
    return FakeResponse(200, {"count": len(_run(call, call.body_object().get("jql"), bounded=True))})


def search(call: ApiCall) -> FakeResponse:
    """Data Center `GET/POST search`; on Cloud this API is gone (410) since 2025."""
    if call.state.is_cloud:
        raise JiraApiError(410, [_GONE])
    params = _params(call)
    start = _int(params, "startAt", 0)
    size = min(_int(params, "maxResults", DEFAULT_PAGE), DATACENTER_PAGE_CAP)
    if start < 0 or size < 0:
        raise JiraApiError(400, ["startAt and maxResults must not be negative."])
    hits = _run(call, params.get("jql"), bounded=False, first_page=start == 0)
    selection = FieldSelection.parse(params["fields"], "*navigable")
    page = hits[start : start + size]
    return FakeResponse(
        200,
        {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(hits),
            "issues": [call.render.issue(i, selection) for i in page],
        },
    )


_API = r"/rest/api/(?:2|3|latest)"
ROUTES: Final[list[tuple[str, str, Callable[[ApiCall], FakeResponse]]]] = [
    ("GET", f"{_API}/search/jql", search_jql),
    ("POST", f"{_API}/search/jql", search_jql),
    ("POST", f"{_API}/search/approximate-count", approximate_count),
    ("GET", f"{_API}/search", search),
    ("POST", f"{_API}/search", search),
]
