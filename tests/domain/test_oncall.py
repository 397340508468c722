"""Who is on call, with frozen clocks: DST changes, boundaries, overrides, swaps and support hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.config.rotation import Rotation
from app.domain.oncall import (
    RotationNotStarted,
    Shift,
    describe_next_support,
    describe_support,
    in_support_hours,
    next_support_window,
    shift_at,
    shifts,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)


def rotation(**changes: Any) -> Rotation:
    data: dict[str, Any] = {
        "members": ["U0ALICE", "U0BOB", "U0CAROL"],
        "period": "weekly",
        "handoff": {"weekday": "mon", "time": "09:00"},
        "timezone": "Europe/Berlin",
        "start": "2024-01-01",
    }
    data.update(changes)
    return Rotation.model_validate(data)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time that exists exactly once in `zone`."""
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- DST ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "start", "during", "hours"),
    [
        # Europe/Berlin springs forward on Sun 2024-03-31 and falls back on Sun 2024-10-27
        ("Europe/Berlin", "2024-03-25", (2024, 3, 31, 12), 167),
        ("Europe/Berlin", "2024-10-21", (2024, 10, 27, 12), 169),
        # America/New_York on Sun 2024-03-10 and Sun 2024-11-03
        ("America/New_York", "2024-03-04", (2024, 3, 10, 12), 167),
        ("America/New_York", "2024-10-28", (2024, 11, 3, 12), 169),
    ],
)
def test_weekly_shift_across_dst_keeps_the_local_handoff(
    zone: str, start: str, during: tuple[int, ...], hours: int
) -> None:
    r = rotation(timezone=zone, start=start)
    shift = shift_at(r, local(ZoneInfo(zone), *during))
    assert shift.lead == "U0ALICE"
    assert shift.duration == timedelta(hours=hours)
    for instant in (shift.start, shift.end):
        wall = instant.astimezone(ZoneInfo(zone))
        assert (wall.weekday(), wall.hour, wall.minute) == (0, 9, 0)
    assert shift_at(r, shift.end).lead == "U0BOB"


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", (2024, 3, 30), 23),
        ("Europe/Berlin", (2024, 10, 26), 25),
        ("America/New_York", (2024, 3, 9), 23),
        ("America/New_York", (2024, 11, 2), 25),
    ],
)
def test_daily_shift_across_dst(zone: str, day: tuple[int, int, int], hours: int) -> None:
    r = rotation(timezone=zone, period="daily", handoff={"time": "09:00"}, start="2024-01-01")
    tz = ZoneInfo(zone)
    shift = shift_at(r, local(tz, *day, 12))
    assert shift.start.astimezone(tz) == local(tz, *day, 9)
    assert shift.duration == timedelta(hours=hours)
    # the order goes on by days, not by 24-hour blocks
    days_since_start = (shift.start.astimezone(tz).date() - r.start).days
    assert shift.lead == r.members[days_since_start % 3]
    following = shift_at(r, shift.end)
    assert following.lead == r.members[(days_since_start + 1) % 3]
    assert following.duration == timedelta(hours=24)


def test_a_handoff_in_the_spring_gap_happens_when_the_clocks_jump() -> None:
    # 02:30 does not exist on 2024-03-31 in Berlin: that handoff is at 03:00 CEST (01:00 UTC)
    r = rotation(period="daily", handoff={"time": "02:30"}, start="2024-03-29")
    day_before, gap_day, day_after = shifts(r, utc(2024, 3, 30, 12), 3)
    assert day_before.end == gap_day.start == utc(2024, 3, 31, 1)
    assert day_before.duration == timedelta(hours=23, minutes=30)  # 02:30 CET to 03:00 CEST
    assert gap_day.end == day_after.start == local(BERLIN, 2024, 4, 1, 2, 30)
    assert gap_day.duration == timedelta(hours=23, minutes=30)
    assert [s.lead for s in (day_before, gap_day, day_after)] == ["U0BOB", "U0CAROL", "U0ALICE"]
    assert shift_at(r, utc(2024, 3, 31, 0, 59)).lead == "U0BOB"
    assert shift_at(r, utc(2024, 3, 31, 1)).lead == "U0CAROL"


