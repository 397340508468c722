"""Idle memory: RSS of `interrupt-bridge serve` (worker on) after start-up, next to a Bolt app's.

    python -m bench.rss_idle --settle 5 --json idle.json

The service runs against the sandbox fakes (started in this process, so their memory is not
counted), on a fresh SQLite file, and is left alone for `--settle` seconds after `/readyz` answers.
The baseline is the ack benchmark's Bolt for Python app on uvicorn httptools + uvloop, idle too.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.e2e_support import ServiceOptions, start_fakes, start_service
from bench.machine import machine_info
from bench.rss import read_status
from bench.server_proc import ServerProcess, ServerStartError, free_port
from bench.targets import REPO_ROOT, build_targets


def _figures(pid: int) -> dict[str, Any]:
    status = read_status(pid)
    return {
        "pid": pid,
        "rss_mb": round(status.get("VmRSS", 0) / 1024, 1),
        "peak_mb": round(status.get("VmHWM", 0) / 1024, 1),
    }


def service_idle(settle_s: float) -> dict[str, Any]:
    slack, jira, _ = start_fakes(latency_slack=0.0, latency_jira=0.0)
    try:
        service = start_service(slack, jira, ServiceOptions())
        try:
            time.sleep(settle_s)
            return {
                "command": "python -m app serve --host 127.0.0.1 --port PORT",
                **_figures(service.process.proc.pid),
            }
        finally:
            service.stop()
    finally:
        slack.stop()
        jira.stop()


def bolt_idle(settle_s: float) -> dict[str, Any]:
    target = build_targets(db_url="sqlite://")["bolt-httptools"]
    port = free_port()
    argv = target.argv(port)
    env = {**os.environ, "SLACK_SIGNING_SECRET": secrets.token_hex(16)}
    with tempfile.TemporaryDirectory(prefix="rss-idle-") as tmp:
        server = ServerProcess(argv, env=env, cwd=REPO_ROOT, log_path=Path(tmp) / "bolt.log", cpu=None)
        try:
            server.wait_ready(port, target.ready_path, 30)
            time.sleep(settle_s)
            command = shlex.join(["python", *argv[1:]]).replace(str(port), "PORT")
            return {"command": command, **_figures(server.proc.pid)}
        except ServerStartError as exc:
            return {"command": shlex.join(["python", *argv[1:]]), "error": f"{exc}: {server.log_tail(5)}"}
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--settle", type=float, default=5.0, help="seconds to leave each server idle after start-up"
    )
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    args = p.parse_args(argv)
    results = {
        "machine": machine_info(),
        "settle_s": args.settle,
        "service": service_idle(args.settle),
        "bolt": bolt_idle(args.settle),
    }
    for name in ("service", "bolt"):
        r = results[name]
        figures = r.get("error") or f"RSS {r['rss_mb']} MB (peak since start {r['peak_mb']} MB)"
        print(f"{name:<8} idle after {args.settle:g} s: {figures}  [{r['command']}]")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if "error" not in results["service"] else 1


if __name__ == "__main__":
    sys.exit(main())
