"""One row of the benchmark table: what was measured, the result, the target and whether it was met."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

MET = "met"
NOT_MET = "not met"
NOT_JUDGED = "not judged"
NO_TARGET = "no target"
NOT_RUN = "not run"
FAILED = "failed"

NO_TARGET_TEXT = "none in the issues (recorded for comparison)"


@dataclass
class Row:
    key: str  # stable id, also the table's order: ack, e2e-latency, report-cloud, ...
    bench: str  # the suite entry that produced it (ack, e2e, modal, report, faq, rss_idle)
    what: str
    target: str
    result: str = ""
    verdict: str = NOT_RUN
    why: str = ""  # what decided the verdict, or why there is none
    command: str = ""
    baseline: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    loadavg_at_start: list[float] = field(default_factory=list)
    busy_cores_at_start: float | None = None
    mode: str = "full"  # quick: short runs, the verdict is only indicative

    def judged(self, problems: list[str], ok_why: str = "") -> Row:
        """Set the verdict from a list of unmet conditions (none: met)."""
        self.verdict = NOT_MET if problems else MET
        self.why = "; ".join(problems) if problems else ok_why
        return self

    def verdict_text(self) -> str:
        head = f"**{self.verdict}**" if self.verdict in (NOT_MET, FAILED) else self.verdict
        if self.mode == "quick" and self.verdict in (MET, NOT_MET):
            head += " (quick run)"
        return f"{head}: {self.why}" if self.why else head

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Row:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def judge_all_met(checks: list[tuple[bool, str]]) -> list[str]:
    """The messages of the checks that failed."""
    return [message for ok, message in checks if not ok]


def fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def fmt_ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"
