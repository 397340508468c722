"""A team's on-call rotation as written in the workflow template, validated by pydantic.

Every date and wall-clock time here is read in the rotation's own IANA `timezone`:

```yaml
rotation:
  members: [U0ALICE, bob@example.com, U0CAROL]   # Slack user ids (U…/W…) or emails, in rotation order
  period: weekly                                # daily | weekly | {every_days: N}
  handoff: {weekday: mon, time: "09:00"}        # quote the time: YAML reads 17:00 as the number 1020
  timezone: Europe/Berlin
  start: 2024-03-04                             # the first shift (members[0]) begins this day at handoff.time
  support: {days: [mon, tue, wed], hours: "09:00-17:00"}
  holidays: [2024-12-25]                        # no support on these days; the rotation itself goes on
  overrides:                                    # a person covers [from, to); a date `to` includes that day
    - {from: 2024-03-12, to: 2024-03-13, person: U0DAVE}
    - {from: "2024-03-20 13:00", to: "2024-03-21 09:00", person: U0ERIN}
  swaps:                                        # the shift beginning on this date is taken by `with`
    - {shift_start: 2024-03-18, with: U0CAROL}
  usergroup: S0ONCALL                           # Slack user group id (S…) or handle to keep in sync
  shadows:                                      # a shadow for the shift beginning on this date
    - {shift_start: 2024-03-25, person: U0FRANK}
  onboarding:                                   # new members learn by shadowing, one after the other
    new_members: [U0GRACE, U0HEIDI]
    from: 2024-04-01                            # the first shift beginning on or after this day
    shadow_shifts: 2                            # first they shadow whoever leads
    reverse_shadow_shifts: 2                    # then they lead, that person as their reverse shadow
```

Shifts start on `start + k * period` at `handoff.time`, local time, so a weekly shift that spans a DST
change lasts 167 or 169 hours. A handoff time that does not exist on the day the clocks spring forward
(02:30 in Europe/Berlin) is resolved to the next valid instant (03:00 local), and one that happens twice
when they fall back is resolved to its first occurrence; see `local_to_utc`.

Without `support` the team answers Mon-Fri 09:00-17:00. A weekly rotation's `start` must fall on
`handoff.weekday` (which defaults to the start date's weekday).

A swap replaces the lead of one whole shift, wherever its handoffs fall; to trade two shifts, list two
swaps. An override replaces whoever is on call, lead or swap, during an arbitrary time range; overrides
may not overlap each other. Neither needs its person to be one of `members`. An override may name its
own `shadow`; without one nobody shadows during it.

Onboarding: each new member, in order, shadows the lead of `shadow_shifts` consecutive shifts, then
leads `reverse_shadow_shifts` shifts with the person the rotation (or a swap) has down for each of them
as reverse shadow; the next new member starts with the shift after that. A `shadows` entry names the
shadow of one shift explicitly and wins over onboarding for that shift. Add a new member to `members`
once they are done.
"""

from __future__ import annotations

