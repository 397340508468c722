"""The records the fake Jira keeps: users, projects, workflow, issues and what hangs off them.

Plain dataclasses; `app.sandbox.jira_state.JiraState` owns and changes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from app.sandbox import jql

Deployment = Literal["cloud", "datacenter"]


class JiraApiError(Exception):
    """An error answer: `{"errorMessages": [...], "errors": {field: message}}` with a status."""

    def __init__(
        self, status: int, messages: Iterable[str] = (), errors: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})
        super().__init__(f"{status}: {self.messages} {self.errors}")

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


@dataclass
class User:
    account_id: str
    name: str
    key: str
    display_name: str
    email: str
    active: bool = True
    account_type: str = "atlassian"


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str
    description: str = ""


@dataclass
class Project:
    id: str
    key: str
    name: str
    issue_types: list[IssueType]
    lead: User | None = None
    next_number: int = 1
    off_screen: set[str] = field(default_factory=set)
    """Field ids left off the create screen: createmeta omits them and a create that sets one fails."""


@dataclass(frozen=True)
class Priority:
    id: str
    name: str
    rank: int  # 1 is the most urgent; JQL ORDER BY priority DESC puts it first
    color: str


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: str  # new | indeterminate | done


STATUS_CATEGORIES: dict[str, tuple[int, str, str]] = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: Status


@dataclass(frozen=True)
class Resolution:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class CustomField:
    id: str  # customfield_10042
    name: str
    kind: str = "string"  # string (a text field) | option (a select list) | options (a multi-select)
    options: tuple[str, ...] = ()  # the values of a select list, in order

    @property
    def number(self) -> int:
        return int(self.id.removeprefix("customfield_"))

    def option_id(self, value: str) -> str:
        """A stable id for one of `options` (Jira's option ids are plain numbers too)."""
        return f"{self.number}{self.options.index(value):03d}"


@dataclass
class Comment:
    id: int
    author: User
    body: str
    created: datetime
    updated: datetime
    update_author: User


@dataclass
class RemoteLink:
    id: int
    global_id: str | None
    object: dict[str, Any]
    application: dict[str, Any] | None = None
    relationship: str | None = None


@dataclass
class Issue:
    id: int
    key: str
    project: Project
    issue_type: IssueType
    summary: str
    status: Status
    created: datetime
    updated: datetime
    reporter: User | None = None
    creator: User | None = None
    assignee: User | None = None
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    priority: Priority | None = None
    resolution: Resolution | None = None
    resolutiondate: datetime | None = None
    security: SecurityLevel | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    remote_links: list[RemoteLink] = field(default_factory=list)
    watchers: list[User] = field(default_factory=list)
    record_cache: dict[str, jql.FieldValue] | None = None

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass
class Filter:
    id: int
    name: str
    jql: str
    owner: User
    description: str | None = None
    favourite: bool = False


TO_DO = Status("10000", "To Do", "new")
IN_PROGRESS = Status("3", "In Progress", "indeterminate")
DONE = Status("10001", "Done", "done")
DEFAULT_PRIORITIES = (
    Priority("1", "Highest", 1, "#d04437"),
    Priority("2", "High", 2, "#f15C75"),
    Priority("3", "Medium", 3, "#f79232"),
    Priority("4", "Low", 4, "#707070"),
    Priority("5", "Lowest", 5, "#999999"),
)


@dataclass(frozen=True)
class SecurityLevel:
    """An issue security level: who may see an issue that carries it."""

    id: str
    name: str
    description: str


DEFAULT_SECURITY_LEVELS = (
    SecurityLevel("10100", "Staff only", "Only employees can see the issue."),
    SecurityLevel("10101", "Security team", "Only the security team and the reporter can see the issue."),
)

DEFAULT_RESOLUTIONS = (
    Resolution("10000", "Done", "Work has been completed on this issue."),
    Resolution("10001", "Won't Do", "This issue won't be actioned."),
    Resolution("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
)


def timestamp(moment: datetime) -> str:
    """Jira's timestamp format: `2026-01-31T10:00:00.000+0000`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"
