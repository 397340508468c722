"""What the bridge says about on call, as Slack mrkdwn: pure functions of the template, the schedule and
facts the worker gathered (Slack users, the user group, open tickets).

Mentions: `<!subteam^S…>` and `<@U…>` notify; `@handle` written as plain text does not (bots post with
`link_names` off), which is how texts name the handle without paging it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.config.rotation import Rotation
from app.config.template import Template
from app.domain.models import ChatUser, IssueRef, OpenInterrupts, UserGroupRef
from app.domain.oncall import (
    EN_DASH,
    Shift,
    describe_support,
    format_local,
    in_support_hours,
    next_support_window,
    shifts,
)
from app.domain.shadowing import Pairing, role_name
from app.domain.sla_risk import AtRisk

_USERGROUP_ID = re.compile(r"S[A-Z0-9]{2,}")

ALERT_HINTS = {
    "permission_denied": "the workspace does not let the bridge change user groups; allow it in the "
    "workspace settings (Permissions > User groups)",
    "plan_upgrade_required": "user groups need a paid Slack plan; remove `usergroup` from the rotation",
    "missing_scope": "reinstall the Slack app with the usergroups:read and usergroups:write scopes",
    "no_such_subteam": "the user group does not exist; fix `usergroup` in the team's rotation",
    "nobody_reachable": "none of the rotation's members is in Slack any more; update `members`",
}


def member_mention(member: str) -> str:
    """A rotation member as written in the template: `<@U…>` for a Slack id, else the email itself."""
    return member if "@" in member else f"<@{member}>"


def usergroup_mention(ref: str) -> str:
    """The configured `usergroup`: `<!subteam^S…>` for an id (it pages), `@handle` for a handle (not)."""
    return f"<!subteam^{ref}>" if is_usergroup_id(ref) else f"@{ref.removeprefix('@')}"


def is_usergroup_id(ref: str) -> bool:
    """Whether the rotation's `usergroup` is an id (S…) rather than a handle (handles are lowercase)."""
    return _USERGROUP_ID.fullmatch(ref) is not None


# -- the redirect reply ----------------------------------------------------------------------------------
def redirect_placeholders(
    template: Template,
    team_key: str,
    *,
    bucket_key: str,
    at: datetime | None,
    person: ChatUser | None,
    usergroup: UserGroupRef | None,
) -> dict[str, str]:
    """`{oncall}` and `{support}` of the redirect reply.

    Inside support hours (or when `at` is None) `{oncall}` pages: the user group, else the person on
    call. Outside them it names the handle without paging, unless the bucket is `urgent`, and
    `{support}` says when the team answers and how to escalate. A group or person the worker could not
    resolve is None; an unresolved part of the group (id or handle) is empty.
    """
    team = template.team(team_key)
    rotation = team.rotation
    if rotation is None:
        return {"oncall": f"the {team.name} team", "support": ""}
    nobody = f"the {team.name} on-call person"
    loud = (
        f"<!subteam^{usergroup.id}>"
        if usergroup is not None and usergroup.id
        else (f"<@{person.id}>" if person is not None else nobody)
    )
    if at is None or in_support_hours(rotation, at):
        return {"oncall": loud, "support": ""}
    hours = describe_support(rotation)
    if template.bucket(bucket_key).urgent:
        return {
            "oncall": loud,
            "support": f"It is outside support hours ({hours}); as this is urgent, on call has been paged.",
        }
    quiet = (
        f"@{usergroup.handle}"
        if usergroup is not None and usergroup.handle
        else (person.display if person is not None else nobody)
    )
    opens = format_local(rotation, next_support_window(rotation, at)[0])
    return {
        "oncall": quiet,
        "support": f"The team answers {hours}; next from {opens}. If it cannot wait, mention {quiet} here.",
    }


def configured_placeholders(template: Template, team_key: str) -> dict[str, str]:
    """`{oncall}` and `{support}` from the template alone, where nothing may be looked up in Slack:
    the configured handle (`<!subteam^S…>` for an id), and no support-hours note."""
    team = template.team(team_key)
    rotation = team.rotation
    if rotation is None:
        return {"oncall": f"the {team.name} team", "support": ""}
    if rotation.usergroup is None:
        return {"oncall": f"the {team.name} on-call person", "support": ""}
    return {"oncall": usergroup_mention(rotation.usergroup), "support": ""}