def test_a_handoff_that_happens_twice_uses_the_first() -> None:
    # 01:30 happens twice on 2024-11-03 in New York: the handoff is at 01:30 EDT (05:30 UTC)
    r = rotation(timezone="America/New_York", period="daily", handoff={"time": "01:30"}, start="2024-11-01")
    shift = shift_at(r, utc(2024, 11, 3, 6))  # 01:00 EST, the second 01:00
    assert shift.start == utc(2024, 11, 3, 5, 30)
    assert shift.end == utc(2024, 11, 4, 6, 30)  # 01:30 EST
    assert shift.duration == timedelta(hours=25)
    assert shift_at(r, utc(2024, 11, 3, 5, 29)).lead == "U0BOB"


# --- boundaries and periods ----------------------------------------------------------------------


def test_the_handoff_instant_belongs_to_the_new_shift() -> None:
    r = rotation()
    handoff = local(BERLIN, 2024, 1, 8, 9)
    assert shift_at(r, handoff).lead == "U0BOB"
    assert shift_at(r, handoff).start == handoff
    assert shift_at(r, handoff - timedelta(microseconds=1)).lead == "U0ALICE"
    assert shift_at(r, handoff - timedelta(microseconds=1)).end == handoff
    # three members: the fourth week is the first member's again
    assert shift_at(r, local(BERLIN, 2024, 1, 22, 9)).lead == "U0ALICE"


def test_the_answer_does_not_depend_on_the_zone_of_the_question() -> None:
    r = rotation()
    instant = utc(2024, 1, 8, 8)  # 09:00 in Berlin
    assert (
        shift_at(r, instant)
        == shift_at(r, instant.astimezone(NEW_YORK))
        == shift_at(r, instant.astimezone(BERLIN))
    )
    assert shift_at(r, instant).start.tzinfo is UTC


def test_every_three_days() -> None:
    r = rotation(
        timezone="America/New_York",
        period={"every_days": 3},
        handoff={"time": "10:00"},
        start="2024-03-01",
        members=["U0ALICE", "bob@example.com", "U0CAROL", "U0DAVE"],
    )
    assert shift_at(r, local(NEW_YORK, 2024, 3, 7, 9, 59)).lead == "bob@example.com"
    third = shift_at(r, local(NEW_YORK, 2024, 3, 7, 10))
    assert third.lead == "U0CAROL"
    # 2024-03-07 10:00 EST to 2024-03-10 10:00 EDT: one hour shorter
    assert third.duration == timedelta(hours=71)
    assert [s.lead for s in shifts(r, third.start, 4)] == ["U0CAROL", "U0DAVE", "U0ALICE", "bob@example.com"]
    assert [s.start.astimezone(NEW_YORK).day for s in shifts(r, third.start, 4)] == [7, 10, 13, 16]


def test_a_member_given_as_email() -> None:
    r = rotation(members=["alice@example.com", "U0BOB"])
    assert shift_at(r, local(BERLIN, 2024, 1, 3, 12)).lead == "alice@example.com"


def test_before_the_rotation_starts() -> None:
    r = rotation(start="2024-03-04")
    with pytest.raises(RotationNotStarted) as error:
        shift_at(r, utc(2024, 3, 1))
    assert error.value.starts_at == local(BERLIN, 2024, 3, 4, 9)
    assert "has not started" in str(error.value)
    first = shifts(r, utc(2024, 3, 1), 2)
    assert [s.start for s in first] == [local(BERLIN, 2024, 3, 4, 9), local(BERLIN, 2024, 3, 11, 9)]
    assert shifts(r, utc(2024, 3, 1), 0) == []


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="has no time zone"):
        shift_at(rotation(), datetime(2024, 3, 5, 12))
    with pytest.raises(ValueError, match="must not be negative"):
        shifts(rotation(), utc(2024, 3, 5), -1)


# --- overrides and swaps ---------------------------------------------------------------------------


def test_an_override_covering_part_of_a_shift() -> None:
    # Bob's week is 2024-01-08 09:00 to 01-15 09:00; Dave covers Wednesday and Thursday
    r = rotation(overrides=[{"from": "2024-01-10", "to": "2024-01-11", "person": "U0DAVE"}])
    pieces = shifts(r, local(BERLIN, 2024, 1, 8, 12), 4)
    assert [(s.lead, s.source) for s in pieces] == [
        ("U0BOB", "rotation"),
        ("U0DAVE", "override"),
        ("U0BOB", "rotation"),
        ("U0CAROL", "rotation"),
    ]
    bob, dave, bob_again, carol = pieces
    assert bob.start == local(BERLIN, 2024, 1, 8, 9)
    assert bob.end == dave.start == local(BERLIN, 2024, 1, 10, 0)
    assert dave.end == bob_again.start == local(BERLIN, 2024, 1, 12, 0)
    assert bob_again.end == carol.start == local(BERLIN, 2024, 1, 15, 9)
    # asking in the middle of each piece gives that piece
    for piece in pieces:
        assert shift_at(r, piece.start + (piece.end - piece.start) / 2) == piece
    assert shift_at(r, dave.end) == bob_again


