"""Which open tickets are at SLA risk: the handoff message lists them for the incoming on-call person.

A ticket is at risk when an unmet target has used at least `threshold` of its time (the template's
first reminder fraction, 75 % by default) or is past due. Most at risk first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.config.sla import TargetName
from app.domain.sla import SlaClock


@dataclass(frozen=True)
class AtRisk:
    key: str
    url: str | None
    target: TargetName
    due: datetime
    breached: bool
    fraction: float


def at_risk(clocks: Iterable[tuple[str, str | None, SlaClock | None]], *, threshold: float) -> list[AtRisk]:
    """(jira key, url, clock) of open tickets → those at risk, the most advanced first."""
    found: list[AtRisk] = []
    for key, url, clock in clocks:
        if clock is None:
            continue
        unmet = [t for t in clock.targets if not t.met]
        if not unmet:
            continue
        worst = max(unmet, key=lambda t: t.fraction)
        if worst.breached or worst.fraction >= threshold:
            found.append(
                AtRisk(
                    key=key,
                    url=url,
                    target=worst.name,
                    due=worst.due,
                    breached=worst.breached,
                    fraction=worst.fraction,
                )
            )
    return sorted(found, key=lambda r: (-r.fraction, r.due, r.key))
