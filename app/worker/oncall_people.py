"""Who the schedule's on-call person is in Slack: members (ids or emails) resolved, leavers skipped.

Shared by the handoff, the assignment of new tickets and the redirect reply, so all three agree on
who is on call. A member who left Slack (deactivated, or no account with that email any more) is
skipped with a warning, and the next member in rotation order covers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from app.config.rotation import Rotation
from app.config.template import Template
from app.domain.errors import ExternalError, PermanentError
from app.domain.models import ChatUser, UserGroupRef
from app.domain.oncall import RotationNotStarted, Shift, shift_at
from app.domain.oncall_text import is_usergroup_id, redirect_placeholders
from app.domain.ports import Chat
from app.store.tickets import Ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OnCallPerson:
    """The person on call for `shift` in Slack; `member` is how the template names them."""

    shift: Shift
    member: str
    user: ChatUser
    skipped: tuple[str, ...] = ()


async def slack_member(chat: Chat, member: str) -> ChatUser | None:
    """The member's Slack user, or None when they have left Slack."""
    if "@" in member:
        user = await chat.lookup_user_by_email(member)
    else:
        try:
            user = await chat.user(member)
        except PermanentError as exc:
            if "user_not_found" not in str(exc):
                raise
            user = None
    return None if user is None or user.deleted else user


def _candidates(rotation: Rotation, lead: str) -> list[str]:
    """The lead, then the members after them in rotation order (all members for an outside lead)."""
    members = list(rotation.members)
    if lead not in members:
        return [lead, *members]
    index = members.index(lead)
    return members[index:] + members[:index]


async def resolve_oncall(chat: Chat, rotation: Rotation, at: datetime) -> OnCallPerson | None:
    """Who covers at `at`: the scheduled lead, or the next member still in Slack; None if nobody is.

    Raises `RotationNotStarted` before the first shift.
    """
    shift = shift_at(rotation, at)
    skipped: list[str] = []
    for member in _candidates(rotation, shift.lead):
        user = await slack_member(chat, member)
        if user is not None:
            return OnCallPerson(shift=shift, member=member, user=user, skipped=tuple(skipped))
        log.warning("on-call member is no longer in Slack; skipped", extra={"oncall.member": member})
        skipped.append(member)
    return None


async def resolve_usergroup(chat: Chat, ref: str) -> UserGroupRef:
    """The configured group's id and handle, as far as Slack tells them (the configured half at least).

    For texts only: a failure to read the groups leaves the other half empty instead of failing.
    """
    try:
        found = await chat.usergroup(ref)
    except ExternalError as exc:
        log.warning("could not read the Slack user groups", extra={"error": str(exc)})
        found = None
    if found is not None:
        return found
    if is_usergroup_id(ref):
        return UserGroupRef(id=ref, handle="")
    return UserGroupRef(id="", handle=ref.removeprefix("@"))


async def redirect_values(chat: Chat, template: Template, ticket: Ticket, *, now: float) -> dict[str, str]:
    """`{oncall}` and `{support}` for the ticket's redirect reply: the person on call when the ticket
    was raised (the one it is assigned to), support hours as of `now`."""
    rotation = template.team(ticket.team).rotation
    person: OnCallPerson | None = None
    usergroup: UserGroupRef | None = None
    if rotation is not None:
        try:
            person = await resolve_oncall(chat, rotation, datetime.fromtimestamp(ticket.created_at, UTC))
        except RotationNotStarted:
            person = None
        if rotation.usergroup is not None:
            usergroup = await resolve_usergroup(chat, rotation.usergroup)
    return redirect_placeholders(
        template,
        ticket.team,
        bucket_key=ticket.bucket,
        at=datetime.fromtimestamp(now, UTC),
        person=person.user if person is not None else None,
        usergroup=usergroup,
    )
