"""The SLA clock: pure functions of a calendar, a start, the targets and what has happened since.

A calendar says which time counts: `AroundTheClock` counts every second; `BusinessHours` counts the
support windows of a team (support days and hours in its time zone, minus holidays), one window per
support day. Every instant going in must be timezone-aware; every instant coming out is UTC, for the
reason given in `app.domain.oncall` (aware datetimes sharing one zone subtract by wall clock).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from app.config.rotation import Rotation, Support, day_start_utc
from app.config.sla import ClockKind, SlaTarget, Span, TargetName, permille

_END_OF_TIME = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
# A calendar whose every day is a holiday would never open; after this many days give up loudly.
_MAX_EMPTY_DAYS = 3 * 366


class Calendar(Protocol):
    @property
    def day_seconds(self) -> float:
        """How long a day `d` of a target lasts in counted time."""
        ...

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The counted windows [open, close) that end after `start`, in order, as UTC."""
        ...


@dataclass(frozen=True)
class AroundTheClock:
    @property
    def day_seconds(self) -> float:
        return 86400.0

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        yield _utc(start), _END_OF_TIME


@dataclass(frozen=True)
class BusinessHours:
    support: Support
    zone: ZoneInfo
    holidays: frozenset[date] = frozenset()

    @property
    def day_seconds(self) -> float:
        opens, closes = self.support.opening_minutes
        return (closes - opens) * 60.0

    def window_on(self, day: date) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.support.weekday_numbers or day in self.holidays:
            return None
        opens, closes = self.support.opening_minutes
        start, end = day_start_utc(day, self.zone, opens), day_start_utc(day, self.zone, closes)
        return (start, end) if start < end else None  # hours inside a spring-forward gap leave nothing

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        instant = _utc(start)
        day = instant.astimezone(self.zone).date()
        empty = 0
        while True:
            window = self.window_on(day)
            if window is None:
                empty += 1
                if empty > _MAX_EMPTY_DAYS:
                    raise ValueError("the support calendar has no support day in three years")
            else:
                empty = 0
                if window[1] > instant:
                    yield window
            day += timedelta(days=1)


AROUND_THE_CLOCK = AroundTheClock()


def calendar_for(rotation: Rotation | None, clock: ClockKind, *, default_zone: ZoneInfo) -> Calendar:
    """24x7, or the team's support windows; a team without a rotation works Mon-Fri 09:00-17:00."""
    if clock == "24x7":
        return AROUND_THE_CLOCK
    if rotation is None:
        return BusinessHours(Support(), default_zone)
    return BusinessHours(rotation.support, rotation.zone, frozenset(rotation.holidays))


def span_seconds(span: Span, calendar: Calendar) -> float:
    """The counted seconds a target lasts on this calendar."""
    return span.days * calendar.day_seconds + span.minutes * 60.0


def due_at(start: datetime, duration: Span | float, calendar: Calendar) -> datetime:
    """The instant at which `duration` (a span, or counted seconds) of counted time has passed since `start`.

    A duration that ends exactly when a window closes is due at the close, not at the next opening.
    """
    remaining = span_seconds(duration, calendar) if isinstance(duration, Span) else float(duration)
    if remaining < 0:
        raise ValueError("a duration cannot be negative")
    instant = _utc(start)
    for opens, closes in calendar.windows(instant):
        begin = max(opens, instant)
        available = (closes - begin).total_seconds()
        if remaining <= available:
            return begin + timedelta(seconds=remaining)
        remaining -= available
    raise AssertionError("unreachable: calendars never run out of windows")


def elapsed(start: datetime, now: datetime, calendar: Calendar) -> float:
    """Counted seconds between `start` and `now` (0 when `now` is not after `start`)."""
    begin, end = _utc(start), _utc(now)
    total = 0.0
    if end <= begin:
        return total
    for opens, closes in calendar.windows(begin):
        if opens >= end:
            break
        total += (min(closes, end) - max(opens, begin)).total_seconds()
    return total


@dataclass(frozen=True)
class TargetClock:
    """One target of a ticket (first response or resolution) as of `now`."""

    name: TargetName
    target_s: float
    due: datetime
    met_at: datetime | None
    elapsed_s: float
    """Counted seconds from the start until `met_at`, or until `now` while unmet."""
    now: datetime

    @property
    def met(self) -> bool:
        return self.met_at is not None

    @property
    def breached(self) -> bool:
        """Met after the due instant, or still unmet past it."""
        return (self.met_at if self.met_at is not None else self.now) > self.due

    @property
    def fraction(self) -> float:
        return self.elapsed_s / self.target_s if self.target_s > 0 else 1.0


@dataclass(frozen=True)
class SlaClock:
    started_at: datetime
    clock: ClockKind
    first_response: TargetClock | None
    resolution: TargetClock | None
    first_response_source: str | None

    @property
    def targets(self) -> tuple[TargetClock, ...]:
        return tuple(t for t in (self.first_response, self.resolution) if t is not None)

    @property
    def risk(self) -> float:
        """How far along the most advanced unmet target is (1.0 = due now, above = breached); 0 if none."""
        return max((t.fraction for t in self.targets if not t.met), default=0.0)

    @property
    def breached(self) -> bool:
        return any(t.breached for t in self.targets)


def sla_clock(
    target: SlaTarget,
    calendar: Calendar,
    *,
    started_at: datetime,
    now: datetime,
    first_response_at: datetime | None = None,
    first_response_source: str | None = None,
    resolved_at: datetime | None = None,
) -> SlaClock:
    """The clock of a ticket with these targets. A resolved ticket has had its first response at the
    latest when it was resolved."""
    start = _utc(started_at)
    responded = first_response_at if first_response_at is not None else resolved_at

    def one(name: TargetName, met_at: datetime | None) -> TargetClock | None:
        span = target.span(name)
        if span is None:
            return None
        seconds = span_seconds(span, calendar)
        met = _utc(met_at) if met_at is not None else None
        until = met if met is not None else _utc(now)
        return TargetClock(
            name=name,
            target_s=seconds,
            due=due_at(start, seconds, calendar),
            met_at=met,
            elapsed_s=elapsed(start, until, calendar),
            now=_utc(now),
        )

    return SlaClock(
        started_at=start,
        clock=target.clock,
        first_response=one("first_response", responded),
        resolution=one("resolution", resolved_at),
        first_response_source=first_response_source
        if first_response_at is not None
        else ("resolution" if resolved_at is not None else None),
    )


@dataclass(frozen=True)
class Reminder:
    target: TargetName
    fraction: float
    at: datetime
    """When the threshold was crossed (UTC)."""

    @property
    def permille(self) -> int:
        return permille(self.fraction)


def reminder_thresholds_crossed(
    clock: SlaClock, fractions: Sequence[float], calendar: Calendar, *, now: datetime
) -> list[Reminder]:
    """The thresholds of unmet targets that `now` has reached, in the order they were crossed."""
    instant = _utc(now)
    crossed = [
        Reminder(target.name, fraction, at)
        for target in clock.targets
        if not target.met
        for fraction in fractions
        if (at := due_at(clock.started_at, fraction * target.target_s, calendar)) <= instant
    ]
    return sorted(crossed, key=lambda r: (r.at, r.target, r.fraction))


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; SLA times must be timezone-aware")
    return at.astimezone(UTC)
