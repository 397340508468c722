"""The figures of an interrupt report, as pure functions of `ReportIssue` records."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.report_models import OpenFaqCandidate, Period, ReportIssue
from app.domain.report_topics import Topic, repeat_topics

TOP = 10
TOP_CANDIDATES = 5
EXCERPT = 120


@dataclass(frozen=True)
class Count:
    name: str
    current: int
    previous: int

    @property
    def change(self) -> float | None:
        """Relative change against the previous period (0.25 = +25 %); None without a previous count."""
        return None if self.previous == 0 else (self.current - self.previous) / self.previous


@dataclass(frozen=True)
class Durations:
    count: int
    median_h: float | None
    p90_h: float | None


@dataclass(frozen=True)
class Attainment:
    priority: str
    target: str
    """`first_response` or `resolution`."""
    met: int
    total: int

    @property
    def ratio(self) -> float | None:
        return self.met / self.total if self.total else None


@dataclass(frozen=True)
class Deflection:
    """Tickets answered by the FAQ (`faq_deflected`) among all tickets, now and in the period before."""

    name: str
    deflected: int
    total: int
    previous_deflected: int
    previous_total: int

    @property
    def rate(self) -> float | None:
        return self.deflected / self.total if self.total else None

    @property
    def previous_rate(self) -> float | None:
        return self.previous_deflected / self.previous_total if self.previous_total else None

    @property
    def change(self) -> float | None:
        """The change of the rate in percentage points as a fraction (0.05 = +5 pt); None without both."""
        rate, before = self.rate, self.previous_rate
        return None if rate is None or before is None else rate - before


@dataclass(frozen=True)
class CandidateQuote:
    jira_key: str | None
    question: str
    answer: str
    """Excerpts (whitespace folded, at most `EXCERPT` characters)."""
    proposed_by: str
    team: str
    bucket: str


@dataclass(frozen=True)
class FaqCandidates:
    """Open FAQ candidates (whatever their age: they wait for review); the newest few quoted."""

    open: int
    private: int
    """Of `open`, proposed in private tickets: counted, never quoted."""
    newest: tuple[CandidateQuote, ...]


@dataclass(frozen=True)
class InterruptReport:
    period: Period
    team: str | None
    total: Count
    by_bucket: tuple[Count, ...]
    by_team: tuple[Count, ...]
    by_priority: tuple[Count, ...]
    weekly: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    """(Monday of the week, ((bucket, count), ...)) for each week the period touches."""
    response: Durations
    resolution: Durations
    response_hours: tuple[float, ...]
    sla: tuple[Attainment, ...]
    top_requesters: tuple[tuple[str, int], ...]
    top_channels: tuple[tuple[str, int], ...]
    resolved: int
    resolved_without_prevention: int
    without_prevention_examples: tuple[str, ...]
    private_by_bucket: tuple[tuple[str, int], ...]
    topics: tuple[Topic, ...]
    deflection: Deflection
    deflection_by_bucket: tuple[Deflection, ...]
    """Buckets (and teams) with a deflected ticket now or before; the others would all read 0 %."""
    deflection_by_team: tuple[Deflection, ...]
    faq_candidates: FaqCandidates


def build_report(
    issues: Iterable[ReportIssue],
    period: Period,
    *,
    team: str | None = None,
    top: int = TOP,
    candidates: Sequence[OpenFaqCandidate] = (),
) -> InterruptReport:
    """Every figure of the report for `period`, trends against the period before it.

    `candidates`: the open FAQ candidates of the store (of `team` when given).
    """
    before = period.previous()
    current: list[ReportIssue] = []
    previous: list[ReportIssue] = []
    for issue in issues:
        if issue.created in period:
            current.append(issue)
        elif issue.created in before:
            previous.append(issue)
    responses = [h for i in current if (h := i.response_hours) is not None]
    resolutions = [h for i in current if (h := i.resolution_hours) is not None]
    resolved = [i for i in current if i.resolved is not None]
    unnoted = [i for i in resolved if not i.prevention_noted]
    return InterruptReport(
        period=period,
        team=team,
        total=Count("all", len(current), len(previous)),
        by_bucket=counts(current, previous, lambda i: i.bucket),
        by_team=counts(current, previous, lambda i: i.team),
        by_priority=counts(current, previous, lambda i: i.priority),
        weekly=weekly(current, period),
        response=durations(responses),
        resolution=durations(resolutions),
        response_hours=tuple(responses),
        sla=attainment(current),
        top_requesters=tuple(Counter(i.requester for i in current if i.requester).most_common(top)),
        top_channels=tuple(Counter(i.channel for i in current if i.channel).most_common(top)),
        resolved=len(resolved),
        resolved_without_prevention=len(unnoted),
        without_prevention_examples=tuple(
            i.key for i in sorted(unnoted, key=lambda i: i.created, reverse=True)[:top]
        ),
        private_by_bucket=tuple(sorted(Counter(i.bucket or "none" for i in current if i.private).items())),
        topics=tuple(repeat_topics(current, top=top)),
        deflection=deflection("all", current, previous),
        deflection_by_bucket=deflections(current, previous, lambda i: i.bucket),
        deflection_by_team=deflections(current, previous, lambda i: i.team),
        faq_candidates=faq_candidates(
            candidates, private_keys={i.key for i in (*current, *previous) if i.private}
        ),
    )


def deflection(name: str, current: Sequence[ReportIssue], previous: Sequence[ReportIssue]) -> Deflection:
    return Deflection(
        name,
        sum(i.faq_deflected for i in current),
        len(current),
        sum(i.faq_deflected for i in previous),
        len(previous),
    )


def deflections(
    current: Sequence[ReportIssue], previous: Sequence[ReportIssue], key: Callable[[ReportIssue], str | None]
) -> tuple[Deflection, ...]:
    """The deflection rate per value of `key`, for values with a deflected ticket in either period."""
    names = sorted({key(i) or "none" for i in (*current, *previous) if i.faq_deflected})
    found = [
        deflection(
            name,
            [i for i in current if (key(i) or "none") == name],
            [i for i in previous if (key(i) or "none") == name],
        )
        for name in names
    ]
    return tuple(sorted(found, key=lambda d: (-d.deflected, d.name)))


def excerpt(text: str, limit: int = EXCERPT) -> str:
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1].rstrip() + "…"


def faq_candidates(
    candidates: Sequence[OpenFaqCandidate], *, private_keys: set[str], top: int = TOP_CANDIDATES
) -> FaqCandidates:
    """Count every open candidate; quote the newest ones not from a private ticket.

    A candidate is private when the store says so (its ticket came in privately) or when its Jira
    issue carries the private label in this report (a label added in Jira later counts too).
    """

    def hidden(c: OpenFaqCandidate) -> bool:
        return c.private or (c.jira_key is not None and c.jira_key in private_keys)

    quotable = sorted((c for c in candidates if not hidden(c)), key=lambda c: c.created_at, reverse=True)
    return FaqCandidates(
        open=len(candidates),
        private=len(candidates) - len(quotable),
        newest=tuple(
            CandidateQuote(
                c.jira_key, excerpt(c.question), excerpt(c.answer), c.proposed_by, c.team, c.bucket
            )
            for c in quotable[:top]
        ),
    )


def counts(
    current: Sequence[ReportIssue], previous: Sequence[ReportIssue], key: Callable[[ReportIssue], str | None]
) -> tuple[Count, ...]:
    """Counts per value of `key` now and before, largest first (issues without a value as "none")."""
    now = Counter(key(i) or "none" for i in current)
    then = Counter(key(i) or "none" for i in previous)
    names = sorted(set(now) | set(then), key=lambda n: (-now[n], -then[n], n))
    return tuple(Count(n, now[n], then[n]) for n in names)


def week_start(instant: datetime) -> str:
    day = instant.date()
    return (day - timedelta(days=day.weekday())).isoformat()


Weekly = tuple[tuple[str, tuple[tuple[str, int], ...]], ...]


def weekly(current: Sequence[ReportIssue], period: Period) -> Weekly:
    """Counts per (week, bucket); weeks of the period without tickets are listed with none."""
    per_week: dict[str, Counter[str]] = {}
    day = period.start
    while day < period.end:  # a week without tickets still gets its (empty) row
        per_week[week_start(day)] = Counter()
        day += timedelta(days=7)
    per_week[week_start(period.end - timedelta(microseconds=1))] = Counter()
    for issue in current:
        per_week.setdefault(week_start(issue.created), Counter())[issue.bucket or "none"] += 1
    return tuple((week, tuple(sorted(per_week[week].items()))) for week in sorted(per_week))


def durations(hours: Sequence[float]) -> Durations:
    if not hours:
        return Durations(0, None, None)
    if len(hours) == 1:
        return Durations(1, hours[0], hours[0])
    return Durations(
        len(hours), statistics.median(hours), statistics.quantiles(hours, n=10, method="inclusive")[8]
    )


def attainment(current: Sequence[ReportIssue]) -> tuple[Attainment, ...]:
    """Met / decided per priority and target; tickets without a target or still running are left out."""
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for issue in current:
        for target, met in (
            ("first_response", issue.sla_first_response_met),
            ("resolution", issue.sla_resolution_met),
        ):
            if met is None:
                continue
            row = tally[(issue.priority or "none", target)]
            row[0] += int(met)
            row[1] += 1
    return tuple(Attainment(p, t, met, total) for (p, t), (met, total) in tally.items())
