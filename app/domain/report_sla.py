"""Whether a ticket met its SLA targets, from the same clock the bridge's reminders use."""

from __future__ import annotations

from datetime import datetime

from app.config.sla import SlaTarget
from app.domain.sla import Calendar, TargetClock, sla_clock


def outcome(clock: TargetClock | None) -> bool | None:
    """True met in time, False breached (late, or unmet past due), None no target or still running."""
    if clock is None:
        return None
    if clock.breached:
        return False
    return True if clock.met else None


def sla_outcomes(
    target: SlaTarget,
    calendar: Calendar,
    *,
    created: datetime,
    first_response: datetime | None,
    resolved: datetime | None,
    now: datetime,
) -> tuple[bool | None, bool | None]:
    """(first response met, resolution met) of one ticket as of `now`."""
    clock = sla_clock(
        target,
        calendar,
        started_at=created,
        now=max(now, created),
        first_response_at=first_response,
        resolved_at=resolved,
    )
    return outcome(clock.first_response), outcome(clock.resolution)
