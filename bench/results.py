"""Per-target result records, and their summary over several rounds."""

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.wrk_runner import WrkResult


@dataclass
class Durability:
    """Deliveries acked with 2xx during a whole target run vs rows found in the database.

    wrk abandons the requests in flight when it stops, and the server may still store them, so the
    row count alone cannot say which acked deliveries are missing. It bounds them instead:
    lost >= acked - rows, and lost <= acked - rows + (deliveries that were not acked: unanswered or
    non-2xx). Repeated event_ids are acked but rightly stored once, so they come off `acked`.
    """

    acked_2xx: int
    non_2xx: int
    unanswered: int
    repeated_event_ids: int
    db_rows: int | None
    method: str

    @property
    def distinct_acked(self) -> int:
        return max(0, self.acked_2xx - self.repeated_event_ids)

    @property
    def definitely_lost(self) -> int:
        return 0 if self.db_rows is None else max(0, self.distinct_acked - self.db_rows)

    @property
    def possibly_lost(self) -> int:
        if self.db_rows is None:
            return self.distinct_acked
        slack = self.unanswered + self.non_2xx
        return max(0, min(self.distinct_acked, self.distinct_acked - self.db_rows + slack))

    @property
    def verdict(self) -> str:
        if self.db_rows is None:
            return "UNKNOWN"
        if self.definitely_lost:
            return "LOST"
        return "OK" if self.possibly_lost == 0 else "UNPROVEN"

    def to_dict(self) -> dict[str, Any]:
        return {
            "acked_2xx": self.acked_2xx,
            "non_2xx": self.non_2xx,
            "unanswered": self.unanswered,
            "repeated_event_ids": self.repeated_event_ids,
            "db_rows": self.db_rows,
            "method": self.method,
            "definitely_lost": self.definitely_lost,
            "possibly_lost": self.possibly_lost,
            "verdict": self.verdict,
        }


@dataclass
class TargetResult:
    name: str
    description: str
    baseline: bool
    status: str = "ok"  # ok | skipped | failed
    message: str = ""
    command: str = ""
    warmup: WrkResult | None = None
    measured: WrkResult | None = None
    server_cpu_s: float = 0.0
    precheck_statuses: list[int] = field(default_factory=list)
    durability: Durability | None = None

    @property
    def usable(self) -> bool:
        return self.status == "ok" and self.measured is not None

    def to_dict(self) -> dict[str, Any]:
        m = self.measured
        return {
            "target": self.name,
            "description": self.description,
            "baseline": self.baseline,
            "status": self.status,
            "message": self.message,
            "command": self.command,
            "precheck_statuses": self.precheck_statuses,
            "server_cpu_s": round(self.server_cpu_s, 3),
            "server_cpu_pct": round(100 * self.server_cpu_s / m.duration_s, 1) if m else None,
            "warmup": self.warmup.to_dict() if self.warmup else None,
            "measured": m.to_dict() if m else None,
            "durability": self.durability.to_dict() if self.durability else None,
        }


@dataclass(frozen=True)
class Summary:
    """One target over all rounds: medians of throughput and latency, sums of errors."""

    name: str
    baseline: bool
    status: str
    message: str
    rounds: int = 0
    rps_2xx: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    non_2xx: int = 0
    socket_errors: int = 0
    repeated: int = 0
    server_cpu_pct: float = 0.0
    client_cpu_pct: float = 0.0
    rps_each: tuple[float, ...] = ()
    p99_each: tuple[float, ...] = ()

    @property
    def usable(self) -> bool:
        return self.rounds > 0

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def summarize(rounds: list[list[TargetResult]]) -> list[Summary]:
    """Median-of-rounds summary per target, in first-seen order; a target that never ran keeps its reason."""
    names: dict[str, list[TargetResult]] = {}
    for results in rounds:
        for r in results:
            names.setdefault(r.name, []).append(r)
    out = []
    for name, runs in names.items():
        ok = [(r, r.measured) for r in runs if r.usable and r.measured is not None]
        last = runs[-1]
        if not ok:
            out.append(Summary(name, last.baseline, last.status, last.message))
            continue
        med = statistics.median
        out.append(
            Summary(
                name=name,
                baseline=last.baseline,
                status="ok",
                message="" if len(ok) == len(runs) else f"{len(runs) - len(ok)} round(s) did not run",
                rounds=len(ok),
                rps_2xx=med(m.rps_2xx for _, m in ok),
                p50_ms=med(m.latency_ms["p50"] for _, m in ok),
                p90_ms=med(m.latency_ms["p90"] for _, m in ok),
                p99_ms=med(m.latency_ms["p99"] for _, m in ok),
                max_ms=max(m.latency_ms["max"] for _, m in ok),
                non_2xx=sum(m.non_2xx for _, m in ok),
                socket_errors=sum(m.socket_errors for _, m in ok),
                repeated=sum(m.repeated for _, m in ok),
                server_cpu_pct=med(100 * r.server_cpu_s / m.duration_s for r, m in ok),
                client_cpu_pct=med(100 * m.client_cpu_s / m.duration_s for _, m in ok),
                rps_each=tuple(round(m.rps_2xx, 1) for _, m in ok),
                p99_each=tuple(round(m.latency_ms["p99"], 3) for _, m in ok),
            )
        )
    return out
