"""Run one benchmark script in a subprocess and collect what it produced.

Each script runs as `python -m bench.<module> ...` from the repository root, with its printed
output saved, its `--json` file read back when it supports the option, and the servers it starts
watched for memory. A script that is not in the tree (not merged yet) is not run at all.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.machine import busy_cores
from bench.rss import RssWatcher, descendants, process_parents, read_cmdline

REPO_ROOT = Path(__file__).resolve().parent.parent
JSON_PLACEHOLDER = "FILE"


@dataclass(frozen=True)
class BenchSpec:
    name: str  # short key: ack, e2e, modal, report, faq, rss_idle
    module: str  # bench.ack_bench
    quick_args: tuple[str, ...]
    full_args: tuple[str, ...]
    json_option: bool | None = True  # None: look for `--json` in the script's --help
    timeout_quick_s: float = 900.0
    timeout_full_s: float = 7200.0
    watch_memory: bool = False

    @property
    def script(self) -> Path:
        return REPO_ROOT / Path(*self.module.split(".")).with_suffix(".py")

    def args(self, quick: bool) -> list[str]:
        return list(self.quick_args if quick else self.full_args)


@dataclass
class BenchRun:
    name: str
    command: str  # as a person would type it, `--json FILE` included when used
    status: str  # ok | missing | failed | timeout
    returncode: int | None = None
    duration_s: float = 0.0
    loadavg_at_start: list[float] = field(default_factory=list)
    busy_cores_at_start: float | None = None
    output: str = ""  # stdout and stderr, interleaved
    doc: dict[str, Any] | None = None  # the script's --json document
    servers: list[dict[str, Any]] = field(default_factory=list)  # memory of the servers it started
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def output_tail(self, lines: int = 15) -> str:
        return "\n".join(self.output.strip().splitlines()[-lines:])

    def summary(self) -> dict[str, Any]:
        """Everything but the output and the document (those go to files of their own)."""
        return {
            "name": self.name,
            "command": self.command,
            "status": self.status,
            "returncode": self.returncode,
            "duration_s": round(self.duration_s, 1),
            "loadavg_at_start": self.loadavg_at_start,
            "busy_cores_at_start": self.busy_cores_at_start,
            "servers": self.servers,
            "message": self.message,
        }


def display_command(module: str, args: list[str], json_file: bool) -> str:
    return shlex.join(["python", "-m", module, *args, *(["--json", JSON_PLACEHOLDER] if json_file else [])])


def supports_json(spec: BenchSpec, env: dict[str, str]) -> bool:
    if spec.json_option is not None:
        return spec.json_option
    try:
        done = subprocess.run(
            [sys.executable, "-m", spec.module, "--help"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and "--json" in done.stdout


def child_env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{path}" if path else str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def run_bench(spec: BenchSpec, *, quick: bool, workdir: Path, log: Any = print) -> BenchRun:
    args = spec.args(quick)
    if not spec.script.exists():
        return BenchRun(
            spec.name,
            display_command(spec.module, args, json_file=False),
            "missing",
            message=f"{spec.script.relative_to(REPO_ROOT)} is not in this tree",
        )
    env = child_env()
    use_json = supports_json(spec, env)
    json_path = workdir / f"{spec.name}.json"
    argv = [sys.executable, "-m", spec.module, *args, *(["--json", str(json_path)] if use_json else [])]
    run = BenchRun(spec.name, display_command(spec.module, args, use_json), "ok")
    run.busy_cores_at_start = busy_cores()
    run.loadavg_at_start = [round(x, 2) for x in os.getloadavg()]
    log(f"[{spec.name}] {run.command}  (load {run.loadavg_at_start[0]}, busy {run.busy_cores_at_start})")
    out_path = workdir / f"{spec.name}.log"
    timeout = spec.timeout_quick_s if quick else spec.timeout_full_s
    started = time.monotonic()
    with out_path.open("wb") as out:
        # A session of its own: on timeout, the script and whatever it started can be ended together.
        proc = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        watcher = RssWatcher(proc.pid) if spec.watch_memory else None
        if watcher:
            watcher.__enter__()
        try:
            run.returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            run.status, run.message = "timeout", f"still running after {timeout:.0f} s; stopped"
            _stop_tree(proc)
            run.returncode = proc.returncode
        finally:
            if watcher:
                watcher.stop()
                run.servers = watcher.report()
    run.duration_s = time.monotonic() - started
    run.output = out_path.read_text(errors="replace")
    if run.ok and run.returncode != 0:
        run.status, run.message = "failed", f"exit code {run.returncode}"
    if use_json and json_path.exists():
        try:
            loaded = json.loads(json_path.read_text())
            run.doc = loaded if isinstance(loaded, dict) else {"value": loaded}
        except json.JSONDecodeError as exc:
            run.message = (run.message + f"; unreadable JSON: {exc}").lstrip("; ")
    log(f"[{spec.name}] {run.status} in {run.duration_s:.0f} s{': ' + run.message if run.message else ''}")
    return run


def _stop_tree(proc: subprocess.Popen[bytes]) -> None:
    """Interrupt the script (its `finally` blocks stop the servers it started), then kill what is left.

    Only this script's own descendants are signalled, by pid: its servers run in sessions of their own.
    """
    below = {pid: read_cmdline(pid) for pid in descendants(proc.pid, process_parents())}
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    for pid, argv in below.items():
        if not argv or read_cmdline(pid) != argv:
            continue  # gone (or the pid now belongs to something else)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
