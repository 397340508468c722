"""Shadows and reverse shadows, with frozen clocks: who leads and who shadows across several shifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from app.config.rotation import Rotation
from app.domain.oncall import shift_at, shifts


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


def pairs(r: Rotation, at: datetime, count: int) -> list[tuple[str, str | None, str | None]]:
    return [(s.lead, s.shadow, s.pairing) for s in shifts(r, at, count)]


MONDAY_NOON = datetime(2024, 1, 1, 11, tzinfo=UTC)  # 12:00 Berlin, inside shift 0


def test_onboarding_shadows_then_leads_with_a_reverse_shadow_then_the_next_new_member() -> None:
    r = rotation(
        onboarding={
            "new_members": ["U0NEW", "U0NEXT"],
            "from": "2024-01-08",
            "shadow_shifts": 2,
            "reverse_shadow_shifts": 1,
        }
    )
    assert pairs(r, MONDAY_NOON, 9) == [
        ("U0ALICE", None, None),  # before onboarding starts
        ("U0BOB", "U0NEW", "shadow"),  # U0NEW shadows two shifts...
        ("U0CAROL", "U0NEW", "shadow"),
        ("U0NEW", "U0ALICE", "reverse_shadow"),  # ...then leads once, backed by whoever was due
        ("U0BOB", "U0NEXT", "shadow"),  # the next new member starts at once
        ("U0CAROL", "U0NEXT", "shadow"),
        ("U0NEXT", "U0ALICE", "reverse_shadow"),
        ("U0BOB", None, None),  # onboarding over
        ("U0CAROL", None, None),
    ]


def test_the_pair_at_any_instant_is_a_function_of_the_clock() -> None:
    r = rotation(onboarding={"new_members": ["U0NEW"], "from": "2024-01-03", "shadow_shifts": 1})
    # `from` is a Wednesday: onboarding begins with the next shift to begin, Mon 2024-01-08
    before = shift_at(r, datetime(2024, 1, 8, 7, 59, tzinfo=UTC))  # 08:59 Berlin
    first = shift_at(r, datetime(2024, 1, 8, 8, 0, tzinfo=UTC))  # the handoff itself
    later = shift_at(r, datetime(2024, 1, 20, 12, tzinfo=UTC))
    last = shift_at(r, datetime(2024, 1, 29, 12, tzinfo=UTC))
    assert (before.lead, before.shadow) == ("U0ALICE", None)
    assert (first.lead, first.shadow, first.pairing) == ("U0BOB", "U0NEW", "shadow")
    assert first.people == ("U0BOB", "U0NEW")
    assert (later.lead, later.shadow, later.pairing) == ("U0NEW", "U0CAROL", "reverse_shadow")
    assert (last.lead, last.shadow) == ("U0BOB", None)


def test_a_swap_replaces_the_experienced_person_of_a_reverse_shadow_shift() -> None:
    r = rotation(
        onboarding={
            "new_members": ["U0NEW"],
            "from": "2024-01-01",
            "shadow_shifts": 1,
            "reverse_shadow_shifts": 1,
        },
        swaps=[{"shift_start": "2024-01-08", "with": "U0DAVE"}],
    )
    assert pairs(r, MONDAY_NOON, 3) == [
        ("U0ALICE", "U0NEW", "shadow"),
        ("U0NEW", "U0DAVE", "reverse_shadow"),
        ("U0CAROL", None, None),
    ]


def test_explicit_shadows_and_an_override_with_its_own_shadow() -> None:
    r = rotation(
        shadows=[{"shift_start": "2024-01-08", "person": "U0FRANK"}],
        overrides=[{"from": "2024-01-17", "to": "2024-01-17", "person": "U0ERIN", "shadow": "U0GRACE"}],
    )
    got = [(s.lead, s.shadow, s.source) for s in shifts(r, MONDAY_NOON, 5)]
    assert got == [
        ("U0ALICE", None, "rotation"),
        ("U0BOB", "U0FRANK", "rotation"),
        ("U0CAROL", None, "rotation"),  # until the override begins
        ("U0ERIN", "U0GRACE", "override"),
        ("U0CAROL", None, "rotation"),
    ]


def test_an_explicit_shadow_wins_over_onboarding_and_a_shadow_never_equals_the_lead() -> None:
    r = rotation(
        onboarding={"new_members": ["U0NEW"], "from": "2024-01-01", "shadow_shifts": 2},
        shadows=[{"shift_start": "2024-01-08", "person": "U0BOB"}],
    )
    assert pairs(r, MONDAY_NOON, 2) == [("U0ALICE", "U0NEW", "shadow"), ("U0BOB", None, None)]


def test_shift_boundaries_do_not_move_with_shadows() -> None:
    plain = rotation()
    paired = rotation(onboarding={"new_members": ["U0NEW"], "from": "2024-01-01"})
    at = MONDAY_NOON + timedelta(days=3)
    assert [(s.start, s.end) for s in shifts(plain, at, 6)] == [
        (s.start, s.end) for s in shifts(paired, at, 6)
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"shadows": [{"shift_start": "2024-01-03", "person": "U0X"}]},
            "shadow shift_start 2024-01-03 is not",
        ),
        (
            {"shadows": [{"shift_start": "2024-01-08", "person": "U0X"}] * 2},
            "two shadows for the shift beginning 2024-01-08",
        ),
        (
            {
                "onboarding": {
                    "new_members": ["U0X"],
                    "from": "2024-01-01",
                    "shadow_shifts": 0,
                    "reverse_shadow_shifts": 0,
                }
            },
            "both 0",
        ),
        ({"onboarding": {"new_members": ["U0X", "U0X"], "from": "2024-01-01"}}, "more than once"),
        ({"onboarding": {"new_members": [], "from": "2024-01-01"}}, "new_members"),
        ({"onboarding": {"new_members": ["someone"], "from": "2024-01-01"}}, "new_members.0"),
    ],
)
def test_invalid_shadowing_says_what_is_wrong(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        rotation(**changes)
    assert expected in str(caught.value)
