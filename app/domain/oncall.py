"""Who is on call, and when the team answers: pure functions of a `Rotation` and an instant.

Every instant going in must be timezone-aware; every instant coming out is in UTC, because aware
datetimes that share one `ZoneInfo` compare and subtract by wall clock (PEP 495), which would make a
169-hour shift across a DST change look like 168 hours. Show them with `.astimezone(rotation.zone)`.

The timeline is the base rotation (shift k begins at `rotation.handoff_utc(k)` and is led by
`members[k % len(members)]`), with swaps replacing the lead of whole shifts, shadows and onboarding
pairing a second person with the lead (`app.domain.shadowing`), and overrides replacing whoever is on
call (lead and shadow) during their range. An instant exactly at a boundary belongs to the shift that
begins there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from app.config.rotation import WEEKDAYS, Rotation, day_start_utc
from app.domain.shadowing import Pairing, pair_for_shift

Source = Literal["rotation", "override", "swap"]

EN_DASH = "\u2013"
_DAY_NAMES = tuple(day.capitalize() for day in WEEKDAYS)
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Shift:
    """A stretch of time with one lead on call; `start` and `end` are UTC, `end` is exclusive.

    `shadow` is a second person on call with the lead: a learner (`pairing` "shadow") or, while a new
    member leads their first shifts, the experienced person backing them up ("reverse_shadow").
    """

    start: datetime
    end: datetime
    lead: str
    shadow: str | None = None
    source: Source = "rotation"
    pairing: Pairing | None = None

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone on call in this shift: the lead, then the shadow."""
        return (self.lead,) if self.shadow is None else (self.lead, self.shadow)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


class RotationNotStarted(ValueError):
    """Nobody is on call yet: the instant is before the first shift (and no override covers it)."""

    def __init__(self, at: datetime, starts_at: datetime) -> None:
        super().__init__(
            f"the rotation has not started at {at.isoformat()}; it starts {starts_at.isoformat()}"
        )
        self.at = at
        self.starts_at = starts_at


def shift_at(rotation: Rotation, at: datetime) -> Shift:
    """The shift in effect at `at`; raises `RotationNotStarted` before the first shift."""
    instant = _utc(at)
    shift = _segment_at(rotation, instant)
    if shift is None:
        raise RotationNotStarted(instant, _next_covered(rotation, instant))
    return shift