# -- handoff -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HandoffFacts:
    """What a handoff announces. `open_interrupts` is None when Jira did not answer."""

    team_name: str
    rotation: Rotation
    shift: Shift
    incoming: str
    outgoing: str | None
    usergroup: UserGroupRef | None
    open_interrupts: OpenInterrupts | None
    skipped: tuple[str, ...] = ()
    at_risk: Sequence[AtRisk] | None = None
    """Open tickets at SLA risk, most at risk first; None when the template sets no SLA."""
    shadow: str | None = None  # the shadow's Slack user id, when the shift has one still in Slack
    pairing: Pairing | None = None


def _with_shadow(facts: HandoffFacts) -> str:
    if facts.shadow is None:
        return ""
    if facts.pairing == "reverse_shadow":
        return f", with <@{facts.shadow}> as reverse shadow"
    return f", with <@{facts.shadow}> shadowing"


def handoff_message(facts: HandoffFacts) -> str:
    """The team channel's announcement: who is on call now, open interrupts, and a link to them."""
    rotation = facts.rotation
    taking_over = (
        f", taking over from <@{facts.outgoing}>"
        if facts.outgoing and facts.outgoing != facts.incoming
        else ""
    )
    lines = [
        f":arrows_counterclockwise: *{facts.team_name} on call*: <@{facts.incoming}> is on call now"
        f"{_with_shadow(facts)}{taking_over}, until {format_local(rotation, facts.shift.end)}."
        f"{_handle(facts.usergroup)}",
        _open_line(rotation, facts.open_interrupts),
    ]
    if facts.at_risk:
        lines.append(at_risk_line(rotation, facts.at_risk))
    lines += [f":warning: {member_mention(m)} is no longer in Slack and was skipped." for m in facts.skipped]
    return "\n".join(lines)


def briefing_text(facts: HandoffFacts) -> str:
    """The DM to the incoming person."""
    rotation = facts.rotation
    reach = (
        f" and @{facts.usergroup.handle} now reaches you"
        if facts.usergroup and facts.usergroup.handle
        else ""
    )
    lines = [
        f":wave: You are *{facts.team_name}* on call from {format_local(rotation, facts.shift.start)} "
        f"until {format_local(rotation, facts.shift.end)}.",
        f"New interrupt tickets are assigned to you in Jira{reach}.",
    ]
    if facts.shadow is not None:
        if facts.pairing == "reverse_shadow":
            lines.append(
                f"You *lead* this shift; <@{facts.shadow}> is your *reverse shadow*: "
                "they back you up and are there for questions."
            )
        else:
            lines.append(
                f"You *lead* this shift; <@{facts.shadow}> *shadows* you to learn: "
                "show them what you do and why."
            )
    lines += [_open_line(rotation, facts.open_interrupts), f"The team answers {describe_support(rotation)}."]
    return "\n".join(lines)


def shadow_briefing_text(facts: HandoffFacts) -> str:
    """The DM to the shadow: their role, the lead, and what they will see."""
    rotation = facts.rotation
    span = f"from {format_local(rotation, facts.shift.start)} until {format_local(rotation, facts.shift.end)}"
    if facts.pairing == "reverse_shadow":
        role = (
            f"You are the *reverse shadow* of <@{facts.incoming}>, who leads *{facts.team_name}* on call "
            f"{span}: they take the tickets, you back them up."
        )
    else:
        role = (
            f"You *shadow* <@{facts.incoming}>, who leads *{facts.team_name}* on call {span}: "
            "follow along and ask questions."
        )
    reach = (
        f" @{facts.usergroup.handle} reaches you both." if facts.usergroup and facts.usergroup.handle else ""
    )
    return "\n".join(
        [
            f":eyes: {role}",
            f"New interrupt tickets are assigned to <@{facts.incoming}>; you are added as a watcher.{reach}",
            _open_line(rotation, facts.open_interrupts),
        ]
    )


def thanks_text(team_name: str, rotation: Rotation, shift: Shift, handled: Sequence[IssueRef]) -> str:
    """The DM to the outgoing person: the tickets raised during their shift."""
    span = f"{format_local(rotation, shift.start)} {EN_DASH} {format_local(rotation, shift.end)}"
    if not handled:
        summary = "No interrupt tickets came in during your shift."
    else:
        shown = ", ".join(f"<{i.url}|{i.key}>" for i in handled[:20])
        more = f" and {len(handled) - 20} more" if len(handled) > 20 else ""
        noun = "interrupt" if len(handled) == 1 else "interrupts"
        summary = f"You took {len(handled)} {noun}: {shown}{more}."
    return f":pray: Thanks for covering *{team_name}* on call ({span})!\n{summary}"


