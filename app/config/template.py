"""The workflow template: teams, buckets, priorities and message texts, validated by pydantic.

The template is what makes requesters bucket their request and what derives a realistic priority;
everything here is data, the decisions live in `app.domain`.
"""

from __future__ import annotations

import string
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Emoji = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_+'-]{1,100}$")]
ChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,}$")]
Label = Annotated[str, StringConstraints(pattern=r"^[^\s]{1,255}$")]
ProjectKey = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,9}$")]

MESSAGE_PLACEHOLDERS = frozenset(
    {"ticket_key", "ticket_url", "bucket", "priority", "requester", "channel", "team", "reactor"}
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JiraTarget(_Strict):
    project: ProjectKey
    issue_type: str = "Task"
    labels: tuple[Label, ...] = ()
    fields: dict[str, Any] = Field(default_factory=dict)


class Team(_Strict):
    key: Key
    name: str
    channels: tuple[ChannelId, ...] = Field(min_length=1)
    jira: JiraTarget


class Bucket(_Strict):
    key: Key
    name: str
    description: str = ""
    emoji: tuple[Emoji, ...] = ()
    labels: tuple[Label, ...] = ()
    default_priority: str | None = None
    priority_floor: str | None = None
    priority_ceiling: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)


class Messages(_Strict):
    redirect: str = (
        ":ticket: Thanks {requester}! This is tracked as *<{ticket_url}|{ticket_key}>* "
        "({bucket}, priority {priority}). Please follow up in the ticket or in this thread."
    )
    already_tracked: str = "This message is already tracked as <{ticket_url}|{ticket_key}>."

    @field_validator("redirect", "already_tracked")
    @classmethod
    def _known_placeholders(cls, text: str) -> str:
        for _, name, _, _ in string.Formatter().parse(text):
            if name is not None and name not in MESSAGE_PLACEHOLDERS:
                known = ", ".join(sorted(MESSAGE_PLACEHOLDERS))
                raise ValueError(f"unknown placeholder {{{name}}}; known placeholders: {known}")
        return text


class Defaults(_Strict):
    trigger_emoji: tuple[Emoji, ...] = ("ticket",)
    default_bucket: Key
    tracked_reaction: Emoji = "eyes"
    labels: tuple[Label, ...] = ("interrupt",)


class Template(_Strict):
    version: int = 1
    priorities: tuple[str, ...] = ("Highest", "High", "Medium", "Low", "Lowest")
    default_priority: str = "Medium"
    defaults: Defaults
    teams: tuple[Team, ...] = Field(min_length=1)
    buckets: tuple[Bucket, ...] = Field(min_length=1)
    messages: Messages = Messages()

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        _unique("teams", [t.key for t in self.teams])
        _unique("buckets", [b.key for b in self.buckets])
        channels = [c for t in self.teams for c in t.channels]
        _unique("team channels", channels)
        bucket_keys = {b.key for b in self.buckets}
        if self.defaults.default_bucket not in bucket_keys:
            raise ValueError(f"defaults.default_bucket {self.defaults.default_bucket!r} is not a bucket key")
        known = set(self.priorities)
        if self.default_priority not in known:
            raise ValueError(f"default_priority {self.default_priority!r} is not one of priorities")
        for bucket in self.buckets:
            for attr in ("default_priority", "priority_floor", "priority_ceiling"):
                value = getattr(bucket, attr)
                if value is not None and value not in known:
                    raise ValueError(f"bucket {bucket.key!r}: {attr} {value!r} is not one of priorities")
            floor, ceiling = bucket.priority_floor, bucket.priority_ceiling
            if floor and ceiling and self.rank(floor) < self.rank(ceiling):
                raise ValueError(f"bucket {bucket.key!r}: priority_floor is above priority_ceiling")
        emoji = [e for b in self.buckets for e in b.emoji] + list(self.defaults.trigger_emoji)
        _unique("trigger emoji (defaults.trigger_emoji and bucket emoji)", emoji)
        return self

    def rank(self, priority: str) -> int:
        """0 is the highest priority; larger is lower."""
        return self.priorities.index(priority)

    def bucket(self, key: str) -> Bucket:
        for bucket in self.buckets:
            if bucket.key == key:
                return bucket
        raise KeyError(key)

    def team(self, key: str) -> Team:
        for team in self.teams:
            if team.key == key:
                return team
        raise KeyError(key)


def _unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    dupes = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
    if dupes:
        raise ValueError(f"duplicate {what}: {', '.join(dupes)}")
