"""Ack-path benchmark: interrupt-bridge vs a Bolt for Python baseline, side by side in one run.

    python -m bench.ack_bench --duration 10 --connections 16 --warmup 3

Each target is started pinned to one CPU (default 0), checked with a few signed deliveries, warmed
up, then loaded by wrk pinned to the other CPU (default 1). See bench/README.md.
"""

import argparse
import functools
import math
import os
import secrets
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.dbcheck import count_deliveries
from bench.report import (
    format_comparisons,
    format_durability,
    format_header,
    format_table,
    machine_info,
    pick_reference,
    write_json,
)
from bench.results import Durability, TargetResult, summarize
from bench.server_proc import ServerProcess, ServerStartError, free_port, http_request
from bench.signed_events import DeliveryFactory, compile_template, load_base_payload
from bench.targets import REPO_ROOT, Target, build_targets, database_url
from bench.wrk_runner import WrkFailedError, WrkMissingError, find_wrk, run_wrk, write_lua_script

# Deliveries prepared per second of load when no warm-up tells us the real rate; comfortably above
# what one core serves here. A run that still wraps around reports its repeated event_ids.
ASSUMED_MAX_RPS = 25_000
# Slack rejects signatures older than 5 minutes, and each data set is stamped when it is written.
SIGNATURE_WINDOW_S = 300


@dataclass(frozen=True)
class RunContext:
    args: argparse.Namespace
    workdir: Path
    lua_script: Path
    factory: DeliveryFactory
    secret: str


class PrecheckError(RuntimeError):
    pass


def _log(msg: str) -> None:
    print(msg, flush=True)


def _precheck(ctx: RunContext, port: int) -> list[int]:
    """Send a few signed deliveries by hand: a target that rejects them must not be measured."""
    statuses = []
    for delivery in ctx.factory.take(ctx.args.check):
        status, body = http_request(port, "POST", "/slack/events", delivery.body.encode(), delivery.headers())
        statuses.append(status)
        if not 200 <= status < 300:
            raise PrecheckError(f"signed delivery answered {status}: {body[:200]!r}")
    return statuses


def _data_file(ctx: RunContext, name: str, count: int) -> Path:
    path = ctx.workdir / f"{name}.tsv"
    ctx.factory.write_file(path, count)
    return path


def _measure(ctx: RunContext, target: Target, server: ServerProcess, port: int, result: TargetResult) -> None:
    args = ctx.args
    wrk = functools.partial(
        run_wrk,
        url=f"http://127.0.0.1:{port}",
        script=ctx.lua_script,
        connections=args.connections,
        threads=args.threads,
        timeout_s=args.timeout,
        cpu=args.client_cpu,
    )
    if args.warmup > 0:
        warm_file = _data_file(ctx, f"{target.name}-warmup", max(5_000, ASSUMED_MAX_RPS * args.warmup))
        result.warmup = wrk(data_file=warm_file, duration_s=args.warmup)
        warm_file.unlink()
    if args.requests:
        count = args.requests
    elif result.warmup is not None and result.warmup.rps > 0:
        count = max(20_000, math.ceil(result.warmup.rps * args.duration * 1.5))
    else:
        count = ASSUMED_MAX_RPS * args.duration
    data = _data_file(ctx, f"{target.name}-measure", count)
    cpu_before = server.cpu_seconds()
    result.measured = wrk(data_file=data, duration_s=args.duration)
    result.server_cpu_s = server.cpu_seconds() - cpu_before
    data.unlink()


def _durability(result: TargetResult, rows: int | None, method: str) -> Durability:
    runs = [w for w in (result.warmup, result.measured) if w is not None]
    return Durability(
        acked_2xx=len(result.precheck_statuses) + sum(w.ok for w in runs),
        non_2xx=sum(w.non_2xx for w in runs),
        unanswered=sum(max(0, w.sent - w.requests) for w in runs),
        repeated_event_ids=sum(w.repeated for w in runs),
        db_rows=rows,
        method=method,
    )


