"""`IssueResolver` on the `jira` package, as a mixin for `JiraTracker`: resolve an issue and label it.

Requests go straight to the REST v2 endpoints (issue status, transitions, label update), through the
tracker's bounded thread pool and error mapping (`_run`). Safe to repeat: an issue that is already in
a "done" status is not transitioned again, and adding a label it has changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from app.domain.errors import PermanentError

T = TypeVar("T")


class _RunsJira(Protocol):
    async def _run(self, what: str, fn: Callable[[Any], T], *, ambiguous: bool = False) -> T: ...


class JiraResolveMixin:
    async def resolve_issue(self: _RunsJira, key: str, *, label: str) -> bool:
        """Move the issue to a "done" status and add `label`; False when it was done already."""

        def resolve(client: Any) -> bool:
            status = client._session.get(client._get_url(f"issue/{key}"), params={"fields": "status"})
            category = json.loads(status.text)["fields"]["status"]["statusCategory"]["key"]
            moved = False
            if category != "done":
                listed = client._session.get(client._get_url(f"issue/{key}/transitions"))
                done = [
                    t
                    for t in json.loads(listed.text).get("transitions", [])
                    if (t.get("to") or {}).get("statusCategory", {}).get("key") == "done"
                ]
                if not done:
                    raise PermanentError(f"jira {key}: no transition leads to a done status")
                body = {"transition": {"id": str(done[0]["id"])}}
                client._session.post(client._get_url(f"issue/{key}/transitions"), data=json.dumps(body))
                moved = True
            update = {"update": {"labels": [{"add": label}]}}
            client._session.put(client._get_url(f"issue/{key}"), data=json.dumps(update))
            return moved

        return await self._run("resolve issue", resolve)
