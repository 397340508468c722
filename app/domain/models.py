"""Value objects shared by the domain, the worker and the adapters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ChatMessage:
    channel: str
    ts: str
    text: str
    user: str | None
    thread_ts: str | None = None
    bot_id: str | None = None
    subtype: str | None = None

    @property
    def is_from_bot(self) -> bool:
        return self.bot_id is not None or self.subtype == "bot_message"

    @property
    def is_thread_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def thread_root(self) -> str:
        """The ts replies go under: the thread's parent, or the message itself."""
        return self.thread_ts or self.ts


@dataclass(frozen=True)
class ChatUser:
    id: str
    name: str
    real_name: str
    email: str | None
    is_bot: bool = False
    deleted: bool = False

    @property
    def display(self) -> str:
        return self.real_name or self.name or self.id


@dataclass(frozen=True)
class BotIdentity:
    user_id: str
    bot_id: str | None
    team_id: str | None


@dataclass(frozen=True)
class TrackerUser:
    """A Jira user: `account_id` on Cloud, `name` on Data Center."""

    display_name: str
    account_id: str | None = None
    name: str | None = None

    def as_field(self) -> dict[str, str]:
        """The value of a user field (reporter, assignee) in an issue create/update body."""
        if self.account_id is not None:
            return {"accountId": self.account_id}
        if self.name is not None:
            return {"name": self.name}
        raise ValueError("a Jira user needs an accountId (Cloud) or a name (Data Center)")

    @property
    def identifier(self) -> str:
        """How endpoints that take a bare user (watchers) name them: accountId on Cloud, name on DC."""
        if self.account_id is not None:
            return self.account_id
        if self.name is not None:
            return self.name
        raise ValueError("a Jira user needs an accountId (Cloud) or a name (Data Center)")


@dataclass(frozen=True)
class IssueRef:
    key: str
    url: str


@dataclass(frozen=True)
class IssueUpdate:
    """Changes to an existing issue (an "Edit details" submission)."""

    key: str
    summary: str | None = None
    priority: str | None = None
    add_labels: tuple[str, ...] = ()
    remove_labels: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketDraft:
    project: str
    issue_type: str
    summary: str
    description: str
    labels: list[str]
    priority: str
    reporter: TrackerUser | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyPost:
    """A bot message; `thread_ts=None` posts at the top level of the channel."""

    channel: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    metadata_type: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class TicketForm:
    """What a requester answered in the intake modal, as stored with the ticket."""

    summary: str
    description: str
    impact: str | None = None
    urgency: str | None = None
    jira_fields: dict[str, Any] = field(default_factory=dict)
    # Jira user fields answered with a Slack user id; resolved to Jira users when the ticket is made
    user_fields: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "summary": self.summary,
                "description": self.description,
                "impact": self.impact,
                "urgency": self.urgency,
                "jira_fields": self.jira_fields,
                "user_fields": self.user_fields,
            },
            separators=(",", ":"),
        )

    @staticmethod
    def from_json(raw: str) -> TicketForm:
        data = json.loads(raw)
        return TicketForm(
            summary=str(data["summary"]),
            description=str(data.get("description") or ""),
            impact=data.get("impact"),
            urgency=data.get("urgency"),
            jira_fields=dict(data.get("jira_fields") or {}),
            user_fields=dict(data.get("user_fields") or {}),
        )


@dataclass(frozen=True)
class UserGroupRef:
    """A Slack user group: its id (S…) for mentions and updates, its handle for plain text."""

    id: str
    handle: str


@dataclass(frozen=True)
class OpenInterrupts:
    """The team's open interrupt tickets: how many, the oldest, and the search that lists them."""

    count: int
    oldest: IssueRef | None
    oldest_created: datetime | None
    jql: str
    search_url: str
