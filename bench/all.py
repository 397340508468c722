"""Every benchmark behind one command, and one table of the results in the README.

    python -m bench.all              # full mode: the durations the targets are judged on (~30 min)
    python -m bench.all --quick      # a few minutes: proves the plumbing, figures only indicative
    python -m bench.all --only ack,e2e    # rerun some; the other rows are kept from the last results
    python -m bench.all --render-only     # write the table again from bench/results/latest.json

Each benchmark runs in a subprocess (`python -m bench.<script>`), one after the other; its --json
document or printed lines become rows with the target from the issues and met / not met. The
servers they start are watched for memory, and idle memory is measured by `bench.rss_idle`.
Writes the table between `<!-- bench-table:start -->` and `<!-- bench-table:end -->` in
README.md, and bench/results/latest.md, latest.json and raw/<benchmark>.{json,log}.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.extract import order_key, rows_for
from bench.gather import REPO_ROOT, BenchRun, run_bench
from bench.machine import load_warning, machine_info
from bench.rows import FAILED, Row
from bench.suite import NAMES, SUITE
from bench.table_md import render_block, replace_block

RESULTS = REPO_ROOT / "bench" / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.all", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="short runs (a few minutes in all)")
    p.add_argument("--only", default=",".join(NAMES), help=f"benchmarks to run, of {', '.join(NAMES)}")
    p.add_argument("--label", default="", help="a line shown above the table, e.g. why the run is special")
    p.add_argument("--readme", type=Path, default=REPO_ROOT / "README.md", help="the README to update")
    p.add_argument("--no-readme", action="store_true", help="leave the README alone")
    p.add_argument(
        "--render-only", action="store_true", help="run nothing: write the table again from latest.json"
    )
    p.add_argument("--results", type=Path, default=RESULTS, help="where latest.md/.json and raw/ go")
    args = p.parse_args(argv)
    args.only = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in args.only if n not in NAMES]
    if unknown or not args.only:
        p.error(f"unknown benchmark(s) {unknown}; known: {', '.join(NAMES)}")
    return args


def load_latest(latest_json: Path) -> dict[str, Any]:
    try:
        doc = json.loads(latest_json.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def previous_rows(latest_json: Path, rerun: set[str]) -> list[Row]:
    """Rows of the last results for the benchmarks not run this time (empty when there are none)."""
    doc = load_latest(latest_json)
    return [
        Row.from_dict({"mode": doc.get("mode", "full"), **r})
        for r in doc.get("rows", [])
        if r.get("bench") not in rerun
    ]


def shown_command(argv: list[str]) -> str:
    """The command as typed, with the --label text (shown above the table anyway) elided."""
    shown = list(argv)
    for i, arg in enumerate(shown):
        if arg == "--label" and i + 1 < len(shown):
            shown[i + 1] = "..."
        elif arg.startswith("--label="):
            shown[i] = "--label=..."
    return shlex.join(["python", "-m", "bench.all", *shown])


def save_raw(run: BenchRun, raw_dir: Path) -> None:
    raw_dir.mkdir(parents=True, exist_ok=True)
    for suffix in (".json", ".log"):
        (raw_dir / f"{run.name}{suffix}").unlink(missing_ok=True)
    if run.output:
        (raw_dir / f"{run.name}.log").write_text(run.output)
    if run.doc is not None:
        (raw_dir / f"{run.name}.json").write_text(json.dumps(run.doc, indent=2, default=str) + "\n")


def write_outputs(
    args: argparse.Namespace, rows: list[Row], runs: list[BenchRun], meta: dict[str, Any]
) -> None:
    block = render_block(rows, meta)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "latest.md").write_text(f"# Benchmark results\n\n{block}\n")
    doc = {**meta, "runs": [r.summary() for r in runs], "rows": [r.to_dict() for r in rows]}
    (args.results / "latest.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    if not args.no_readme:
        try:
            args.readme.write_text(replace_block(args.readme.read_text(), block))
        except (OSError, ValueError) as exc:
            raise SystemExit(
                f"error: README not updated ({exc}); the table is in {args.results / 'latest.md'}"
            ) from None


def render_only(args: argparse.Namespace) -> int:
    latest = args.results / "latest.json"
    doc = load_latest(latest)
    if not doc.get("rows"):
        print(f"error: no rows in {latest}; run the benchmarks first", file=sys.stderr)
        return 2
    rows = sorted(previous_rows(latest, set()), key=order_key)
    meta = {k: doc.get(k) for k in ("command", "mode", "generated_at", "label", "machine")}
    meta["label"] = args.label or meta["label"]
    runs = [BenchRun(**r) for r in doc.get("runs", [])]
    write_outputs(args, rows, runs, meta)
    print(f"table written again from {latest}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render_only:
        return render_only(args)
    command = shown_command(sys.argv[1:] if argv is None else argv)
    machine = machine_info()
    print(f"== interrupt-bridge: all benchmarks ({'quick' if args.quick else 'full'}) ==")
    print(f"machine: {machine}")
    warning = load_warning(machine)
    if warning:
        print(f"WARNING: {warning}")
    runs = [  # summaries of the runs whose rows are kept
        BenchRun(**r)
        for r in load_latest(args.results / "latest.json").get("runs", [])
        if r.get("name") not in args.only
    ]
    rows = previous_rows(args.results / "latest.json", set(args.only))
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        for spec in SUITE:
            if spec.name not in args.only:
                continue
            run = run_bench(spec, quick=args.quick, workdir=Path(tmp))
            runs.append(run)
            save_raw(run, args.results / "raw")
            # A benchmark that runs the same in both modes (FAQ precision) gives full figures.
            quick = args.quick and spec.quick_args != spec.full_args
            rows.extend(rows_for(run, machine, "quick" if quick else "full"))
    rows.sort(key=order_key)
    meta = {
        "command": command,
        "mode": "quick" if args.quick else "full",
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "label": args.label,
        "machine": machine,
    }
    write_outputs(args, rows, runs, meta)
    print()
    for row in rows:
        print(f"{row.key:<16} {row.verdict_text()}")
    where = "README.md and " if not args.no_readme else ""
    print(f"\ntable written to {where}{args.results / 'latest.md'}")
    return 1 if any(r.verdict == FAILED for r in rows if r.bench in args.only) else 0


if __name__ == "__main__":
    sys.exit(main())
