"""What an interrupt report is made of: one compact record per Jira issue and the report's period.

Records are built from Jira's search results (and, where the bridge raised the ticket, from its own
store: channel, first response); the figures in `report_figures` are pure functions of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ReportIssue:
    key: str
    created: datetime
    summary: str
    team: str | None = None
    bucket: str | None = None
    priority: str | None = None
    resolved: datetime | None = None
    requester: str | None = None
    channel: str | None = None
    private: bool = False
    """Labelled `private-request`: counted, never quoted (no summary in topics or examples)."""
    prevention_noted: bool = False
    faq_deflected: bool = False
    """Answered by the FAQ: labelled `faq-deflected` (or, label missing, "This solved it" in the store)."""
    first_response: datetime | None = None
    sla_first_response_met: bool | None = None
    """None: no target for the priority, or not decided yet (open and not yet due)."""
    sla_resolution_met: bool | None = None

    @property
    def response_hours(self) -> float | None:
        if self.first_response is None:
            return None
        return max((self.first_response - self.created).total_seconds(), 0.0) / 3600

    @property
    def resolution_hours(self) -> float | None:
        if self.resolved is None:
            return None
        return max((self.resolved - self.created).total_seconds(), 0.0) / 3600


@dataclass(frozen=True, slots=True)
class OpenFaqCandidate:
    """A reply proposed as an FAQ answer and not reviewed yet (from the bridge's store)."""

    question: str
    answer: str
    jira_key: str | None
    proposed_by: str
    team: str
    bucket: str
    created_at: float
    private: bool
    """Proposed in a private ticket's thread: counted, never quoted."""


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("report periods need time zones")
        if self.end <= self.start:
            raise ValueError("the period ends before it starts")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> Period:
        """The period of the same length just before this one (what trends compare against)."""
        return Period(self.start - self.length, self.start)

    def __contains__(self, instant: object) -> bool:
        return isinstance(instant, datetime) and self.start <= instant < self.end