def alert_text(team_name: str, code: str, detail: str) -> str:
    """An operator alert in the team channel; the rotation and assignments go on regardless."""
    hint = ALERT_HINTS.get(code, "see the bridge's logs")
    return (
        f":rotating_light: *interrupt-bridge needs an operator* ({team_name} on call, `{code}`): {detail}. "
        f"The rotation and ticket assignment go on. To fix: {hint}."
    )


def _handle(usergroup: UserGroupRef | None) -> str:
    return f" Handle: @{usergroup.handle}." if usergroup is not None and usergroup.handle else ""


AT_RISK_LISTED = 5


def at_risk_line(rotation: Rotation, tickets: Sequence[AtRisk]) -> str:
    """`:hourglass: 2 tickets at SLA risk: KEY-1 (first response overdue since ...), KEY-2 (...)`."""
    shown = []
    for ticket in tickets[:AT_RISK_LISTED]:
        what = "first response" if ticket.target == "first_response" else "resolution"
        when = (
            f"overdue since {format_local(rotation, ticket.due)}"
            if ticket.breached
            else (f"due {format_local(rotation, ticket.due)}")
        )
        link = f"<{ticket.url}|{ticket.key}>" if ticket.url else ticket.key
        shown.append(f"{link} ({what} {when})")
    more = f" and {len(tickets) - AT_RISK_LISTED} more" if len(tickets) > AT_RISK_LISTED else ""
    noun = "ticket" if len(tickets) == 1 else "tickets"
    return f":hourglass_flowing_sand: *{len(tickets)} {noun} at SLA risk*: {', '.join(shown)}{more}."


def _open_line(rotation: Rotation, found: OpenInterrupts | None) -> str:
    if found is None:
        return "Open interrupts: unknown (Jira did not answer)."
    if found.count == 0 or found.oldest is None:
        return f"Open interrupts: none. <{found.search_url}|Search>"
    since = f" since {format_local(rotation, found.oldest_created)}" if found.oldest_created else ""
    return (
        f"Open interrupts: *{found.count}*, the oldest <{found.oldest.url}|{found.oldest.key}>{since}. "
        f"<{found.search_url}|All open interrupts>"
    )


# -- /interrupt oncall -----------------------------------------------------------------------------------
def oncall_summary(template: Template, team_key: str, now: datetime) -> str:
    """Who is on call for the team now and next, its handle and support hours, as mrkdwn.

    Meant for an ephemeral answer (`/interrupt oncall`): the handle is `<!subteam^S…>` when the
    rotation names the group by id, which would page the group in a message everyone sees.
    """
    team = template.team(team_key)
    rotation = team.rotation
    if rotation is None:
        return f"*{team.name}* has no on-call rotation."
    handle = f" {EN_DASH} handle {usergroup_mention(rotation.usergroup)}" if rotation.usergroup else ""
    support = f"Support: {describe_support(rotation)}, {_support_now(rotation, now)}."
    current, following = shifts(rotation, now, 2)
    if current.start > now:  # not started yet: `shifts` begins with the first shift
        first = f"*{team.name}* on call starts {format_local(rotation, current.start)}"
        return f"{first} with {member_mention(current.lead)}{shadow_note(current)}{handle}.\n{support}"
    lines = [
        f"*{team.name}* on call: {member_mention(current.lead)}{shadow_note(current)} until "
        f"{format_local(rotation, current.end)}{_source(current)}{handle}.",
        f"Next: {member_mention(following.lead)}{shadow_note(following)} "
        f"from {format_local(rotation, following.start)}.",
        support,
    ]
    return "\n".join(lines)


def shadow_note(shift: Shift) -> str:
    """' (shadow: <@U…>)' or ' (reverse shadow: <@U…>)' after the lead; empty without a shadow."""
    if shift.shadow is None:
        return ""
    return f" ({role_name(shift.pairing)}: {member_mention(shift.shadow)})"


def _support_now(rotation: Rotation, now: datetime) -> str:
    start, end = next_support_window(rotation, now)
    if in_support_hours(rotation, now):
        return f"open now until {format_local(rotation, end, with_day=False)}"
    return f"next from {format_local(rotation, start)}"


def _source(shift: Shift) -> str:
    return "" if shift.source == "rotation" else f" ({shift.source})"