def shifts(rotation: Rotation, start: datetime, count: int) -> list[Shift]:
    """`count` consecutive shifts, the first being the one in effect at `start`.

    Before the rotation begins the list starts with the first shift (or an earlier override).
    Overrides split the shifts they cut into, so one base shift may appear as several pieces.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    instant = _utc(start)
    found: list[Shift] = []
    while len(found) < count:
        shift = _segment_at(rotation, instant)
        if shift is None:
            instant = _next_covered(rotation, instant)
            continue
        found.append(shift)
        instant = shift.end
    return found


def in_support_hours(rotation: Rotation, at: datetime) -> bool:
    """Whether `at` falls on a support day (not a holiday) within the support hours, local time."""
    instant = _utc(at)
    window = _window_on(rotation, instant.astimezone(rotation.zone).date())
    return window is not None and window[0] <= instant < window[1]


def next_support_window(rotation: Rotation, at: datetime) -> tuple[datetime, datetime]:
    """The support window containing `at`, or else the next one to open, as UTC [start, end).

    Windows are one per support day, so with hours 00:00-24:00 consecutive days give adjacent windows.
    """
    instant = _utc(at)
    day = instant.astimezone(rotation.zone).date()
    # each week has a support day; holidays and a DST-emptied window can each remove one
    for offset in range(7 * (len(rotation.holidays) + 2)):
        window = _window_on(rotation, day + timedelta(days=offset))
        if window is not None and window[1] > instant:
            return window
    raise AssertionError("unreachable: a validated rotation has a support day every week")


def describe_support(rotation: Rotation) -> str:
    """The support days and hours for humans, e.g. 'Mon-Wed 09:00-17:00 Europe/Berlin' (en dashes)."""
    opens, closes = rotation.support.opening_minutes
    hours = f"{_clock(opens)}{EN_DASH}{_clock(closes)}"
    return f"{_describe_days(rotation.support.weekday_numbers)} {hours} {rotation.timezone}"


def describe_next_support(rotation: Rotation, at: datetime) -> str:
    """When the team answers, seen from `at`: 'now, until 17:00 Europe/Berlin' or 'Mon 11 Mar 09:00 …'."""
    start, end = next_support_window(rotation, at)
    if start <= _utc(at):
        return f"now, until {format_local(rotation, end, with_day=False)}"
    return format_local(rotation, start)


def format_local(rotation: Rotation, instant: datetime, *, with_day: bool = True) -> str:
    """'Mon 11 Mar 09:00 Europe/Berlin' (or '09:00 Europe/Berlin'), independent of the locale."""
    local = instant.astimezone(rotation.zone)
    clock = f"{local.hour:02d}:{local.minute:02d} {rotation.timezone}"
    if not with_day:
        return clock
    return f"{_DAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]} {clock}"


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; on-call times must be timezone-aware")
    return at.astimezone(UTC)


def _overrides(rotation: Rotation) -> list[tuple[datetime, datetime, str, str | None]]:
    zone = rotation.zone
    spans = [
        (*o.interval(zone), o.person, o.shadow if o.shadow != o.person else None) for o in rotation.overrides
    ]
    return sorted(spans, key=lambda span: span[0])


def _base_index(rotation: Rotation, instant: datetime) -> int:
    """The number of the base shift containing `instant` (negative before the rotation starts)."""
    local_day = instant.astimezone(rotation.zone).date()
    index = (local_day - rotation.start).days // rotation.period_days
    # The shift numbered from the local date began that day or earlier, unless the handoff is later that
    # day: then it is the one before. It cannot be too early, as shift index + 1 begins on a later day.
    if rotation.handoff_utc(index) > instant:
        index -= 1
    return index


def _lead(rotation: Rotation, index: int) -> tuple[str, Source]:
    day = rotation.shift_start_day(index)
    for swap in rotation.swaps:
        if swap.shift_start == day:
            return swap.with_, "swap"
    return rotation.members[index % len(rotation.members)], "rotation"


def _segment_at(rotation: Rotation, instant: datetime) -> Shift | None:
    overrides = _overrides(rotation)
    for begin, end, person, shadow in overrides:
        if begin <= instant < end:
            return Shift(begin, end, person, shadow, source="override", pairing="shadow" if shadow else None)
    index = _base_index(rotation, instant)
    if index < 0:
        return None
    begin, end = rotation.handoff_utc(index), rotation.handoff_utc(index + 1)
    scheduled, source = _lead(rotation, index)
    pair = pair_for_shift(rotation, index, scheduled)
    for override_begin, override_end, _, _ in overrides:
        if begin < override_end <= instant:
            begin = override_end
        if instant < override_begin < end:
            end = override_begin
    return Shift(begin, end, pair.lead, pair.shadow, source=source, pairing=pair.pairing)


def _next_covered(rotation: Rotation, instant: datetime) -> datetime:
    """The first instant after `instant` at which someone is on call (only called when nobody is)."""
    later = [begin for begin, _, _, _ in _overrides(rotation) if begin > instant]
    return min([rotation.handoff_utc(0), *later])


def _window_on(rotation: Rotation, day: date) -> tuple[datetime, datetime] | None:
    support = rotation.support
    if day.weekday() not in support.weekday_numbers or day in rotation.holidays:
        return None
    opens, closes = support.opening_minutes
    start, end = day_start_utc(day, rotation.zone, opens), day_start_utc(day, rotation.zone, closes)
    # hours inside a spring-forward gap (02:00-03:00 in Berlin) leave nothing that day
    return (start, end) if start < end else None


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _describe_days(days: frozenset[int]) -> str:
    """Runs of three or more days as 'Mon-Wed', shorter ones listed; a run may wrap, 'Fri-Mon'."""
    if len(days) == 7:
        return "every day"
    parts: list[str] = []
    for first in sorted(d for d in days if (d - 1) % 7 not in days):
        run = [first]
        while (run[-1] + 1) % 7 in days:
            run.append((run[-1] + 1) % 7)
        names = [_DAY_NAMES[d] for d in run]
        parts.extend([f"{names[0]}{EN_DASH}{names[-1]}"] if len(names) >= 3 else names)
    return ", ".join(parts)
