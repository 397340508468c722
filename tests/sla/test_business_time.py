"""The SLA clock with frozen instants: business hours across a weekend, a holiday and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.config.rotation import Rotation, Support
from app.config.sla import SlaTarget, Span, parse_span
from app.domain.sla import (
    AROUND_THE_CLOCK,
    BusinessHours,
    calendar_for,
    due_at,
    elapsed,
    reminder_thresholds_crossed,
    sla_clock,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = BusinessHours(Support(), BERLIN, frozenset({date(2024, 12, 25), date(2024, 12, 26)}))
HOUR = 3600.0


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_weekend_is_skipped() -> None:
    friday_3pm = local(2024, 3, 8, 15, 0)
    due = due_at(friday_3pm, parse_span("4h"), WEEKDAYS)
    assert due == local(2024, 3, 11, 11, 0)  # 2h on Friday, 2h on Monday
    assert due.tzinfo == UTC
    assert elapsed(friday_3pm, local(2024, 3, 10, 12, 0), WEEKDAYS) == 2 * HOUR  # Sunday: frozen at 2h
    assert elapsed(friday_3pm, local(2024, 3, 11, 10, 30), WEEKDAYS) == 3.5 * HOUR


def test_holidays_are_skipped() -> None:
    # Tue 24 Dec 16:00: one hour that day, nothing on the 25th and 26th (holidays), three on Friday 27th
    due = due_at(local(2024, 12, 24, 16, 0), parse_span("4h"), WEEKDAYS)
    assert due == local(2024, 12, 27, 12, 0)
    assert elapsed(local(2024, 12, 24, 16, 0), local(2024, 12, 26, 23, 0), WEEKDAYS) == HOUR


def test_start_outside_hours_counts_from_the_next_opening() -> None:
    saturday = local(2024, 3, 9, 10, 0)
    assert due_at(saturday, parse_span("30m"), WEEKDAYS) == local(2024, 3, 11, 9, 30)
    assert due_at(local(2024, 3, 11, 7, 0), parse_span("8h"), WEEKDAYS) == local(2024, 3, 11, 17, 0)


def test_a_target_ending_at_closing_time_is_due_at_closing_time() -> None:
    assert due_at(local(2024, 3, 11, 13, 0), parse_span("4h"), WEEKDAYS) == local(2024, 3, 11, 17, 0)


def test_a_day_is_one_support_day_in_business_time() -> None:
    assert WEEKDAYS.day_seconds == 8 * HOUR
    assert due_at(local(2024, 3, 12, 15, 0), parse_span("2d"), WEEKDAYS) == local(2024, 3, 14, 15, 0)
    assert due_at(local(2024, 3, 8, 15, 0), parse_span("1d"), WEEKDAYS) == local(2024, 3, 11, 15, 0)


def test_business_hours_across_the_spring_dst_change() -> None:
    # Berlin moves from UTC+1 to UTC+2 on Sunday 31 March 2024: Friday 16:00 CET + 2h → Monday 10:00 CEST
    friday = local(2024, 3, 29, 16, 0)
    assert friday.utcoffset() == timedelta(hours=1)
    due = due_at(friday, parse_span("2h"), WEEKDAYS)
    assert due == datetime(2024, 4, 1, 8, 0, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 10
    assert elapsed(friday, due, WEEKDAYS) == 2 * HOUR


def test_business_hours_across_the_autumn_dst_change() -> None:
    # Back to UTC+1 on Sunday 27 October 2024; support hours keep their local times
    friday = local(2024, 10, 25, 16, 30)
    due = due_at(friday, parse_span("1h"), WEEKDAYS)
    assert due == datetime(2024, 10, 28, 8, 30, tzinfo=UTC)  # Monday 09:30 CET
    assert elapsed(friday, local(2024, 10, 28, 17, 0), WEEKDAYS) == 8.5 * HOUR


def test_round_the_clock_counts_real_hours_across_dst() -> None:
    saturday_noon = local(2024, 3, 30, 12, 0)
    due = due_at(saturday_noon, parse_span("1d"), AROUND_THE_CLOCK)
    assert due - saturday_noon == timedelta(hours=24)
    assert due.astimezone(BERLIN) == local(2024, 3, 31, 13, 0)  # the wall clock skipped an hour
    assert elapsed(saturday_noon, due, AROUND_THE_CLOCK) == 24 * HOUR


def test_support_all_day_long_on_the_dst_day_has_a_23_hour_window() -> None:
    always = BusinessHours(Support(days=("sat", "sun"), hours="00:00-24:00"), BERLIN)
    sunday = always.window_on(date(2024, 3, 31))
    assert sunday is not None
    assert sunday[1] - sunday[0] == timedelta(hours=23)
    assert elapsed(local(2024, 3, 30, 0, 0), local(2024, 4, 1, 0, 0), always) == 47 * HOUR


def test_calendar_for_a_team_follows_its_rotation() -> None:
    rotation = Rotation.model_validate(
        {
            "members": ["U0BOB"],
            "period": "weekly",
            "handoff": {"weekday": "mon", "time": "09:00"},
            "timezone": "America/New_York",
            "start": "2024-03-04",
            "support": {"days": ["mon", "tue"], "hours": "10:00-14:00"},
            "holidays": ["2024-03-12"],
        }
    )
    calendar = calendar_for(rotation, "business", default_zone=BERLIN)
    # Mon 11 Mar 13:00 New York + 2h: one hour Monday, Tuesday is a holiday, one hour next Monday
    start = datetime(2024, 3, 11, 13, 0, tzinfo=ZoneInfo("America/New_York"))
    assert due_at(start, parse_span("2h"), calendar) == datetime(
        2024, 3, 18, 11, 0, tzinfo=ZoneInfo("America/New_York")
    )
    assert calendar_for(rotation, "24x7", default_zone=BERLIN) is AROUND_THE_CLOCK
    assert calendar_for(None, "business", default_zone=BERLIN) == BusinessHours(Support(), BERLIN)


def test_clock_states_met_breached_and_reminders() -> None:
    target = SlaTarget(first_response=Span(minutes=240), resolution=Span(days=2))
    start = local(2024, 3, 8, 15, 0)  # Friday
    at_monday_10 = local(2024, 3, 11, 10, 0)  # 3h counted of 4h: 75 % crossed at exactly 10:00
    clock = sla_clock(target, WEEKDAYS, started_at=start, now=at_monday_10)
    assert clock.first_response is not None
    assert clock.resolution is not None
    assert clock.first_response.due == local(2024, 3, 11, 11, 0)
    assert clock.first_response.fraction == pytest.approx(0.75)
    assert not clock.first_response.breached
    assert clock.resolution.due == local(2024, 3, 12, 15, 0)
    crossed = reminder_thresholds_crossed(clock, (0.75, 1.0), WEEKDAYS, now=at_monday_10)
    assert [(r.target, r.permille, r.at) for r in crossed] == [
        ("first_response", 750, local(2024, 3, 11, 10, 0))
    ]

    late = sla_clock(
        target,
        WEEKDAYS,
        started_at=start,
        now=local(2024, 3, 11, 12, 0),
        first_response_at=local(2024, 3, 11, 11, 30),
        first_response_source="slack_reply",
    )
    assert late.first_response is not None
    assert late.first_response.met
    assert late.first_response.breached
    assert late.first_response.elapsed_s == 4.5 * HOUR
    assert reminder_thresholds_crossed(late, (0.75, 1.0), WEEKDAYS, now=local(2024, 3, 11, 12, 0)) == []

    resolved = sla_clock(
        target, WEEKDAYS, started_at=start, now=at_monday_10, resolved_at=local(2024, 3, 11, 9, 30)
    )
    assert resolved.first_response is not None
    assert resolved.first_response.met_at == local(2024, 3, 11, 9, 30)
    assert resolved.first_response_source == "resolution"
    assert resolved.risk == 0.0


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2024, 3, 8, 15, 0), parse_span("1h"), WEEKDAYS)


def test_a_calendar_without_support_days_fails_loudly() -> None:
    every_day = frozenset(date(2024, 1, 1) + timedelta(days=n) for n in range(4 * 366))
    closed = BusinessHours(Support(), BERLIN, every_day)
    with pytest.raises(ValueError, match="no support day"):
        due_at(local(2024, 1, 1, 9, 0), parse_span("1h"), closed)
