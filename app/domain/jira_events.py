"""Jira admin webhook deliveries, read into typed events.

Shapes follow Atlassian's webhook documentation and the platform OpenAPI schemas: `jira:issue_updated`
carries `issue` (an IssueBean: id, key, fields), `user` (UserDetails) and `changelog` (a Changelog whose
`items` are ChangeDetails: field, fieldId, from, fromString, to, toString); `comment_*` events carry
`comment` (a Comment: id, author, body, created, updated, visibility, jsdPublic) and a reduced `issue`.
Everything is read leniently (a missing field is None), because a body's exact contents depend on the
site, its apps and its version; only what the bridge cannot work without raises `WebhookPayloadError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ISSUE_UPDATED = "jira:issue_updated"
COMMENT_CREATED = "comment_created"
COMMENT_UPDATED = "comment_updated"
COMMENT_DELETED = "comment_deleted"
HANDLED_EVENTS = frozenset({ISSUE_UPDATED, COMMENT_CREATED, COMMENT_UPDATED, COMMENT_DELETED})


class WebhookPayloadError(ValueError):
    """The body is not a Jira webhook the bridge can read."""


@dataclass(frozen=True)
class JiraUser:
    """Who did something: `account_id` on Cloud; `name`/`key` on Data Center."""

    display_name: str
    account_id: str | None = None
    name: str | None = None
    key: str | None = None
    email: str | None = None

    def same_as(self, other: JiraUser | None) -> bool:
        if other is None:
            return False
        for mine, theirs in (
            (self.account_id, other.account_id),
            (self.name, other.name),
            (self.key, other.key),
        ):
            if mine and theirs:
                return mine == theirs
        return False

    def to_json(self) -> dict[str, str | None]:
        return {
            "display_name": self.display_name,
            "account_id": self.account_id,
            "name": self.name,
            "key": self.key,
            "email": self.email,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> JiraUser:
        return JiraUser(
            display_name=str(data.get("display_name") or ""),
            account_id=data.get("account_id"),
            name=data.get("name"),
            key=data.get("key"),
            email=data.get("email"),
        )


@dataclass(frozen=True)
class ChangeItem:
    field: str
    from_id: str | None
    from_string: str | None
    to_id: str | None
    to_string: str | None


@dataclass(frozen=True)
class IssueRefPayload:
    key: str
    labels: tuple[str, ...]
    status: str | None
    reporter: JiraUser | None


@dataclass(frozen=True)
class IssueUpdated:
    at: datetime
    issue: IssueRefPayload
    user: JiraUser | None
    items: tuple[ChangeItem, ...]

    def change(self, field: str) -> ChangeItem | None:
        """The last change of `field` (by name or id, case-insensitive) in this update."""
        found = [item for item in self.items if item.field == field]
        return found[-1] if found else None


@dataclass(frozen=True)
class CommentEvent:
    event: str
    at: datetime
    issue: IssueRefPayload
    comment_id: str
    author: JiraUser | None
    update_author: JiraUser | None
    body: str | dict[str, Any] | None
    """Wiki markup (REST v2 shape) or an Atlassian document (v3 shape), as the site sent it."""
    created: datetime | None
    public: bool


JiraEvent = IssueUpdated | CommentEvent


def webhook_event(payload: Mapping[str, Any]) -> str:
    return str(payload.get("webhookEvent") or "")


def issue_key_and_labels(payload: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """What the ack path needs to find the ticket: the issue key and its labels (if the payload has them)."""
    issue = payload.get("issue")
    if not isinstance(issue, Mapping):
        return None, ()
    key = issue.get("key")
    fields = issue.get("fields")
    labels = fields.get("labels") if isinstance(fields, Mapping) else None
    return (
        str(key) if isinstance(key, str) and key else None,
        tuple(str(label) for label in labels) if isinstance(labels, list) else (),
    )


def parse_event(payload: Mapping[str, Any]) -> JiraEvent | None:
    """The typed event, or None for an event the bridge does not handle."""
    event = webhook_event(payload)
    if event not in HANDLED_EVENTS:
        return None
    issue = _issue(payload.get("issue"))
    at = _epoch_ms(payload.get("timestamp"))
    if event == ISSUE_UPDATED:
        changelog = payload.get("changelog")
        raw_items = changelog.get("items") if isinstance(changelog, Mapping) else None
        items = tuple(_item(raw) for raw in raw_items or () if isinstance(raw, Mapping))
        return IssueUpdated(at=at, issue=issue, user=parse_user(payload.get("user")), items=items)
    comment = payload.get("comment")
    if not isinstance(comment, Mapping) or comment.get("id") in (None, ""):
        raise WebhookPayloadError(f"{event} without a comment id")
    body = comment.get("body")
    return CommentEvent(
        event=event,
        at=at,
        issue=issue,
        comment_id=str(comment["id"]),
        author=parse_user(comment.get("author")),
        update_author=parse_user(comment.get("updateAuthor")),
        body=body if isinstance(body, str | dict) else None,
        created=parse_jira_datetime(comment.get("created")),
        public=_public(comment),
    )


def parse_user(raw: Any) -> JiraUser | None:
    if not isinstance(raw, Mapping):
        return None
    name = raw.get("name")
    return JiraUser(
        display_name=str(raw.get("displayName") or name or raw.get("accountId") or "someone"),
        account_id=_text(raw.get("accountId")),
        name=_text(name),
        key=_text(raw.get("key")),
        email=_text(raw.get("emailAddress")),
    )


def parse_jira_datetime(raw: Any) -> datetime | None:
    """Jira's '2024-03-11T09:15:02.000+0100' (or RFC 3339) as an aware datetime; None if unreadable."""
    if not isinstance(raw, str) or not raw:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(raw, pattern)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _issue(raw: Any) -> IssueRefPayload:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("key"), str) or not raw["key"]:
        raise WebhookPayloadError("the webhook has no issue key")
    fields = raw.get("fields") if isinstance(raw.get("fields"), Mapping) else {}
    assert isinstance(fields, Mapping)
    labels = fields.get("labels")
    status = fields.get("status")
    return IssueRefPayload(
        key=raw["key"],
        labels=tuple(str(label) for label in labels) if isinstance(labels, list) else (),
        status=_text(status.get("name")) if isinstance(status, Mapping) else None,
        reporter=parse_user(fields.get("reporter")),
    )


def _item(raw: Mapping[str, Any]) -> ChangeItem:
    # `fieldId` is the stable id ("status", "resolution"); `field` is the (localisable) name.
    field = str(raw.get("fieldId") or raw.get("field") or "").lower()
    return ChangeItem(
        field=field,
        from_id=_text(raw.get("from")),
        from_string=_text(raw.get("fromString")),
        to_id=_text(raw.get("to")),
        to_string=_text(raw.get("toString")),
    )


def _public(comment: Mapping[str, Any]) -> bool:
    """Visible to everyone who sees the issue: no group/role restriction, and not a JSM internal note."""
    return not comment.get("visibility") and comment.get("jsdPublic", True) is not False


def _epoch_ms(raw: Any) -> datetime:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw > 0:
        return datetime.fromtimestamp(raw / 1000, UTC)
    raise WebhookPayloadError("the webhook has no `timestamp` (epoch milliseconds)")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text or None
