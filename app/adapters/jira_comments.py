"""`IssueComments` on the `jira` package, as a mixin for `JiraTracker` (REST v2, wiki-markup bodies).

Hook it in with `class JiraTracker(JiraCommentsMixin): ...`: the methods run through the tracker's
bounded thread pool and error mapping (`_run`). Requests go straight to the endpoints: the `jira`
package's `add_comment` and `Comment.update` fetch or post more than needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from app.domain.errors import PermanentError
from app.domain.jira_events import JiraUser, parse_user

T = TypeVar("T")
_SEARCHED_COMMENTS = 100  # a retried mirror runs within minutes: the newest comments are enough


class _RunsJira(Protocol):
    """What the mixin needs from its host class (`JiraTracker`)."""

    _bridge_user: JiraUser | None

    async def _run(self, what: str, fn: Callable[[Any], T], *, ambiguous: bool = False) -> T: ...


class JiraCommentsMixin:
    _bridge_user: JiraUser | None = None

    async def add_comment(self: _RunsJira, key: str, body: str) -> str:
        def post(client: Any) -> str:
            response = client._session.post(
                client._get_url(f"issue/{key}/comment"), data=json.dumps({"body": body})
            )
            return str(json.loads(response.text)["id"])

        return await self._run("add comment", post, ambiguous=True)

    async def update_comment(self: _RunsJira, key: str, comment_id: str, body: str) -> None:
        def put(client: Any) -> None:
            client._session.put(
                client._get_url(f"issue/{key}/comment/{comment_id}"), data=json.dumps({"body": body})
            )

        await self._run("update comment", put)

    async def delete_comment(self: _RunsJira, key: str, comment_id: str) -> None:
        def delete(client: Any) -> None:
            client._session.delete(client._get_url(f"issue/{key}/comment/{comment_id}"))

        try:
            await self._run("delete comment", delete)
        except PermanentError as exc:
            if "HTTP 404" not in str(exc):
                raise

    async def find_comment(self: _RunsJira, key: str, containing: str) -> str | None:
        me = await JiraCommentsMixin.bridge_user(self)

        def search(client: Any) -> list[dict[str, Any]]:
            params = {"orderBy": "-created", "maxResults": _SEARCHED_COMMENTS}
            page = client._get_json(f"issue/{key}/comment", params=params)
            return list(page.get("comments") or [])

        for comment in await self._run("list comments", search):
            body = comment.get("body")
            if isinstance(body, str) and containing in body and me.same_as(parse_user(comment.get("author"))):
                return str(comment["id"])
        return None

    async def bridge_user(self: _RunsJira) -> JiraUser:
        if self._bridge_user is None:
            raw = await self._run("myself", lambda client: client.myself())
            user = parse_user(raw)
            if user is None:
                raise PermanentError("jira myself: no user in the answer")
            self._bridge_user = user
        return self._bridge_user

    async def issue_reporter(self: _RunsJira, key: str) -> JiraUser | None:
        def get(client: Any) -> Any:
            return client._get_json(f"issue/{key}", params={"fields": "reporter"})

        issue = await self._run("get issue", get)
        fields = issue.get("fields") if isinstance(issue, dict) else None
        return parse_user(fields.get("reporter")) if isinstance(fields, dict) else None
