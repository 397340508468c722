"""What the bridge says about SLA clocks, as Slack mrkdwn: pure functions of a clock and a time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.domain.sla import Reminder, SlaClock, TargetClock

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

SOURCE_LABELS = {
    "jira_comment": "a Jira comment",
    "jira_transition": "a Jira status change",
    "slack_reply": "a reply in Slack",
    "resolution": "the resolution",
}
TARGET_LABELS = {"first_response": "first response", "resolution": "resolution"}


def format_at(instant: datetime, zone: ZoneInfo) -> str:
    """'Mon 11 Mar 09:00 Europe/Berlin', independent of the locale."""
    local = instant.astimezone(zone)
    return (
        f"{_DAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]} "
        f"{local.hour:02d}:{local.minute:02d} {zone.key}"
    )


def format_duration(seconds: float) -> str:
    """'45m', '3h 20m', '26h': counted time, in hours and minutes (a business day is not 24 hours)."""
    minutes = max(0, round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes}m"
    return f"{hours}h" + (f" {minutes}m" if minutes else "")


def status_line(clock: SlaClock | None, *, status: str | None, zone: ZoneInfo) -> str | None:
    """The redirect reply's SLA line, e.g. '*Status:* To Do · *First response due by* Tue 10 Mar 11:00 …'."""
    parts: list[str] = []
    if status:
        parts.append(f"*Status:* {status}")
    if clock is not None:
        if clock.first_response is not None:
            parts.append(_first_response(clock, clock.first_response, zone))
        if clock.resolution is not None:
            parts.append(_resolution(clock.resolution, zone))
    return " · ".join(parts) or None


def _first_response(clock: SlaClock, target: TargetClock, zone: ZoneInfo) -> str:
    if target.met_at is None:
        due = f"*First response due by* {format_at(target.due, zone)}"
        return due + (" :warning: overdue" if target.breached else "")
    source = SOURCE_LABELS.get(clock.first_response_source or "", "a response")
    late = " (late)" if target.breached else ""
    return f"*First response:* {format_at(target.met_at, zone)} via {source}{late}"


def _resolution(target: TargetClock, zone: ZoneInfo) -> str:
    if target.met_at is None:
        due = f"*Resolution due by* {format_at(target.due, zone)}"
        return due + (" :warning: overdue" if target.breached else "")
    late = " (late)" if target.breached else ""
    return f"*Resolved:* {format_at(target.met_at, zone)}{late}"


def reminder_text(
    reminder: Reminder,
    target: TargetClock,
    *,
    ticket_key: str,
    ticket_url: str,
    priority: str,
    mention: str,
    zone: ZoneInfo,
) -> str:
    """The reminder to the on-call person at a threshold of one target."""
    what = TARGET_LABELS[reminder.target]
    link = f"<{ticket_url}|{ticket_key}>"
    if target.now >= target.due:
        return (
            f":rotating_light: {mention} the {what} of {link} ({priority}) is overdue: it was due by "
            f"{format_at(target.due, zone)} ({format_duration(target.target_s)} target)."
        )
    used = round(reminder.fraction * 100)
    return (
        f":hourglass_flowing_sand: {mention} {used}% of the {what} time of {link} ({priority}) is used: "
        f"{what} due by {format_at(target.due, zone)}."
    )
