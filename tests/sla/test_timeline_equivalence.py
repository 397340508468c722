"""The bisect timeline gives exactly what walking the support windows day by day gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.config.rotation import Support
from app.domain.sla import BusinessHours, due_at, elapsed

CALENDARS = [
    BusinessHours(Support(), ZoneInfo("Europe/Berlin"), frozenset({date(2024, 12, 25), date(2024, 12, 26)})),
    BusinessHours(Support(days=("mon", "tue", "wed"), hours="09:00-17:00"), ZoneInfo("America/New_York")),
    BusinessHours(Support(days=("sat", "sun"), hours="00:00-24:00"), ZoneInfo("Europe/Berlin")),
    BusinessHours(Support(hours="01:30-03:30"), ZoneInfo("Europe/London")),  # inside DST gaps
]
BASE = datetime(2024, 3, 1, tzinfo=UTC)


def walked_elapsed(begin: datetime, end: datetime, calendar: BusinessHours) -> float:
    total = 0.0
    for opens, closes in calendar.windows(begin):
        if opens >= end:
            break
        total += (min(closes, end) - max(opens, begin)).total_seconds()
    return total


def walked_due(start: datetime, seconds: float, calendar: BusinessHours) -> datetime:
    for opens, closes in calendar.windows(start):
        begin = max(opens, start)
        available = (closes - begin).total_seconds()
        if seconds <= available:
            return begin + timedelta(seconds=seconds)
        seconds -= available
    raise AssertionError


instants = st.integers(min_value=0, max_value=400 * 86400).map(lambda s: BASE + timedelta(seconds=s))


@settings(max_examples=300, deadline=None)
@given(
    calendar=st.sampled_from(CALENDARS),
    start=instants,
    span=st.integers(min_value=0, max_value=30 * 86400),
    seconds=st.integers(min_value=0, max_value=20 * 8 * 3600),
)
def test_timeline_matches_walking_the_windows(
    calendar: BusinessHours, start: datetime, span: int, seconds: int
) -> None:
    end = start + timedelta(seconds=span)
    assert abs(elapsed(start, end, calendar) - walked_elapsed(start, end, calendar)) < 1e-3
    assert (
        abs(
            (
                due_at(start, float(seconds), calendar) - walked_due(start, float(seconds), calendar)
            ).total_seconds()
        )
        < 1e-3
    )
