"""The SLA clock: pure functions of a calendar, a start, the targets and what has happened since.

A calendar says which time counts: `AroundTheClock` counts every second; `BusinessHours` counts the
support windows of a team (support days and hours in its time zone, minus holidays), one window per
support day. Every instant going in must be timezone-aware; every instant coming out is UTC, for the
reason given in `app.domain.oncall` (aware datetimes sharing one zone subtract by wall clock).
"""

from __future__ import annotations

import bisect
import functools
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

    @functools.cached_property
    def timeline(self) -> _Timeline:
        """This calendar's windows as a lookup table, shared by equal calendars (and memoised here:
        hashing a calendar for the shared cache costs more than a lookup in the table)."""
        return _timeline(self)

    def window_on(self, day: date) -> tuple[datetime, datetime] | None:
        return _window_on(self.support, self.zone, self.holidays, day)

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


class _Timeline:
    """The support windows of one calendar as epoch seconds, with the counted seconds before each.

    Counted time between two instants is then a difference of two lookups (bisect), and a due instant
    one lookup, instead of a walk over every day in between: a report computes both for thousands of
    tickets. Built lazily in chunks of days; equivalent to walking `BusinessHours.windows`.
    """

    _CHUNK_DAYS = 64

    def __init__(self, calendar: BusinessHours) -> None:
        self._calendar = calendar
        self._first: date | None = None
        self._next: date | None = None  # the first day not yet added
        self.opens: list[float] = []
        self.closes: list[float] = []
        self.before: list[float] = []  # counted seconds of the windows before window i
        self.through: list[float] = []  # counted seconds up to the close of window i

    def _rebuild(self, first: date) -> None:
        self._first, self._next = first, first
        self.opens, self.closes, self.before, self.through = [], [], [], []

    def _extend(self) -> None:
        assert self._next is not None
        empty = 0
        added = 0
        day = self._next
        while added < self._CHUNK_DAYS or (not self.opens and empty <= _MAX_EMPTY_DAYS):
            window = self._calendar.window_on(day)
            day += timedelta(days=1)
            added += 1
            if window is None:
                empty += 1
                if empty > _MAX_EMPTY_DAYS:
                    raise ValueError("the support calendar has no support day in three years")
                continue
            empty = 0
            opens, closes = window[0].timestamp(), window[1].timestamp()
            counted = self.through[-1] if self.through else 0.0
            self.opens.append(opens)
            self.closes.append(closes)
            self.before.append(counted)
            self.through.append(counted + (closes - opens))
        self._next = day

    def _cover(self, instant: float) -> None:
        """Make sure the windows of `instant`'s day (and one window after it) are in the timeline."""
        if self.opens and self.opens[0] <= instant < self.closes[-1]:
            return  # already inside the built stretch: the usual case, and the cheap one
        day = datetime.fromtimestamp(instant, UTC).astimezone(self._calendar.zone).date() - timedelta(days=1)
        if self._first is None or day < self._first:
            self._rebuild(day)
        while not self.closes or self.closes[-1] <= instant:
            self._extend()

    def counted_until(self, instant: float) -> float:
        """Counted seconds from the timeline's start until `instant`."""
        self._cover(instant)
        i = bisect.bisect_right(self.opens, instant) - 1
        if i < 0:
            return 0.0
        return self.before[i] + min(max(instant - self.opens[i], 0.0), self.closes[i] - self.opens[i])

    def due(self, start: float, seconds: float) -> float:
        """The instant at which `seconds` of counted time have passed since `start`."""
        target = self.counted_until(start) + seconds
        while self.through[-1] < target:
            self._extend()
        first_open = bisect.bisect_right(self.closes, start)  # the first window closing after start
        i = max(bisect.bisect_left(self.through, target), first_open)
        while i >= len(self.opens):
            self._extend()
        return self.opens[i] + (target - self.before[i])


@functools.lru_cache(maxsize=64)
def _timeline(calendar: BusinessHours) -> _Timeline:
    return _Timeline(calendar)


@functools.lru_cache(maxsize=16384)
def _window_on(
    support: Support, zone: ZoneInfo, holidays: frozenset[date], day: date
) -> tuple[datetime, datetime] | None:
    """One day's support window as UTC. Cached: a report walks the same days for thousands of tickets."""
    if day.weekday() not in support.weekday_numbers or day in holidays:
        return None
    opens, closes = support.opening_minutes
    start, end = day_start_utc(day, zone, opens), day_start_utc(day, zone, closes)
    return (start, end) if start < end else None  # hours inside a spring-forward gap leave nothing


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
    if isinstance(calendar, BusinessHours):
        return datetime.fromtimestamp(calendar.timeline.due(instant.timestamp(), remaining), UTC)
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
    if isinstance(calendar, BusinessHours):
        timeline = calendar.timeline
        # the earlier instant first: looking up an instant before the timeline's start rebuilds it,
        # and both counts must come from the same build
        since_start = timeline.counted_until(begin.timestamp())
        return timeline.counted_until(end.timestamp()) - since_start
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
    if at.tzinfo is UTC:
        return at
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; SLA times must be timezone-aware")
    return at.astimezone(UTC)
