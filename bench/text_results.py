"""Figures from the printed lines of benchmarks that write no JSON (report scaling, FAQ precision).

The parsers read only the lines they recognise and skip everything else (headers, warnings,
progress), so a script that prints a little more still parses; one that prints none of its
result lines yields nothing, and its row says so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

# `cloud  20000 report  200  1.00  4.21  96.3  PASS`: deployment, issues, mode, then numeric columns
# named by the header line (`requests req/100 wall s [cpu s fake cpu s] rss MB`), and a verdict at 20,000.
_REPORT_ROW = re.compile(
    r"^\s*(?P<deployment>[a-z][\w-]*)\s+(?P<issues>\d+)\s+(?P<mode>report|baseline)\s+(?P<rest>.*)$"
)
_REPORT_HEADER = re.compile(r"^\s*deployment\s+issues\s+mode\s+(?P<rest>.*)$")
_HEADER_TOKEN = re.compile(r"fake cpu s|cpu s|wall s|peak RSS MB|ru_maxrss MB|rss MB|\S+")
# `peak RSS MB` (VmHWM of the report's own process) is the figure judged; `ru_maxrss MB` is printed
# beside it but carries the forking parent's peak on Linux, so it is never taken as the report's.
_RSS_COLUMNS = ("peak RSS MB", "rss MB")
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|inf|nan)$")
# `heldout  n=40  precision@1=0.850 (17/20)  false-suggestions=0.050 (1/20)  coverage=... top1-...=...`
_FAQ_LINE = re.compile(
    r"^\s*(?P<split>\S+)\s+n=(?P<n>\d+)\s+precision@1=(?P<p1>[\d.]+)\s+\((?P<right>\d+)/(?P<shown>\d+)\)\s+"
    r"false-suggestions=(?P<false>[\d.]+)\s+\((?P<false_n>\d+)/(?P<unanswerable>\d+)\)"
    r"(?:\s+coverage=(?P<coverage>[\d.]+))?"
)
_FAQ_HEAD = re.compile(r"^FAQ:\s*(?P<entries>\d+) entries.*threshold\s+(?P<threshold>[\d.]+)")


@dataclass(frozen=True)
class ReportLine:
    deployment: str
    issues: int
    mode: str  # report | baseline (the jira client's own paging)
    requests: int  # -1 when the script could not count them
    per_100: float
    wall_s: float
    rss_mb: float
    verdict: str | None
    extra: dict[str, float] = field(default_factory=dict)  # other named columns, e.g. `cpu s`

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _header_columns(rest: str) -> list[str]:
    columns = []
    for token in _HEADER_TOKEN.findall(rest):
        if token.startswith("verdict"):
            break
        columns.append(token)
    return columns


def _report_line(m: re.Match[str], columns: list[str]) -> ReportLine | None:
    tokens = m["rest"].split()
    verdict = tokens.pop() if tokens and tokens[-1] in ("PASS", "FAIL") else None
    if not tokens or not all(_NUMBER.match(t) for t in tokens):
        return None
    values = [float(t) for t in tokens]
    rss_column = next((c for c in _RSS_COLUMNS if c in columns), None)
    if len(columns) == len(values) and rss_column and {"requests", "req/100", "wall s"} <= set(columns):
        named = dict(zip(columns, values, strict=True))
        named["rss MB"] = named.pop(rss_column)
    elif len(values) >= 4:
        # No header (or one this parser does not know): the first three columns and the last are fixed.
        named = {"requests": values[0], "req/100": values[1], "wall s": values[2], "rss MB": values[-1]}
    else:
        return None
    return ReportLine(
        deployment=m["deployment"],
        issues=int(m["issues"]),
        mode=m["mode"],
        requests=int(named["requests"]),
        per_100=named["req/100"],
        wall_s=named["wall s"],
        rss_mb=named["rss MB"],
        verdict=verdict,
        extra={k: v for k, v in named.items() if k not in ("requests", "req/100", "wall s", "rss MB")},
    )


def parse_report_lines(text: str) -> list[ReportLine]:
    lines: list[ReportLine] = []
    columns: list[str] = []
    for raw in text.splitlines():
        header = _REPORT_HEADER.match(raw)
        if header:
            columns = _header_columns(header["rest"])
            continue
        m = _REPORT_ROW.match(raw)
        line = _report_line(m, columns) if m else None
        if line is not None:
            lines.append(line)
    return lines


@dataclass(frozen=True)
class FaqSplit:
    split: str
    n: int
    precision_at_1: float
    right: int
    suggested: int
    false_rate: float
    false_suggestions: int
    unanswerable: int
    coverage: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FaqResult:
    entries: int | None
    threshold: float | None
    splits: dict[str, FaqSplit]  # `tune`, `heldout`, `all`; sweep lines (`t=0.30`) are left out

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "threshold": self.threshold,
            "splits": {k: v.to_dict() for k, v in self.splits.items()},
        }


def parse_faq_lines(text: str) -> FaqResult:
    entries = threshold = None
    splits: dict[str, FaqSplit] = {}
    in_sweep = False
    for raw in text.splitlines():
        head = _FAQ_HEAD.match(raw.strip())
        if head:
            entries, threshold = int(head["entries"]), float(head["threshold"])
            continue
        if raw.lower().startswith("sweep"):
            in_sweep = True
        m = _FAQ_LINE.match(raw)
        if not m or in_sweep or m["split"].startswith("t="):
            continue
        splits.setdefault(
            m["split"],
            FaqSplit(
                split=m["split"],
                n=int(m["n"]),
                precision_at_1=float(m["p1"]),
                right=int(m["right"]),
                suggested=int(m["shown"]),
                false_rate=float(m["false"]),
                false_suggestions=int(m["false_n"]),
                unanswerable=int(m["unanswerable"]),
                coverage=float(m["coverage"]) if m["coverage"] else None,
            ),
        )
    return FaqResult(entries, threshold, splits)