import functools
import itertools
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_HOURS = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-\u2013]\s*(\d{1,2}:\d{2})\s*$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MINUTES_PER_DAY = 24 * 60
_FULL_WEEKDAYS = {
    full: full[:3] for full in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


def _member(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the `str` type reports it
    value = value.strip()
    if not (_SLACK_USER.match(value) or _EMAIL.match(value)):
        raise ValueError(f"{value!r} is neither a Slack user id (U… or W…) nor an email address")
    return value


def _weekday(value: Any) -> Any:
    if isinstance(value, str):
        name = value.strip().lower()
        if name in WEEKDAYS:
            return name
        if name in _FULL_WEEKDAYS:
            return _FULL_WEEKDAYS[name]
        raise ValueError(f"{value!r} is not a weekday; use one of {', '.join(WEEKDAYS)}")
    return value


def _minutes(text: str, *, allow_24: bool = False) -> int:
    """'09:30' → 570; '24:00' only when `allow_24` (the end of a support day)."""
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ValueError(f'{text!r} is not a time of day; write it as HH:MM, e.g. "09:00"')
    hours, minutes = int(match.group(1)), int(match.group(2))
    if allow_24 and (hours, minutes) == (24, 0):
        return _MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a time of day between 00:00 and 23:59")
    return hours * 60 + minutes


def _clock_time(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        # PyYAML reads an unquoted 17:00 as the base-60 number 1020; guessing it back would also accept 900
        raise ValueError(f'got the number {value}: write the time in quotes, e.g. "17:00"')
    if isinstance(value, str):
        minutes = _minutes(value)
        return time(minutes // 60, minutes % 60)
    return value


@functools.lru_cache(maxsize=256)
def _opening_minutes(hours: str) -> tuple[int, int]:
    """Cached: the SLA clock asks for a team's hours once per ticket and target in a report."""
    match = _HOURS.match(hours)
    if match is None:
        raise ValueError(f'{hours!r} is not a range of hours; write it as HH:MM-HH:MM, e.g. "09:00-17:00"')
    return _minutes(match.group(1)), _minutes(match.group(2), allow_24=True)


def _date_or_datetime(value: Any) -> Any:
    # pydantic would read "2024-03-11" as midnight, which would make a date `to` exclusive
    if isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        return date.fromisoformat(value.strip())
    return value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone name, e.g. Europe/Berlin") from None


def _zone_name(name: str) -> str:
    _zone(name)
    return name


TimeZoneName = Annotated[str, AfterValidator(_zone_name)]
"""An IANA time zone name (`Europe/Berlin`), checked when the template is read."""
Member = Annotated[str, BeforeValidator(_member)]
WeekdayName = Annotated[Weekday, BeforeValidator(_weekday)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]
DateOrDateTime = Annotated[datetime | date, BeforeValidator(_date_or_datetime)]
UserGroup = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^(S[A-Z0-9]{2,}|@?[a-z0-9][a-z0-9._-]{0,79})$"),
]


def local_to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clocks in `zone` show the naive `local` time.

    A time in a spring-forward gap does not exist; it resolves to the next valid instant, the moment
    the clocks jump (02:30 in Europe/Berlin on the last Sunday of March → 03:00 CEST). A time that
    happens twice when the clocks fall back resolves to its first occurrence (fold=0).
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == local:
        return first
    # In a gap fold=0 applies the offset from before the jump and fold=1 the one after, so the jump
    # lies between the two readings; find it to the second (zones do not jump more often than that).
    low, high = local.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high


def day_start_utc(day: date, zone: ZoneInfo, minutes: int = 0) -> datetime:
    """`minutes` after local midnight of `day` (1440 is the next midnight), as a UTC instant."""
    return local_to_utc(datetime.combine(day, time()) + timedelta(minutes=minutes), zone)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EveryDays(_Strict):
    every_days: int = Field(ge=1, le=366)


def _period(value: Any) -> Any:
    # one readable error instead of one per member of the union
    if isinstance(value, str):
        if value.strip() in ("daily", "weekly"):
            return value.strip()
        raise ValueError(f"{value!r} is not a period; use daily, weekly or {{every_days: N}}")
    if isinstance(value, dict):
        try:
            return EveryDays.model_validate(value)
        except ValidationError as exc:
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"{detail}; write {{every_days: N}} with N from 1 to 366") from None
    if isinstance(value, EveryDays):
        return value
    raise ValueError(f"{value!r} is not a period; use daily, weekly or {{every_days: N}}")


Period = Annotated[Literal["daily", "weekly"] | EveryDays, BeforeValidator(_period)]


class Handoff(_Strict):
    weekday: WeekdayName | None = None
    time: ClockTime


class Support(_Strict):
    """The days and hours the team answers, in the rotation's time zone; one window per day."""

    days: tuple[WeekdayName, ...] = Field(default=("mon", "tue", "wed", "thu", "fri"), min_length=1)
    hours: str = "09:00-17:00"

    @field_validator("days")
    @classmethod
    def _each_day_once(cls, days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(days)) != len(days):
            raise ValueError(f"lists a day twice: {', '.join(days)}")
        return days

    @field_validator("hours")
    @classmethod
    def _opening_hours(cls, hours: str) -> str:
        opens, closes = _opening_minutes(hours)
        if opens >= closes:
            raise ValueError(
                f"{hours!r}: the start must be before the end (overnight hours are not supported)"
            )
        return hours

    @property
    def opening_minutes(self) -> tuple[int, int]:
        """Minutes after local midnight at which support opens and closes (closes may be 1440)."""
        return _opening_minutes(self.hours)

    @property
    def weekday_numbers(self) -> frozenset[int]:
        """The support days as `date.weekday()` numbers (Monday is 0)."""
        return frozenset(WEEKDAYS.index(day) for day in self.days)


class Override(_Strict):
    """`person` is on call from `from` until `to`, with `shadow` (if any) shadowing them.

    Datetimes without an offset are wall-clock times in the rotation's zone; a date `from` starts at
    that day's local midnight and a date `to` includes the whole day.
    """

    from_: DateOrDateTime = Field(alias="from")
    to: DateOrDateTime
    person: Member
    shadow: Member | None = None

    def interval(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The half-open UTC interval [start, end) the override covers."""
        return _instant(self.from_, zone, end_of_day=False), _instant(self.to, zone, end_of_day=True)


class Swap(_Strict):
    """The shift that begins on the local date `shift_start` is taken by `with` instead of its lead."""

    shift_start: date
    with_: Member = Field(alias="with")


class ShadowShift(_Strict):
    """`person` shadows the lead of the shift that begins on the local date `shift_start`."""

    shift_start: date
    person: Member


class Onboarding(_Strict):
    """New members, in order, shadow and then lead with a reverse shadow, starting at `from`."""

    new_members: tuple[Member, ...] = Field(min_length=1)
    from_: date = Field(alias="from")
    shadow_shifts: int = Field(default=2, ge=0, le=52)
    reverse_shadow_shifts: int = Field(default=2, ge=0, le=52)

    @model_validator(mode="after")
    def _some_shifts(self) -> Onboarding:
        if self.shadow_shifts + self.reverse_shadow_shifts == 0:
            raise ValueError("shadow_shifts and reverse_shadow_shifts are both 0; give one of them shifts")
        duplicates = sorted({m for m in self.new_members if self.new_members.count(m) > 1})
        if duplicates:
            raise ValueError(f"new_members lists {', '.join(duplicates)} more than once")
        return self

    @property
    def shifts_per_member(self) -> int:
        return self.shadow_shifts + self.reverse_shadow_shifts


class Rotation(_Strict):
    members: tuple[Member, ...] = Field(min_length=1)
    period: Period
    handoff: Handoff
    timezone: TimeZoneName
    start: date
    support: Support = Support()
    holidays: tuple[date, ...] = ()
    overrides: tuple[Override, ...] = ()
    swaps: tuple[Swap, ...] = ()
    usergroup: UserGroup | None = None
    shadows: tuple[ShadowShift, ...] = ()
    onboarding: Onboarding | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rotation:
        duplicates = sorted({m for m in self.members if self.members.count(m) > 1})
        if duplicates:
            raise ValueError(f"members lists {', '.join(duplicates)} more than once; list each person once")
        self._check_handoff()
        self._check_swaps()
        self._check_shadows()
        self._check_overrides(self.zone)
        return self

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    @property
    def period_days(self) -> int:
        if self.period == "daily":
            return 1
        if self.period == "weekly":
            return 7
        return self.period.every_days

    def shift_start_day(self, index: int) -> date:
        """The local date on which shift number `index` (0 is the first) begins."""
        return self.start + timedelta(days=index * self.period_days)

    def handoff_utc(self, index: int) -> datetime:
        """The instant shift number `index` begins: its start date at the handoff time, local clock."""
        handoff = self.handoff.time
        minutes = handoff.hour * 60 + handoff.minute
        return day_start_utc(self.shift_start_day(index), self.zone, minutes)

    def _check_handoff(self) -> None:
        weekday = self.handoff.weekday
        if self.period != "weekly":
            if weekday is not None:
                raise ValueError("handoff.weekday only applies to weekly rotations")
            return
        start_day = WEEKDAYS[self.start.weekday()]
        if weekday is not None and weekday != start_day:
            offset = (WEEKDAYS.index(weekday) - self.start.weekday()) % 7
            raise ValueError(
                f"start {self.start} is a {start_day} but handoffs are on {weekday}; "
                f"start the rotation on a {weekday}, e.g. {self.start + timedelta(days=offset)}"
            )

    def _check_swaps(self) -> None:
        seen: set[date] = set()
        step = self.period_days
        for swap in self.swaps:
            day = swap.shift_start
            offset = (day - self.start).days
            if offset < 0 or offset % step:
                earlier = self.start + timedelta(days=max(offset, 0) // step * step)
                raise ValueError(
                    f"swap shift_start {day} is not a day a shift begins: shifts begin every {step} day(s) "
                    f"from {self.start}, e.g. {earlier} or {earlier + timedelta(days=step)}"
                )
            if day in seen:
                raise ValueError(f"two swaps for the shift beginning {day}; keep one")
            seen.add(day)

    def first_index_on_or_after(self, day: date) -> int:
        """The number of the first shift beginning on or after the local date `day` (0 at the earliest)."""
        offset = (day - self.start).days
        return max(0, -(-offset // self.period_days))

    def _check_shadows(self) -> None:
        seen: set[date] = set()
        for entry in self.shadows:
            day = entry.shift_start
            self._check_shift_day("shadow", day)
            if day in seen:
                raise ValueError(f"two shadows for the shift beginning {day}; keep one")
            seen.add(day)

    def _check_shift_day(self, what: str, day: date) -> None:
        step = self.period_days
        offset = (day - self.start).days
        if offset < 0 or offset % step:
            earlier = self.start + timedelta(days=max(offset, 0) // step * step)
            raise ValueError(
                f"{what} shift_start {day} is not a day a shift begins: shifts begin every {step} day(s) "
                f"from {self.start}, e.g. {earlier} or {earlier + timedelta(days=step)}"
            )

    def _check_overrides(self, zone: ZoneInfo) -> None:
        spans: list[tuple[datetime, datetime, Override]] = []
        for override in self.overrides:
            begin, end = override.interval(zone)
            if end <= begin:
                raise ValueError(
                    f"override for {override.person}: `to` ({override.to}) "
                    f"must be after `from` ({override.from_})"
                )
            spans.append((begin, end, override))
        spans.sort(key=lambda span: span[0])
        for (_, end, first), (begin, _, second) in itertools.pairwise(spans):
            if begin < end:
                raise ValueError(
                    f"overrides overlap: {first.person} from {first.from_} to {first.to} and "
                    f"{second.person} from {second.from_} to {second.to}"
                )


def _instant(value: date, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        return local_to_utc(value, zone)
    return day_start_utc(value + timedelta(days=1) if end_of_day else value, zone)
