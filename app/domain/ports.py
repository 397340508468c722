"""What the domain and the worker need from the outside world, as Protocols.

The adapters in `app.adapters` implement these with `slack_sdk` and `jira`; tests may too.
Every method raises `app.domain.errors` exceptions, never a client library's own.
"""

from __future__ import annotations

from typing import Any, Protocol

from app.domain.models import (
    BotIdentity,
    ChatMessage,
    ChatUser,
    IssueRef,
    IssueUpdate,
    OpenInterrupts,
    ReplyPost,
    TicketDraft,
    TrackerUser,
    UserGroupRef,
)


class Chat(Protocol):
    async def bot_identity(self) -> BotIdentity: ...

    async def thread_of(self, channel: str, ts: str) -> list[ChatMessage]:
        """The thread containing message `ts` (parent first), or just the message when unthreaded."""
        ...

    async def permalink(self, channel: str, ts: str) -> str: ...

    async def user(self, user_id: str) -> ChatUser: ...

    async def channel_name(self, channel: str) -> str: ...

    async def post_reply(self, post: ReplyPost) -> str:
        """Post in a thread; returns the new message's ts."""
        ...

    async def find_reply(
        self, channel: str, thread_ts: str, metadata_type: str, key: str, value: str
    ) -> str | None:
        """The ts of a bot reply in the thread whose metadata has `key == value`, if any."""
        ...

    async def add_reaction(self, channel: str, ts: str, name: str) -> None: ...

    async def post_ephemeral(
        self, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> None: ...

    async def find_channel_message(
        self, channel: str, metadata_type: str, key: str, value: str
    ) -> str | None:
        """The ts of a recent top-level bot message whose metadata has `key == value`, if any."""
        ...

    async def update_message(
        self, channel: str, ts: str, *, text: str, blocks: list[dict[str, Any]]
    ) -> None: ...

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        """Open a modal; returns the view id. `trigger_id` is single-use and lives 3 s."""
        ...

    async def update_view(self, view_id: str, view: dict[str, Any], *, view_hash: str | None) -> None: ...

    # -- on call ---------------------------------------------------------------------------------
    async def lookup_user_by_email(self, email: str) -> ChatUser | None:
        """The workspace member with this email; None when there is none (`users_not_found`)."""
        ...

    async def usergroup(self, ref: str) -> UserGroupRef | None:
        """The user group with this id (S…) or handle (`@` optional); None when there is none.

        Raises `UserGroupUnavailable` when user groups cannot be read (plan, permission, scope).
        """
        ...

    async def usergroup_users_update(self, usergroup_id: str, users: list[str]) -> None:
        """Replace the group's members with `users` (the whole list); `UserGroupUnavailable` on
        `permission_denied`, `plan_upgrade_required`, `missing_scope` or `no_such_subteam`."""
        ...

    async def post_dm(self, user: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        """Post in the bot's direct messages with `user` (a Slack user id); returns the message ts."""
        ...


class Tracker(Protocol):
    async def find_by_marker(self, marker: str) -> IssueRef | None:
        """The issue carrying the exactly-once marker label, if one was created."""
        ...

    async def create_issue(self, draft: TicketDraft) -> IssueRef: ...

    async def add_remote_link(self, key: str, *, url: str, title: str, global_id: str) -> None: ...

    async def find_user_by_email(self, email: str) -> TrackerUser | None: ...

    async def update_issue(self, update: IssueUpdate) -> None: ...

    def browse_url(self, key: str) -> str: ...

    async def assign_issue(self, key: str, user: TrackerUser) -> None: ...

    async def add_watcher(self, key: str, user: TrackerUser) -> None:
        """Add `user` to the issue's watchers (harmless when they already watch it)."""
        ...

    async def open_interrupts(
        self, project: str, label: str, *, exclude_label: str | None = None
    ) -> OpenInterrupts:
        """Unresolved issues of `project` carrying `label` (and not `exclude_label`): count, oldest, and
        a link to the search."""
        ...


class TextRanker(Protocol):
    """Ranks a fixed set of documents against a query (built once per FAQ version).

    `scores` has one entry per document, in the order the documents were given. `ceiling` is the
    score a document would get that contains every word of the query once (at the average length):
    the domain divides by it to get a confidence in 0..1 that a threshold can be set on.
    """

    def scores(self, query: str) -> list[float]: ...

    def ceiling(self, query: str) -> float: ...


class IssueResolver(Protocol):
    async def resolve_issue(self, key: str, *, label: str) -> bool:
        """Move the issue to a "done" status and add `label` (idempotent); False when it was done."""
        ...
