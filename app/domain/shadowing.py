"""Who shadows whom in a base shift: explicit `shadows` entries and the onboarding of new members.

A pure function of the rotation and the shift's number, like the rest of the schedule. A *shadow*
learns by following the lead; a *reverse shadow* is the experienced person backing up a new member
who leads for the first times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.config.rotation import Rotation

Pairing = Literal["shadow", "reverse_shadow"]


@dataclass(frozen=True)
class Pair:
    """The lead of a shift and, if any, the second person with their role."""

    lead: str
    shadow: str | None = None
    pairing: Pairing | None = None


def pair_for_shift(rotation: Rotation, index: int, scheduled_lead: str) -> Pair:
    """The lead and shadow of base shift `index`, whose lead by rotation and swaps is `scheduled_lead`.

    During a new member's shadow shifts they shadow `scheduled_lead`; during their reverse-shadow
    shifts they lead and `scheduled_lead` is the reverse shadow. An explicit `shadows` entry for the
    shift names its shadow instead (the lead stays `scheduled_lead`). A shadow equal to the lead is none.
    """
    day = rotation.shift_start_day(index)
    explicit = next((s.person for s in rotation.shadows if s.shift_start == day), None)
    if explicit is not None:
        return _pair(scheduled_lead, explicit, "shadow")
    onboarding = rotation.onboarding
    if onboarding is None:
        return Pair(scheduled_lead)
    offset = index - rotation.first_index_on_or_after(onboarding.from_)
    if offset < 0:
        return Pair(scheduled_lead)
    number, phase = divmod(offset, onboarding.shifts_per_member)
    if number >= len(onboarding.new_members):
        return Pair(scheduled_lead)
    newcomer = onboarding.new_members[number]
    if phase < onboarding.shadow_shifts:
        return _pair(scheduled_lead, newcomer, "shadow")
    return _pair(newcomer, scheduled_lead, "reverse_shadow")


def _pair(lead: str, shadow: str, pairing: Pairing) -> Pair:
    return Pair(lead) if shadow == lead else Pair(lead, shadow, pairing)


def role_name(pairing: Pairing | None) -> str:
    """How a text names the second person: 'shadow' or 'reverse shadow'."""
    return "reverse shadow" if pairing == "reverse_shadow" else "shadow"
