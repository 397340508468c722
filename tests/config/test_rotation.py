"""The rotation model: what a template may say, and errors that say what to write instead."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError

from app.config.rotation import Rotation, local_to_utc

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

YAML = """
members: [U0ALICE, bob@example.com, W0CAROL]
period: weekly
handoff: {weekday: Monday, time: "09:00"}
timezone: Europe/Berlin
start: 2024-03-04
support: {days: [mon, tue, wed], hours: "09:00\u201317:00"}  # an en dash is fine too
holidays: [2024-12-25, 2024-12-26]
overrides:
  - {from: 2024-03-12, to: 2024-03-13, person: U0DAVE}
  - {from: "2024-03-20 13:00", to: "2024-03-21T09:00:00+01:00", person: erin@example.com}
swaps:
  - {shift_start: 2024-03-18, with: W0CAROL}
usergroup: S0ONCALL
"""


def base(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "members": ["U0ALICE", "U0BOB"],
        "period": "weekly",
        "handoff": {"weekday": "mon", "time": "09:00"},
        "timezone": "Europe/Berlin",
        "start": "2024-03-04",
    }
    data.update(changes)
    return data


def problems(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as error:
        Rotation.model_validate(data)
    return "\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.value.errors())


def test_a_full_rotation_from_yaml() -> None:
    rotation = Rotation.model_validate(yaml.safe_load(YAML))
    assert rotation.members == ("U0ALICE", "bob@example.com", "W0CAROL")
    assert rotation.period_days == 7
    assert rotation.handoff.weekday == "mon"
    assert rotation.handoff.time == time(9, 0)
    assert rotation.zone == BERLIN
    assert rotation.support.days == ("mon", "tue", "wed")
    assert rotation.support.opening_minutes == (9 * 60, 17 * 60)
    assert rotation.holidays == (date(2024, 12, 25), date(2024, 12, 26))
    assert rotation.swaps[0].with_ == "W0CAROL"
    assert rotation.usergroup == "S0ONCALL"
    # a date `to` includes its day; a naive datetime is Berlin time; an offset is kept
    first, second = (o.interval(rotation.zone) for o in rotation.overrides)
    assert first == (datetime(2024, 3, 11, 23, tzinfo=UTC), datetime(2024, 3, 13, 23, tzinfo=UTC))
    assert second == (datetime(2024, 3, 20, 12, tzinfo=UTC), datetime(2024, 3, 21, 8, tzinfo=UTC))


def test_defaults_and_other_periods() -> None:
    rotation = Rotation.model_validate(base(period="daily", handoff={"time": "10:30"}))
    assert rotation.period_days == 1
    assert rotation.support.days == ("mon", "tue", "wed", "thu", "fri")
    assert rotation.support.hours == "09:00-17:00"
    assert rotation.overrides == ()
    assert rotation.usergroup is None
    every = Rotation.model_validate(base(period={"every_days": 3}, handoff={"time": "10:30"}))
    assert every.period_days == 3
    assert every.shift_start_day(2) == date(2024, 3, 10)
    # an omitted weekday means the start date's weekday
    assert Rotation.model_validate(base(handoff={"time": "09:00"})).period_days == 7


def test_string_dates_are_dates_not_midnights() -> None:
    rotation = Rotation.model_validate(
        base(overrides=[{"from": "2024-03-12", "to": "2024-03-12", "person": "U0X"}])
    )
    begin, end = rotation.overrides[0].interval(rotation.zone)
    assert end - begin == timedelta(days=1)


def test_the_model_is_frozen() -> None:
    rotation = Rotation.model_validate(base())
    with pytest.raises(ValidationError):
        rotation.members = ("U0EVE",)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"members": ["alice"]}, "members.0: Value error, 'alice' is neither a Slack user id (U… or W…) nor"),
        ({"members": ["C0CHANNEL"]}, "is neither a Slack user id"),
        ({"members": []}, "members: Tuple should have at least 1 item"),
        ({"members": ["U0A", "U0B", "U0A"]}, "members lists U0A more than once"),
        (
            {"timezone": "Europe/Berlinn"},
            "timezone: Value error, 'Europe/Berlinn' is not an IANA time zone name",
        ),
        ({"timezone": "../../etc/passwd"}, "is not an IANA time zone name"),
        ({"handoff": {"weekday": "mon", "time": 1020}}, 'write the time in quotes, e.g. "17:00"'),
        (
            {"handoff": {"weekday": "mon", "time": "25:00"}},
            "'25:00' is not a time of day between 00:00 and 23:59",
        ),
        ({"handoff": {"weekday": "mon", "time": "9am"}}, "'9am' is not a time of day; write it as HH:MM"),
        (
            {"handoff": {"weekday": "funday", "time": "09:00"}},
            "'funday' is not a weekday; use one of mon, tue",
        ),
        (
            {"handoff": {"weekday": "tue", "time": "09:00"}},
            "start 2024-03-04 is a mon but handoffs are on tue; start the rotation on a tue, e.g. 2024-03-05",
        ),
        ({"period": "daily"}, "handoff.weekday only applies to weekly rotations"),
        (
            {"period": "monthly"},
            "period: Value error, 'monthly' is not a period; use daily, weekly or {every_days: N}",
        ),
        ({"period": 14}, "period: Value error, 14 is not a period"),
        (
            {"period": {"every_days": 0}},
            "period: Value error, every_days: Input should be greater than or equal to 1; "
            "write {every_days: N} with N from 1 to 366",
        ),
        ({"period": {"every": 3}}, "every: Extra inputs are not permitted"),
        (
            {"swaps": [{"shift_start": "2024-03-13", "with": "U0C"}]},
            "swap shift_start 2024-03-13 is not a day a shift begins: shifts begin every 7 day(s) from "
            "2024-03-04, e.g. 2024-03-11 or 2024-03-18",
        ),
        ({"swaps": [{"shift_start": "2024-02-26", "with": "U0C"}]}, "is not a day a shift begins"),
        (
            {
                "swaps": [
                    {"shift_start": "2024-03-11", "with": "U0C"},
                    {"shift_start": "2024-03-11", "with": "U0D"},
                ]
            },
            "two swaps for the shift beginning 2024-03-11",
        ),
        ({"swaps": [{"shift_start": "2024-03-11", "person": "U0C"}]}, "swaps.0.with: Field required"),
        (
            {"overrides": [{"from": "2024-03-12", "to": "2024-03-11", "person": "U0C"}]},
            "override for U0C: `to` (2024-03-11) must be after `from` (2024-03-12)",
        ),
        (
            {
                "overrides": [
                    {"from": "2024-03-12", "to": "2024-03-14", "person": "U0C"},
                    {"from": "2024-03-14T23:00", "to": "2024-03-16", "person": "U0D"},
                ]
            },
            "overrides overlap: U0C from 2024-03-12 to 2024-03-14 and "
            "U0D from 2024-03-14 23:00:00 to 2024-03-16",
        ),
        (
            {"overrides": [{"from": "2024-03-12", "to": "2024-03-13", "person": "nobody"}]},
            "overrides.0.person",
        ),
        ({"support": {"days": ["mon", "mon"]}}, "support.days: Value error, lists a day twice: mon, mon"),
        ({"support": {"days": []}}, "support.days: Tuple should have at least 1 item"),
        ({"support": {"hours": "17:00-09:00"}}, "the start must be before the end (overnight hours are not"),
        ({"support": {"hours": "nine to five"}}, "is not a range of hours; write it as HH:MM-HH:MM"),
        ({"usergroup": "#oncall"}, "usergroup: String should match pattern"),
        ({"shadows": ["U0X"]}, "shadows.0"),
    ],
)
def test_invalid_rotations_say_what_is_wrong(changes: dict[str, Any], expected: str) -> None:
    assert expected in problems(base(**changes))


def test_overrides_that_touch_do_not_overlap() -> None:
    rotation = Rotation.model_validate(
        base(
            overrides=[
                {"from": "2024-03-12", "to": "2024-03-13", "person": "U0C"},
                {"from": "2024-03-14", "to": "2024-03-14", "person": "U0D"},
            ]
        )
    )
    assert len(rotation.overrides) == 2


def test_accepted_spellings() -> None:
    rotation = Rotation.model_validate(
        base(
            members=[" U0ALICE ", "first.last+oncall@example.co.uk"],
            support={"days": ["Monday", "FRI"], "hours": "00:00-24:00"},
            usergroup="@platform-oncall",
        )
    )
    assert rotation.members == ("U0ALICE", "first.last+oncall@example.co.uk")
    assert rotation.support.days == ("mon", "fri")
    assert rotation.support.opening_minutes == (0, 24 * 60)
    assert rotation.usergroup == "@platform-oncall"


@pytest.mark.parametrize(
    ("local", "zone", "expected"),
    [
        # an ordinary winter and summer time
        (datetime(2024, 1, 15, 9), BERLIN, datetime(2024, 1, 15, 8, tzinfo=UTC)),
        (datetime(2024, 7, 15, 9), BERLIN, datetime(2024, 7, 15, 7, tzinfo=UTC)),
        # spring forward: 02:00-03:00 does not exist; the next valid instant is the jump itself
        (datetime(2024, 3, 31, 2, 30), BERLIN, datetime(2024, 3, 31, 1, tzinfo=UTC)),
        (datetime(2024, 3, 31, 2, 0), BERLIN, datetime(2024, 3, 31, 1, tzinfo=UTC)),
        (datetime(2024, 3, 31, 3, 0), BERLIN, datetime(2024, 3, 31, 1, tzinfo=UTC)),
        (datetime(2024, 3, 10, 2, 30), NEW_YORK, datetime(2024, 3, 10, 7, tzinfo=UTC)),
        # fall back: 02:30 Berlin / 01:30 New York happen twice; the first one counts
        (datetime(2024, 10, 27, 2, 30), BERLIN, datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
        (datetime(2024, 11, 3, 1, 30), NEW_YORK, datetime(2024, 11, 3, 5, 30, tzinfo=UTC)),
        # an aware datetime is already an instant
        (
            datetime(2024, 3, 31, 2, 30, tzinfo=timezone(timedelta(hours=5))),
            BERLIN,
            datetime(2024, 3, 30, 21, 30, tzinfo=UTC),
        ),
    ],
)
def test_local_to_utc(local: datetime, zone: ZoneInfo, expected: datetime) -> None:
    assert local_to_utc(local, zone) == expected
