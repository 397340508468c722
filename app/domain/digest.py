"""The weekly digest: when each week's digest is due, and what it says.

A digest covers the seven days before its slot (the slot is the configured weekday and local time,
DST-correct), compared with the seven days before those. Pure: the worker supplies the report.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.config.digest import Digest
from app.config.rotation import WEEKDAYS
from app.domain.report_figures import InterruptReport
from app.domain.report_models import Period


def slot_on_or_before(digest: Digest, instant: datetime) -> datetime:
    """The latest digest slot at or before `instant` (aware, in the digest's zone)."""
    zone: ZoneInfo = digest.zone
    local = instant.astimezone(zone)
    back = (local.weekday() - WEEKDAYS.index(digest.weekday)) % 7
    day = local.date() - timedelta(days=back)
    for _ in range(3):
        slot = datetime.combine(day, digest.time, zone)
        # a wall time skipped by DST lands an hour later; one repeated by DST is its first occurrence
        slot = slot.astimezone(UTC).astimezone(zone)
        if slot <= instant:
            return slot
        day -= timedelta(days=7)
    raise AssertionError("unreachable: a slot a week earlier is always before the instant")


def next_slots(digest: Digest, instant: datetime, count: int = 2) -> list[datetime]:
    """The current slot (at or before `instant`) and the following ones, `count` in all."""
    first = slot_on_or_before(digest, instant)
    zone = digest.zone
    found = [first]
    for n in range(1, count):
        day = first.date() + timedelta(days=7 * n)
        found.append(datetime.combine(day, digest.time, zone).astimezone(UTC).astimezone(zone))
    return found


def digest_period(slot: datetime) -> Period:
    return Period(slot.astimezone(UTC) - timedelta(days=7), slot.astimezone(UTC))


def _change(current: int, previous: int) -> str:
    if previous == 0:
        return "no tickets the week before" if current else "none the week before either"
    delta = (current - previous) / previous
    arrow = "up" if delta > 0 else "down" if delta < 0 else "flat"
    return f"{arrow} {abs(delta):.0%} on the week before ({previous})"


def _hours(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"


def digest_text(team_name: str, report: InterruptReport, *, browse_url: str | None = None) -> str:
    """The digest message (Slack mrkdwn): headline numbers, the change, the top repeat topic."""
    total = report.total
    lines = [
        f"*Weekly interrupt digest for {team_name}* "
        f"({report.period.start:%a %d %b} to {report.period.end - timedelta(seconds=1):%a %d %b})",
        f"• *{total.current}* interrupts, {_change(total.current, total.previous)}",
    ]
    if report.by_bucket:
        top = ", ".join(f"{c.name} {c.current}" for c in report.by_bucket[:3] if c.current)
        if top:
            lines.append(f"• busiest buckets: {top}")
    lines.append(
        f"• first response: median {_hours(report.response.median_h)}, p90 {_hours(report.response.p90_h)}; "
        f"resolution: median {_hours(report.resolution.median_h)}"
    )
    if report.resolved:
        lines.append(
            f"• {report.resolved} resolved, {report.resolved_without_prevention} without a prevention note"
        )
    deflection, candidates = report.deflection, report.faq_candidates.open
    if deflection.deflected or candidates:
        rate = f" ({deflection.rate:.0%})" if deflection.rate is not None else ""
        review = f", {candidates} proposed answer{'s' * (candidates != 1)} to review" if candidates else ""
        lines.append(f"• FAQ answered {deflection.deflected}{rate}{review}")
    if report.topics:
        topic = report.topics[0]
        examples = ", ".join(topic.examples)
        lines.append(
            f"• top repeat topic: “{topic.title}”, {topic.count} tickets (e.g. {examples}): FAQ entry or fix?"
        )
    else:
        lines.append("• no repeat topic this week")
    return "\n".join(lines)
