"""What the two-way sync needs from the tracker beyond `Tracker`: comments and who is who.

`app.adapters.jira_comments.JiraCommentsMixin` implements it on the Jira adapter. Every method raises
`app.domain.errors` exceptions, never a client library's own.
"""

from __future__ import annotations

from typing import Protocol

from app.domain.jira_events import JiraUser
from app.domain.ports import Tracker


class IssueComments(Protocol):
    async def add_comment(self, key: str, body: str) -> str:
        """Add a public comment (wiki markup) as the bridge; returns its id. `AmbiguousError` when it may
        have been added anyway: look for it with `find_comment` before adding again."""
        ...

    async def update_comment(self, key: str, comment_id: str, body: str) -> None: ...

    async def delete_comment(self, key: str, comment_id: str) -> None:
        """Delete a comment; one that is already gone counts as deleted."""
        ...

    async def find_comment(self, key: str, containing: str) -> str | None:
        """The id of the newest of the bridge's recent comments whose body contains `containing`."""
        ...

    async def bridge_user(self) -> JiraUser:
        """The Jira account the bridge acts as (its comments are never mirrored back to Slack)."""
        ...

    async def issue_reporter(self, key: str) -> JiraUser | None: ...


class SyncTracker(Tracker, IssueComments, Protocol):
    """The tracker the sync jobs use: the intake's `Tracker` plus comments."""
