"""Rows of the table from each benchmark's results: its --json document, printed lines, or memory samples.

Every benchmark has fixed rows (what is measured, the target from the issues, the baseline). A
benchmark that did not run still gets them, saying why; one whose output cannot be read gets them
marked failed with the reason, never a guessed figure.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from bench.gather import BenchRun
from bench.rows import FAILED, NO_TARGET, NO_TARGET_TEXT, NOT_JUDGED, NOT_RUN, Row, fmt_int, fmt_ms
from bench.rss import SERVICE, peaks_by_label
from bench.text_results import FaqSplit, ReportLine, parse_faq_lines, parse_report_lines

ACK_TARGET = (
    "≥ 1.5x Bolt's throughput (httptools + uvloop) with p99 ≤ Bolt's, no errors, "
    "no acked delivery lost (issue 2)"
)
E2E_TARGET = "p50 overhead beyond the fakes' latencies ≤ 100 ms (issue 2)"
DRAIN_TARGET = (
    "queued tickets drain at the configured Jira concurrency, not one at a time: > 1.5x one at a time, "
    "Jira requests in flight ≤ JIRA_CONCURRENCY, exactly one issue and reply each (issue 2)"
)
MODAL_TARGET = "p99 ≤ 100 ms while 500 reaction deliveries/s arrive on the same process (issue 3)"
REPORT_TARGET = (
    "at 20,000 issues: ≤ 1 search request per 100 issues, wall time ≤ 10 s, peak RSS ≤ 250 MB (issue 6)"
)
FAQ_TARGET = (
    "precision@1 ≥ 0.8, false suggestions ≤ 10 % (issue 7); judged on all questions and on the held-out split"
)

BOLT_NAMES = {"bolt-httptools": "Bolt (httptools + uvloop)", "bolt-h11": "Bolt (h11 + asyncio)"}
BOLT_BASELINE = (
    "Bolt for Python `AsyncApp` + FastAPI adapter acking the same signed deliveries (no durability)"
)

# key, bench, what, target, baseline: the rows every benchmark owns, in table order.
ROW_DEFS: list[tuple[str, str, str, str, str]] = [
    (
        "ack",
        "ack",
        "ack path: signed `reaction_added` deliveries, 16 connections, one server process, durable write "
        "included; throughput and p50/p99",
        ACK_TARGET,
        f"{BOLT_BASELINE}, same run, same core",
    ),
    (
        "e2e-latency",
        "e2e",
        "end to end: reaction → Jira ticket + Slack reply, one at a time",
        E2E_TARGET,
        "the fakes' latency on the critical path, same run",
    ),
    (
        "e2e-drain",
        "e2e",
        "drain rate: a burst of queued reactions → tickets + replies",
        DRAIN_TARGET,
        "one ticket at a time (1 / p50 reaction → reply), same run",
    ),
    (
        "modal",
        "modal",
        "`views.open` latency under load: shortcut delivery → `views.open` at the fake Slack",
        MODAL_TARGET,
        "the same shortcuts with no other traffic, same run",
    ),
    (
        "report",
        "report",
        "report scaling: `interrupt-bridge report` over 2k / 20k / 100k issues in the fake Jira",
        REPORT_TARGET,
        "the jira client's own paging (with `--baseline`)",
    ),
    (
        "faq",
        "faq",
        "FAQ precision on the labelled question set (`bench/data/faq_questions.yaml`)",
        FAQ_TARGET,
        "none: a labelled set, threshold from the template",
    ),
    (
        "rss-idle",
        "rss_idle",
        "idle RSS of `interrupt-bridge serve` (worker on, SQLite, sandbox fakes) after start-up",
        NO_TARGET_TEXT,
        "Bolt for Python app on uvicorn httptools + uvloop, idle",
    ),
    (
        "rss-loaded-ack",
        "ack",
        "loaded RSS: peak (VmHWM) of `serve --no-worker` during the ack load",
        NO_TARGET_TEXT,
        "Bolt apps under the same load (peak VmHWM)",
    ),
    (
        "rss-loaded-e2e",
        "e2e",
        "loaded RSS: peak (VmHWM) of `serve` (worker on) during the end-to-end run and drain",
        NO_TARGET_TEXT,
        "its idle RSS (the idle RSS row)",
    ),
]
ROW_ORDER = [d[0] for d in ROW_DEFS]


def blank_rows(bench: str) -> list[Row]:
    return [Row(key, b, what, target, baseline=base) for key, b, what, target, base in ROW_DEFS if b == bench]


def row_for(key: str) -> Row:
    for k, bench, what, target, base in ROW_DEFS:
        if k == key:
            return Row(k, bench, what, target, baseline=base)
    raise KeyError(key)


def order_key(row: Row) -> tuple[int, str]:
    base = row.key.split(":", 1)[0]
    return (ROW_ORDER.index(base) if base in ROW_ORDER else len(ROW_ORDER), row.key)


# -- ack -------------------------------------------------------------------------------------------
def _ack_figures(s: dict[str, Any]) -> str:
    if not s.get("rounds"):
        reason = (s.get("message") or "").splitlines()[:1]
        return f"{s.get('status', '?')}{': ' + reason[0] if reason else ''}"
    return f"{fmt_int(s['rps_2xx'])} req/s, p50 {fmt_ms(s['p50_ms'])}, p99 {fmt_ms(s['p99_ms'])}"


def ack_rows(run: BenchRun) -> list[Row]:
    doc = _doc(run)
    row = row_for("ack")
    summary = {s["name"]: s for s in doc["summary"]}
    ib = summary.get(SERVICE)
    rounds = doc.get("config", {}).get("rounds", 1)
    parts = [f"interrupt-bridge {_ack_figures(ib) if ib else 'not run'}"]
    parts += [f"{BOLT_NAMES.get(n, n)} {_ack_figures(s)}" for n, s in summary.items() if s.get("baseline")]
    row.result = "; ".join(parts)
    if rounds > 1:
        row.result += f" (medians of {rounds} rounds)"
    comparison = next(
        (
            c
            for c in doc.get("comparisons", [])
            if c["target"] == SERVICE and c["baseline"] == "bolt-httptools"
        ),
        None,
    )
    if ib is None or not ib.get("rounds") or comparison is None:
        row.verdict, row.why = NOT_JUDGED, "interrupt-bridge or Bolt (httptools + uvloop) did not run"
        return [row]
    durability = sorted(
        {
            r["durability"]["verdict"]
            for results in doc.get("rounds", [])
            for r in results
            if r.get("target") == SERVICE and r.get("durability")
        }
    )
    row.result += (
        f" → {comparison['throughput_ratio']:.2f}x Bolt (httptools + uvloop)'s throughput, p99 "
        f"{comparison['p99_ratio']:.2f}x its p99; durability {', '.join(durability) or 'not checked'}"
    )
    problems = []
    if not comparison["throughput_pass"]:
        problems.append(f"throughput {comparison['throughput_ratio']:.2f}x < 1.5x")
    if not comparison["p99_pass"]:
        problems.append(f"p99 {comparison['p99_ratio']:.2f}x Bolt's")
    if not comparison["clean"]:
        problems.append(f"{ib['non_2xx']} non-2xx, {ib['socket_errors']} socket errors")
    if "LOST" in durability:
        problems.append("acked deliveries missing from the database")
    return [row.judged(problems)]


def rss_loaded_row(key: str, run: BenchRun, during: str) -> Row:
    row = row_for(key)
    peaks = peaks_by_label(run.servers)
    if SERVICE not in peaks:
        row.verdict, row.why = NOT_JUDGED, "no interrupt-bridge process was seen"
        return row
    row.result = f"interrupt-bridge peak {peaks[SERVICE]:.0f} MB during {during}"
    bolts = [f"{BOLT_NAMES.get(k, k)} {v:.0f} MB" for k, v in sorted(peaks.items()) if k != SERVICE]
    if bolts:
        row.baseline = "same load, peak VmHWM: " + ", ".join(bolts)
    row.verdict = NO_TARGET
    return row


# -- end to end --------------------------------------------------------------------------------------
def e2e_rows(run: BenchRun) -> list[Row]:
    doc = _doc(run)
    config = doc.get("config", {})
    lat_jira, lat_slack = config.get("latency_jira", 0.15), config.get("latency_slack", 0.05)
    latency_row, drain_row = row_for("e2e-latency"), row_for("e2e-drain")
    latency_row.what = (
        "end to end: reaction → Jira ticket + Slack reply, one at a time, fake Jira "
        f"{lat_jira * 1000:.0f} ms / Slack {lat_slack * 1000:.0f} ms per call"
    )
    lat = doc.get("latency")
    if lat:
        s = lat["summary"]
        latency_row.result = (
            f"reaction → reply seen p50 {fmt_ms(s['e2e_ms']['p50'])}, p99 {fmt_ms(s['e2e_ms']['p99'])}; "
            f"overhead p50 {fmt_ms(s['overhead_ms']['p50'])}, p99 {fmt_ms(s['overhead_ms']['p99'])} "
            f"({lat['samples']} samples)"
        )
        latency_row.baseline = (
            f"the fakes' latency on the critical path, p50 {fmt_ms(s['path_latency_ms']['p50'])} "
            f"(Jira {lat_jira * 1000:.0f} ms, Slack {lat_slack * 1000:.0f} ms per call), same run"
        )
        overhead = s["overhead_ms"]["p50"]
        latency_row.judged([] if overhead <= 100 else [f"p50 overhead {fmt_ms(overhead)} > 100 ms"])
    else:
        latency_row.verdict, latency_row.why = NOT_RUN, "latency phase skipped (--n-latency 0)"
    drain = doc.get("drain")
    if drain:
        one = drain.get("one_at_a_time_per_s") or 0.0
        speedup = drain["tickets_per_s"] / one if one else float("inf")
        jc = config.get("jira_concurrency", "?")
        drain_row.what = f"drain rate: a burst of {fmt_int(drain['n'])} queued reactions → tickets + replies"
        drain_row.result = (
            f"{fmt_int(drain['n'])} tickets + replies in {drain['done_s']:.1f} s: "
            f"{drain['tickets_per_s']:.1f} tickets/s (x{speedup:.1f} one at a time); "
            f"Jira requests in flight max {drain['jira_max_in_flight']} of JIRA_CONCURRENCY={jc}; "
            f"exactly once: {'yes' if drain.get('exact') else 'NO'}; jobs {drain.get('jobs', {})}"
        )
        drain_row.baseline = f"one ticket at a time: {one:.1f}/s (1 / p50 reaction → reply), same run"
        drain_row.judged(
            [
                m
                for ok, m in (
                    (bool(drain.get("parallel")), "not parallel, or over JIRA_CONCURRENCY in flight"),
                    (bool(drain.get("exact")), "not exactly one issue, link and reply per reaction"),
                )
                if not ok
            ]
        )
    else:
        drain_row.verdict, drain_row.why = NOT_RUN, "drain phase skipped (--n-drain 0)"
    return [latency_row, drain_row]


# -- intake modal ------------------------------------------------------------------------------------
def modal_rows(run: BenchRun) -> list[Row]:
    doc = _doc(run)
    row = row_for("modal")
    rate = doc.get("config", {}).get("rate", 500)
    loaded = [r["loaded"] for r in doc.get("rounds", []) if "loaded" in r]
    idle = [r["baseline"] for r in doc.get("rounds", []) if "baseline" in r]
    if idle:
        idle_p99 = [
            p["shortcuts"]["summary"]["send_to_open_ms"]["p99"]
            for p in idle
            if p["shortcuts"]["summary"]["send_to_open_ms"]
        ]
        if idle_p99:
            row.baseline = (
                f"no other traffic: p99 {fmt_ms(max(idle_p99))} (worst of {len(idle_p99)}), same run"
            )
    if not loaded:
        row.verdict, row.why = NOT_RUN, "no loaded phase in this run"
        return [row]
    opens = [p["shortcuts"]["summary"]["send_to_open_ms"] for p in loaded]
    if not all(opens):
        row.result = "no shortcut reached `views.open` in at least one loaded round"
        return [row.judged(["shortcuts without views.open"])]
    acked = [p["reactions"]["acked_in_window_per_s"] for p in loaded if p.get("reactions")]
    rounds = f" (worst of {len(loaded)} rounds)" if len(loaded) > 1 else ""
    p50, p99 = statistics.median(o["p50"] for o in opens), max(o["p99"] for o in opens)
    row.result = (
        f"p50 {fmt_ms(p50)}, p99 {fmt_ms(p99)}{rounds} with {fmt_int(rate)} reactions/s offered, "
        f"{fmt_int(min(acked, default=0))}/s acked"
    )
    verdicts = [p.get("verdict", "?") for p in loaded]
    if "FAIL" in verdicts:
        first = next(p for p in loaded if p.get("verdict") == "FAIL")
        return [row.judged([first.get("verdict_reason", "FAIL")])]
    if all(v == "PASS" for v in verdicts):
        return [row.judged([])]
    row.verdict = NOT_JUDGED
    row.why = next((p.get("verdict_reason", "") for p in loaded if p.get("verdict") != "PASS"), "")
    return [row]


# -- report scaling (printed lines) --------------------------------------------------------------------
def _report_cell(line: ReportLine) -> str:
    per100 = f"{line.per_100:.2f} req/100" if line.requests >= 0 else "requests not counted"
    cpu = f" (cpu {line.extra['cpu s']:.1f} s)" if "cpu s" in line.extra else ""
    return f"{line.issues / 1000:g}k: {line.wall_s:.1f} s{cpu}, {per100}, {line.rss_mb:.0f} MB"


def report_rows(run: BenchRun) -> list[Row]:
    lines = parse_report_lines(run.output)
    if not lines:
        raise ValueError("no result lines (deployment, issues, mode, requests, ...) in its output")
    rows = []
    for deployment in dict.fromkeys(line.deployment for line in lines):
        row = row_for("report")
        row.key = f"report:{deployment}"
        row.what = f"report scaling ({deployment}): `interrupt-bridge report` over the fake Jira's issues"
        mine = [x for x in lines if x.deployment == deployment and x.mode == "report"]
        naive = [x for x in lines if x.deployment == deployment and x.mode == "baseline"]
        row.result = "; ".join(_report_cell(x) for x in mine)
        if naive:
            row.baseline = "the jira client's own paging, same run: " + "; ".join(
                _report_cell(x) for x in naive
            )
        else:
            row.baseline = "none in this run (`--baseline` adds the jira client's own paging)"
        at_20k = next((x for x in mine if x.issues == 20_000), None)
        if at_20k is None:
            row.verdict, row.why = NOT_JUDGED, "no 20,000-issue report in this run"
        else:
            row.judged(
                [
                    m
                    for ok, m in (
                        (0 <= at_20k.per_100 <= 1, f"{at_20k.per_100:.2f} requests per 100 issues"),
                        (at_20k.wall_s <= 10, f"{at_20k.wall_s:.1f} s > 10 s"),
                        (at_20k.rss_mb <= 250, f"{at_20k.rss_mb:.0f} MB > 250 MB"),
                    )
                    if not ok
                ]
            )
        rows.append(row)
    return rows


# -- FAQ precision (printed lines) ---------------------------------------------------------------------
def _faq_cell(s: FaqSplit) -> str:
    return (
        f"precision@1 {s.precision_at_1:.2f} ({s.right}/{s.suggested}), false suggestions "
        f"{s.false_rate:.0%} ({s.false_suggestions}/{s.unanswerable})"
    )


def faq_rows(run: BenchRun) -> list[Row]:
    result = parse_faq_lines(run.output)
    everything = result.splits.get("all")
    if everything is None:
        raise ValueError("no `all n=... precision@1=...` line in its output")
    row = row_for("faq")
    held = result.splits.get("heldout")
    row.result = f"all {everything.n} questions: {_faq_cell(everything)}"
    if held:
        row.result += f"; held-out {held.n}: {_faq_cell(held)}"
    if result.threshold is not None:
        row.baseline = f"none: {result.entries} FAQ entries, threshold {result.threshold:g} from the template"
    problems = []
    for name, s in (("all", everything), ("held-out", held)):
        if s is None:
            problems.append(f"no {name} split")
            continue
        if s.precision_at_1 < 0.8:
            problems.append(f"{name}: precision@1 {s.precision_at_1:.2f} < 0.8")
        if s.false_rate > 0.10:
            problems.append(f"{name}: false suggestions {s.false_rate:.0%} > 10 %")
    return [row.judged(problems)]


# -- idle memory -------------------------------------------------------------------------------------
def rss_idle_rows(run: BenchRun) -> list[Row]:
    doc = _doc(run)
    row = row_for("rss-idle")
    service, bolt = doc["service"], doc.get("bolt", {})
    row.result = f"{service['rss_mb']:.0f} MB, {doc['settle_s']:g} s after `/readyz` answered"
    if "rss_mb" in bolt:
        row.baseline = f"Bolt for Python app on uvicorn httptools + uvloop, idle: {bolt['rss_mb']:.0f} MB"
    row.verdict = NO_TARGET
    return [row]


# -- dispatch ------------------------------------------------------------------------------------------
def _doc(run: BenchRun) -> dict[str, Any]:
    if run.doc is None:
        raise ValueError("it wrote no --json document")
    return run.doc


EXTRACTORS: dict[str, Callable[[BenchRun], list[Row]]] = {
    "ack": lambda run: [*ack_rows(run), rss_loaded_row("rss-loaded-ack", run, "the ack load")],
    "e2e": lambda run: [
        *e2e_rows(run),
        rss_loaded_row("rss-loaded-e2e", run, "the latency run and the drain"),
    ],
    "modal": modal_rows,
    "report": report_rows,
    "faq": faq_rows,
    "rss_idle": rss_idle_rows,
}


def rows_for(run: BenchRun, machine: dict[str, Any], mode: str = "full") -> list[Row]:
    """The rows of one benchmark run, with its command, machine and load at start filled in."""
    if run.status == "missing":
        rows = blank_rows(run.name)
        for row in rows:
            row.verdict, row.why = NOT_RUN, "script missing"
    elif not run.ok:
        rows = blank_rows(run.name)
        for row in rows:
            row.verdict, row.why = FAILED, run.message
            row.result = _last_line(run.output)
    else:
        try:
            rows = EXTRACTORS[run.name](run)
        except (KeyError, TypeError, ValueError, IndexError, StopIteration, ZeroDivisionError) as exc:
            rows = blank_rows(run.name)
            for row in rows:
                row.verdict, row.why = FAILED, f"could not read its results: {exc.__class__.__name__}: {exc}"
    for row in rows:
        row.command = run.command
        row.machine = machine
        row.loadavg_at_start = run.loadavg_at_start
        row.busy_cores_at_start = run.busy_cores_at_start
        row.mode = mode
    return rows


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""
