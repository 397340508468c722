"""Which reactions become tickets, in which team and bucket, and at which priority.

Pure functions over the workflow template: no I/O, so the ack path can decide synchronously.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.config.template import Bucket, Team, Template


@dataclass(frozen=True)
class ReactionRoute:
    """A reaction that should create (or point at) a ticket."""

    team: Team
    bucket: Bucket


def team_for_channel(template: Template, channel_id: str) -> Team | None:
    for team in template.teams:
        if channel_id in team.channels:
            return team
    return None


def bucket_for_emoji(template: Template, emoji: str) -> Bucket | None:
    """The bucket an emoji files into; `None` when the emoji is not a trigger.

    Skin-tone variants (`+1::skin-tone-2`) count as the base emoji.
    """
    base = emoji.split("::", 1)[0]
    for bucket in template.buckets:
        if base in bucket.emoji:
            return bucket
    if base in template.defaults.trigger_emoji:
        return template.bucket(template.defaults.default_bucket)
    return None


def route_reaction(
    template: Template, *, channel_id: str, emoji: str, reactor_id: str, bot_user_id: str | None
) -> ReactionRoute | None:
    """Decide whether a reaction asks for a ticket. Ignores the bot's own reactions."""
    if bot_user_id is not None and reactor_id == bot_user_id:
        return None
    team = team_for_channel(template, channel_id)
    if team is None:
        return None
    bucket = bucket_for_emoji(template, emoji)
    if bucket is None:
        return None
    return ReactionRoute(team=team, bucket=bucket)


def clamp_priority(template: Template, bucket: Bucket, priority: str) -> str:
    """Apply the bucket's floor (at least this urgent) and ceiling (at most this urgent)."""
    rank = template.rank(priority)
    if bucket.priority_floor is not None:
        rank = min(rank, template.rank(bucket.priority_floor))
    if bucket.priority_ceiling is not None:
        rank = max(rank, template.rank(bucket.priority_ceiling))
    return template.priorities[rank]


def default_priority(template: Template, bucket: Bucket) -> str:
    """The priority a ticket gets when the requester answered no questions (e.g. a reaction)."""
    return clamp_priority(template, bucket, bucket.default_priority or template.default_priority)


def ticket_labels(template: Template, team: Team, bucket: Bucket, *, marker: str) -> list[str]:
    """`interrupt`, `bucket-<key>`, the team's and bucket's labels, and the exactly-once marker label."""
    labels = [*template.defaults.labels, f"bucket-{bucket.key}", *team.jira.labels, *bucket.labels, marker]
    return list(dict.fromkeys(labels))


def bucket_from_labels(template: Template, labels: list[str]) -> Bucket | None:
    keys = {label.removeprefix("bucket-") for label in labels if label.startswith("bucket-")}
    for bucket in template.buckets:
        if bucket.key in keys:
            return bucket
    return None