def run_target(ctx: RunContext, target: Target) -> TargetResult:
    args = ctx.args
    result = TargetResult(target.name, target.description, target.baseline)
    port = free_port()
    argv = target.argv(port)
    env = {**os.environ, "SLACK_SIGNING_SECRET": ctx.secret, "PYTHONUNBUFFERED": "1", **target.env}
    result.command = shlex.join(argv)
    _log(f"[{target.name}] starting on core {args.server_cpu}: {result.command}")
    try:
        server = ServerProcess(
            argv, env=env, cwd=REPO_ROOT, log_path=ctx.workdir / f"{target.name}.log", cpu=args.server_cpu
        )
    except OSError as exc:
        result.status, result.message = "skipped", f"could not start: {exc}"
        _log(f"[{target.name}] SKIPPED: {result.message}")
        return result
    try:
        server.wait_ready(port, target.ready_path, args.start_timeout)
        before = count_deliveries(target.database_url) if target.database_url else None
        result.precheck_statuses = _precheck(ctx, port)
        _log(f"[{target.name}] ready; pre-check answers {result.precheck_statuses}")
        _measure(ctx, target, server, port, result)
        if target.database_url and before is not None:
            after = count_deliveries(target.database_url, f"Ev{ctx.factory.run_tag}")
            rows = after.rows
            method = after.method
            if rows is not None and method == "all rows":
                rows -= before.rows or 0
                method = "all rows, delta over the run"
            result.durability = _durability(result, rows, method)
    except ServerStartError as exc:
        result.status = "skipped"
        result.message = f"did not start: {exc}"
        _log(f"[{target.name}] SKIPPED: {result.message}\n--- server log tail ---\n{server.log_tail()}\n---")
    except (PrecheckError, WrkFailedError, OSError) as exc:
        result.status = "failed"
        result.message = f"{exc.__class__.__name__}: {exc}"
        _log(f"[{target.name}] FAILED: {result.message}\n--- server log tail ---\n{server.log_tail()}\n---")
    finally:
        server.stop()
    if result.usable and result.measured is not None:
        m = result.measured
        _log(
            f"[{target.name}] {m.rps_2xx:.0f} req/s (2xx), p99 {m.latency_ms['p99']:.2f} ms, "
            f"non-2xx {m.non_2xx}, socket errors {m.socket_errors}"
        )
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.ack_bench", description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=int, default=10, help="measured seconds per target (default 10)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up seconds per target, 0 to skip (default 3)")
    p.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: it has one core)")
    p.add_argument(
        "--targets",
        default="bolt-h11,bolt-httptools,bare-asgi,interrupt-bridge",
        help="comma-separated targets to run, in order (default: all)",
    )
    p.add_argument("--baseline", default=None, help="Bolt target to judge against (default: the faster one)")
    p.add_argument(
        "--db", choices=("sqlite", "postgresql"), default="sqlite", help="interrupt-bridge database"
    )
    p.add_argument(
        "--requests", type=int, default=0, help="deliveries prepared per run (default: from warm-up)"
    )
    p.add_argument(
        "--check", type=int, default=3, help="signed deliveries sent by hand before load (default 3)"
    )
    p.add_argument(
        "--timeout", type=int, default=3, help="wrk per-request timeout, whole s (default 3, Slack's)"
    )
    p.add_argument("--start-timeout", type=float, default=30.0, help="seconds to wait for readiness")
    p.add_argument("--server-cpu", type=int, default=0, help="core for the server under test (default 0)")
    p.add_argument("--client-cpu", type=int, default=1, help="core for wrk (default 1)")
    p.add_argument(
        "--rounds", type=int, default=1, help="run the target list N times, interleaved; report medians"
    )
    p.add_argument("--json", type=Path, default=None, help="also write machine-readable results here")
    args = p.parse_args(argv)
    if args.warmup + args.duration > SIGNATURE_WINDOW_S - 30:
        p.error("warm-up + duration must stay well inside Slack's 5-minute signature window")
    if args.threads < 1 or args.connections < args.threads:
        p.error("need 1 <= --threads <= --connections")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        find_wrk()
    except WrkMissingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    known = build_targets(db_url="sqlite://")
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        print(f"error: unknown target(s) {unknown}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    secret = secrets.token_hex(16)
    payload, source = load_base_payload()
    config = {
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "server_cpu": args.server_cpu,
        "client_cpu": args.client_cpu,
        "rounds": args.rounds,
        "db": args.db,
        "payload": source,
    }
    info = machine_info()
    _log(format_header(info, config))
    factory = DeliveryFactory(secret=secret, template=compile_template(payload))
    rounds: list[list[TargetResult]] = []
    with tempfile.TemporaryDirectory(prefix="ack-bench-") as tmp:
        lua_script = write_lua_script(Path(tmp))
        for n in range(1, args.rounds + 1):
            if args.rounds > 1:
                _log(f"-- round {n}/{args.rounds} --")
            # A fresh SQLite file and a fresh event_id prefix per round keep each round's count its own.
            workdir = Path(tmp) / f"round-{n}"
            workdir.mkdir()
            factory.new_tag()
            targets = build_targets(db_url=database_url(args.db, workdir))
            ctx = RunContext(args, workdir, lua_script, factory, secret)
            rounds.append([run_target(ctx, targets[name]) for name in names])
    summaries = summarize(rounds)
    reference = pick_reference(summaries, args.baseline)
    if args.rounds > 1:
        for n, results in enumerate(rounds, 1):
            _log(f"\nround {n}:\n" + format_table(summarize([results])))
        _log("\nmedian over rounds:")
    else:
        _log("")
    _log(format_table(summaries))
    _log("\n" + format_comparisons(summaries, reference))
    durability = [
        format_durability(results, n if args.rounds > 1 else None) for n, results in enumerate(rounds, 1)
    ]
    if any(durability):
        _log("\n" + "\n".join(d for d in durability if d))
    if args.json:
        write_json(args.json, info, config, rounds, summaries, reference)
        _log(f"\nJSON written to {args.json}")
    return 0 if any(s.usable for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
