"""The printed header, tables, Bolt comparisons and durability lines, and the JSON file."""

import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.results import Summary, TargetResult

THROUGHPUT_TARGET = 1.5  # candidate req/s must be at least this multiple of Bolt's
P99_TARGET = 1.0  # candidate p99 must be at most this multiple of Bolt's

_PACKAGES = (
    "slack-bolt",
    "slack-sdk",
    "fastapi",
    "starlette",
    "uvicorn",
    "httptools",
    "uvloop",
    "sqlalchemy",
)


def machine_info() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str] = {}
    for pkg in _PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "-"
    wrk = shutil.which("wrk")
    wrk_version = "-"
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        first = (out.stdout or out.stderr).splitlines()
        wrk_version = first[0].strip() if first else "?"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "wrk": wrk_version,
        "packages": versions,
    }


def format_header(info: dict[str, Any], config: dict[str, Any]) -> str:
    pkgs = " ".join(f"{k}={v}" for k, v in info["packages"].items())
    load = ", ".join(str(x) for x in info["loadavg_at_start"])
    return "\n".join(
        [
            "== interrupt-bridge ack-path benchmark ==",
            f"machine : nproc={info['nproc']}  cpu={info['cpu_model']}  python={info['python']}",
            f"          {info['platform']}  loadavg={load}",
            f"tools   : {info['wrk']}",
            f"packages: {pkgs}",
            "config  : " + "  ".join(f"{k}={v}" for k, v in config.items()),
        ]
    )


def format_table(summaries: list[Summary]) -> str:
    head = (
        f"{'target':<18}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'non-2xx':>9}{'sockerr':>9}{'srv cpu':>9}{'wrk cpu':>9}  note"
    )
    lines = [head, "-" * len(head)]
    for s in summaries:
        if not s.usable:
            first = s.message.splitlines()[0] if s.message else ""
            lines.append(f"{s.name:<18}{s.status.upper():>10}  {first}")
            continue
        note = []
        if s.baseline:
            note.append("baseline")
        if s.repeated:
            note.append(f"{s.repeated} repeated event_ids")
        if s.rounds > 1:
            note.append(f"median of {s.rounds}: req/s {min(s.rps_each):.0f}..{max(s.rps_each):.0f}")
        if s.message:
            note.append(s.message)
        lines.append(
            f"{s.name:<18}{s.rps_2xx:>10.0f}{s.p50_ms:>9.2f}{s.p90_ms:>9.2f}{s.p99_ms:>9.2f}{s.max_ms:>9.2f}"
            f"{s.non_2xx:>9}{s.socket_errors:>9}{s.server_cpu_pct:>8.0f}%{s.client_cpu_pct:>8.0f}%"
            f"  {', '.join(note)}".rstrip()
        )
    return "\n".join(lines)


def pick_reference(summaries: list[Summary], wanted: str | None) -> Summary | None:
    """The baseline that verdicts are judged against: the one named, else the fastest Bolt run."""
    baselines = [s for s in summaries if s.baseline and s.usable]
    if wanted:
        return next((s for s in baselines if s.name == wanted), None)
    return max(baselines, key=lambda s: s.rps_2xx, default=None)


def compare(candidate: Summary, baseline: Summary) -> dict[str, Any]:
    tput = candidate.rps_2xx / baseline.rps_2xx if baseline.rps_2xx else float("inf")
    p99 = candidate.p99_ms / baseline.p99_ms if baseline.p99_ms else float("inf")
    clean = candidate.non_2xx == 0 and candidate.socket_errors == 0
    return {
        "target": candidate.name,
        "baseline": baseline.name,
        "throughput_ratio": round(tput, 3),
        "p99_ratio": round(p99, 3),
        "throughput_pass": tput >= THROUGHPUT_TARGET,
        "p99_pass": p99 <= P99_TARGET,
        "clean": clean,
        "pass": tput >= THROUGHPUT_TARGET and p99 <= P99_TARGET and clean,
    }


def comparisons(summaries: list[Summary]) -> list[dict[str, Any]]:
    bases = [s for s in summaries if s.baseline and s.usable]
    return [compare(c, b) for c in summaries if c.usable and not c.baseline for b in bases]


def format_comparisons(summaries: list[Summary], reference: Summary | None) -> str:
    rows = comparisons(summaries)
    if not rows:
        return "No comparison: needs at least one Bolt baseline and one other target that both ran."
    ref = reference.name if reference else "-"
    lines = [
        f"Targets: throughput >= {THROUGHPUT_TARGET}x Bolt's and p99 <= Bolt's, no non-2xx/socket errors.",
        f"Verdict against {ref} (the faster Bolt baseline unless --baseline is given).",
        f"{'target':<18}{'vs baseline':<17}{'tput ratio':>11}{'p99 ratio':>11}  verdict",
    ]
    for row in rows:
        failed = [
            k
            for k, ok in (("throughput", "throughput_pass"), ("p99", "p99_pass"), ("errors", "clean"))
            if not row[ok]
        ]
        verdict = "PASS" if row["pass"] else "FAIL (" + ", ".join(failed) + ")"
        star = " <- reference" if row["baseline"] == ref else ""
        lines.append(
            f"{row['target']:<18}{row['baseline']:<17}{row['throughput_ratio']:>10.2f}x"
            f"{row['p99_ratio']:>10.2f}x  {verdict}{star}"
        )
    return "\n".join(lines)


def format_durability(results: list[TargetResult], round_no: int | None = None) -> str:
    lines = []
    where = f" (round {round_no})" if round_no is not None else ""
    for r in results:
        d = r.durability
        if d is None:
            continue
        rows = d.db_rows if d.db_rows is not None else "?"
        lines.append(
            f"{r.name}{where}: acked with 2xx (pre-check + warm-up + measured) = {d.acked_2xx}; "
            f"rows in slack_deliveries = {rows} ({d.method})"
        )
        lines.append(
            f"  not acked: {d.unanswered} unanswered when wrk stopped, {d.non_2xx} non-2xx; "
            f"repeated event_ids = {d.repeated_event_ids} -> durability {d.verdict}"
        )
        if d.verdict == "LOST":
            lines.append(
                f"  DURABILITY BUG: at least {d.definitely_lost} acked deliveries are not in the database"
            )
        elif d.verdict == "UNPROVEN":
            lines.append(
                f"  rows >= acked, but up to {d.possibly_lost} acked deliveries could be missing"
                " (the un-acked requests that were stored blur the count)"
            )
    return "\n".join(lines)


def write_json(
    path: Path,
    info: dict[str, Any],
    config: dict[str, Any],
    rounds: list[list[TargetResult]],
    summaries: list[Summary],
    reference: Summary | None,
) -> None:
    doc = {
        "machine": {**info, "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "config": config,
        "goals": {"throughput_ratio_min": THROUGHPUT_TARGET, "p99_ratio_max": P99_TARGET},
        "reference_baseline": reference.name if reference else None,
        "summary": [s.to_dict() for s in summaries],
        "comparisons": comparisons(summaries),
        "rounds": [[r.to_dict() for r in results] for results in rounds],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