def test_an_override_across_a_handoff_is_one_shift() -> None:
    r = rotation(overrides=[{"from": "2024-01-14T18:00", "to": "2024-01-15T12:00", "person": "U0DAVE"}])
    bob, dave, carol = shifts(r, local(BERLIN, 2024, 1, 14, 12), 3)
    assert (bob.lead, bob.end) == ("U0BOB", local(BERLIN, 2024, 1, 14, 18))
    assert (dave.lead, dave.start, dave.end) == ("U0DAVE", bob.end, local(BERLIN, 2024, 1, 15, 12))
    assert (carol.lead, carol.start, carol.end) == ("U0CAROL", dave.end, local(BERLIN, 2024, 1, 22, 9))


def test_a_swap_replaces_the_lead_of_one_whole_shift() -> None:
    # weeks: 01-01 Alice, 01-08 Bob, 01-15 Carol; Carol takes Bob's week and Bob takes Carol's
    r = rotation(
        swaps=[
            {"shift_start": "2024-01-08", "with": "U0CAROL"},
            {"shift_start": "2024-01-15", "with": "U0BOB"},
        ]
    )
    listed = shifts(r, local(BERLIN, 2024, 1, 3), 4)
    assert [(s.lead, s.source) for s in listed] == [
        ("U0ALICE", "rotation"),
        ("U0CAROL", "swap"),
        ("U0BOB", "swap"),
        ("U0ALICE", "rotation"),
    ]
    assert listed[1].start == local(BERLIN, 2024, 1, 8, 9)
    assert listed[1].duration == timedelta(days=7)


def test_an_override_wins_over_a_swap() -> None:
    r = rotation(
        swaps=[{"shift_start": "2024-01-08", "with": "U0CAROL"}],
        overrides=[{"from": "2024-01-09", "to": "2024-01-09", "person": "U0DAVE"}],
    )
    assert shift_at(r, local(BERLIN, 2024, 1, 9, 12)).lead == "U0DAVE"
    assert shift_at(r, local(BERLIN, 2024, 1, 10, 12)) == Shift(
        local(BERLIN, 2024, 1, 10, 0), local(BERLIN, 2024, 1, 15, 9), "U0CAROL", source="swap"
    )


def test_an_override_before_the_rotation_starts() -> None:
    r = rotation(
        start="2024-03-04", overrides=[{"from": "2024-03-01", "to": "2024-03-01", "person": "U0DAVE"}]
    )
    assert shift_at(r, utc(2024, 3, 1, 12)).lead == "U0DAVE"
    with pytest.raises(RotationNotStarted):
        shift_at(r, utc(2024, 3, 3))
    assert [s.lead for s in shifts(r, utc(2024, 2, 1), 3)] == ["U0DAVE", "U0ALICE", "U0BOB"]


SCHEDULE = rotation(
    timezone="America/New_York",
    period={"every_days": 2},
    handoff={"time": "02:30"},
    start="2024-01-01",
    swaps=[{"shift_start": "2024-03-09", "with": "U0DAVE"}, {"shift_start": "2024-11-02", "with": "U0ERIN"}],
    overrides=[
        {"from": "2024-03-10T01:00", "to": "2024-03-10T05:00", "person": "U0FRED"},
        {"from": "2024-06-01", "to": "2024-06-10", "person": "U0GINA"},
        {"from": "2024-11-03T01:15", "to": "2024-11-03T01:45", "person": "U0HANK"},
    ],
)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=365 * 24 * 3600 - 1))
def test_the_timeline_is_consistent(seconds: int) -> None:
    instant = utc(2024, 1, 1, 8) + timedelta(seconds=seconds)
    current = shift_at(SCHEDULE, instant)
    assert current.start <= instant < current.end
    # the shift is the same whichever of its instants is asked, and the next one starts where it ends
    assert shift_at(SCHEDULE, current.start) == current
    assert shift_at(SCHEDULE, current.end - timedelta(microseconds=1)) == current
    following = shift_at(SCHEDULE, current.end)
    assert following.start == current.end
    assert shifts(SCHEDULE, instant, 2) == [current, following]


