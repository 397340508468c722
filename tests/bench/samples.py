"""Results as the benchmark scripts write them, small enough to read: JSON documents and printed lines."""

from __future__ import annotations

from typing import Any

from bench.report import comparisons
from bench.results import Summary


def ack_doc(*, ib_rps: float = 1800.0, ib_p99: float = 18.9, durability: str = "OK") -> dict[str, Any]:
    summaries = [
        Summary("bolt-httptools", True, "ok", "", 1, 1411.0, 9.0, 15.0, 28.8, 40.0),
        Summary("bolt-h11", True, "ok", "", 1, 967.0, 12.0, 20.0, 35.0, 50.0),
        Summary("interrupt-bridge", False, "ok", "", 1, ib_rps, 7.5, 12.0, ib_p99, 30.0),
    ]
    return {
        "machine": {"nproc": 2},
        "config": {"rounds": 1, "duration_s": 3},
        "reference_baseline": "bolt-httptools",
        "summary": [s.to_dict() for s in summaries],
        "comparisons": comparisons(summaries),
        "rounds": [
            [
                {"target": "bolt-httptools", "durability": None},
                {"target": "interrupt-bridge", "durability": {"verdict": durability}},
            ]
        ],
    }


def _dist(p50: float, p99: float) -> dict[str, float]:
    return {"p50": p50, "p90": (p50 + p99) / 2, "p99": p99, "max": p99 + 5}


def e2e_doc(*, overhead_p50: float = 74.0, parallel: bool = True, exact: bool = True) -> dict[str, Any]:
    return {
        "command": "python -m bench.e2e_bench",
        "config": {"latency_jira": 0.15, "latency_slack": 0.05, "jira_concurrency": 8},
        "latency": {
            "samples": 50,
            "summary": {
                "e2e_ms": _dist(300 + overhead_p50, 422.0),
                "overhead_ms": _dist(overhead_p50, 122.0),
                "path_latency_ms": _dist(300.0, 300.0),
            },
        },
        "drain": {
            "n": 1000,
            "done_s": 65.4,
            "tickets_per_s": 15.3,
            "one_at_a_time_per_s": 2.7,
            "jira_max_in_flight": 8,
            "exact": exact,
            "parallel": parallel,
            "jobs": {"done": 4212},
        },
    }


def _modal_phase(name: str, p99: float, verdict: str, reason: str = "") -> dict[str, Any]:
    loaded = name == "loaded"
    return {
        "phase": name,
        "shortcuts": {"summary": {"send_to_open_ms": _dist(p99 / 6, p99)}},
        "reactions": {"acked_in_window_per_s": 497.0} if loaded else None,
        "verdict": verdict,
        "verdict_reason": reason,
    }


def modal_doc(*, loaded_p99: float = 44.0, verdict: str = "PASS", reason: str = "") -> dict[str, Any]:
    return {
        "config": {"rate": 500.0},
        "rounds": [
            {
                "baseline": _modal_phase("baseline", 13.5, "PASS"),
                "loaded": _modal_phase("loaded", loaded_p99, verdict, reason),
            }
        ],
        "pass": verdict == "PASS",
    }


REPORT_OUTPUT = """\
# CPython 3.11.7, 2 CPUs, load 1.2
deployment   issues mode      requests req/100  wall s  rss MB  verdict (at 20k: <=1 req/100, <=10 s, <=250 MB)
cloud          2000 report           4    0.20    0.81    71.2
cloud          2000 baseline        20    1.00    2.50    90.0
cloud         20000 report          40    0.20    4.21    96.3  PASS
cloud         20000 baseline       200    1.00   25.10   410.5
datacenter    20000 report         201    1.00   11.50   120.0  FAIL
"""  # noqa: E501 - printed lines, verbatim

FAQ_OUTPUT = """\
FAQ: 24 entries (index built in 3.1 ms); threshold 0.35
tune     n=60  precision@1=0.900 (27/30)  false-suggestions=0.050 (1/20)  coverage=0.750  top1-without-threshold=0.850
heldout  n=40  precision@1=0.850 (17/20)  false-suggestions=0.100 (1/10)  coverage=0.833  top1-without-threshold=0.800
all      n=100 precision@1=0.880 (44/50)  false-suggestions=0.067 (2/30)  coverage=0.714  top1-without-threshold=0.830
matching: 0.21 ms per question
sweep on the tune split only:
t=0.05   n=60  precision@1=0.500 (20/40)  false-suggestions=0.900 (18/20)  coverage=1.000  top1-without-threshold=0.850
"""  # noqa: E501 - printed lines, verbatim