# --- support hours -------------------------------------------------------------------------------


def supported(**changes: Any) -> Rotation:
    return rotation(support={"days": ["mon", "tue", "wed"], "hours": "09:00-17:00"}, **changes)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ((2024, 3, 4, 9, 0), True),  # Monday, opening
        ((2024, 3, 6, 16, 59), True),  # Wednesday
        ((2024, 3, 6, 17, 0), False),  # closing is exclusive
        ((2024, 3, 4, 8, 59), False),
        ((2024, 3, 7, 12, 0), False),  # Thursday: not a support day
        ((2024, 3, 10, 12, 0), False),  # Sunday
        ((2024, 3, 11, 12, 0), False),  # Monday, but a holiday
    ],
)
def test_in_support_hours(when: tuple[int, ...], expected: bool) -> None:
    r = supported(holidays=["2024-03-11"])
    assert in_support_hours(r, local(BERLIN, *when)) is expected


def test_next_support_window() -> None:
    r = supported(holidays=["2024-03-11"])
    # inside a window: that window
    assert next_support_window(r, local(BERLIN, 2024, 3, 6, 10)) == (
        local(BERLIN, 2024, 3, 6, 9),
        local(BERLIN, 2024, 3, 6, 17),
    )
    # Wednesday evening: the next window skips Thursday to Sunday and the holiday Monday
    assert next_support_window(r, local(BERLIN, 2024, 3, 6, 17)) == (
        local(BERLIN, 2024, 3, 12, 9),
        local(BERLIN, 2024, 3, 12, 17),
    )
    # early on a support day: later that day
    assert next_support_window(r, local(BERLIN, 2024, 3, 5, 7))[0] == local(BERLIN, 2024, 3, 5, 9)


def test_support_windows_keep_local_hours_across_dst() -> None:
    r = rotation(support={"days": ["sat", "sun", "mon"], "hours": "08:00-20:00"})
    saturday = next_support_window(r, utc(2024, 3, 30, 0))
    sunday = next_support_window(r, saturday[1])
    assert saturday == (utc(2024, 3, 30, 7), utc(2024, 3, 30, 19))  # CET
    assert sunday == (utc(2024, 3, 31, 6), utc(2024, 3, 31, 18))  # CEST
    # a window wholly inside the spring gap leaves nothing that day
    gap = rotation(support={"days": ["sun"], "hours": "02:00-03:00"})
    assert next_support_window(gap, utc(2024, 3, 30, 0))[0] == local(BERLIN, 2024, 4, 7, 2)
    assert not in_support_hours(gap, utc(2024, 3, 31, 1))


def test_round_the_clock_support() -> None:
    r = rotation(support={"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": "00:00-24:00"})
    assert in_support_hours(r, local(BERLIN, 2024, 3, 31, 23, 59))
    assert next_support_window(r, local(BERLIN, 2024, 3, 31, 12)) == (
        local(BERLIN, 2024, 3, 31, 0),
        local(BERLIN, 2024, 4, 1, 0),
    )
    assert describe_support(r) == "every day 00:00\u201324:00 Europe/Berlin"


@pytest.mark.parametrize(
    ("days", "wording"),
    [
        (["mon", "tue", "wed"], "Mon\u2013Wed"),
        (["mon", "tue", "wed", "thu", "fri"], "Mon\u2013Fri"),
        (["mon", "wed", "fri"], "Mon, Wed, Fri"),
        (["tue", "wed"], "Tue, Wed"),
        (["sun"], "Sun"),
        (["fri", "sat", "sun", "mon"], "Fri\u2013Mon"),
        (["mon", "tue", "thu", "fri", "sat"], "Mon, Tue, Thu\u2013Sat"),
    ],
)
def test_support_days_wording(days: list[str], wording: str) -> None:
    r = rotation(support={"days": days, "hours": "09:00-17:00"})
    assert describe_support(r) == f"{wording} 09:00\u201317:00 Europe/Berlin"


def test_describe_next_support() -> None:
    r = supported(holidays=["2024-03-11"])
    assert describe_next_support(r, local(BERLIN, 2024, 3, 6, 10)) == "now, until 17:00 Europe/Berlin"
    assert describe_next_support(r, local(BERLIN, 2024, 3, 7, 10)) == "Tue 12 Mar 09:00 Europe/Berlin"
