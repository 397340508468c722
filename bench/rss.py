"""Resident memory of the servers a benchmark starts, read from /proc while it runs.

A benchmark script starts its servers itself, so the gatherer watches the script's process tree:
every descendant whose command line is `interrupt-bridge serve` or a Bolt baseline is sampled for
VmRSS and VmHWM (the kernel's peak RSS) until it exits. VmHWM is a high-water mark, so sampling
every half second still catches the peak; only growth in the last half second before exit is missed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE = "interrupt-bridge"


def parse_status(text: str) -> dict[str, int]:
    """VmRSS and VmHWM in kB from /proc/<pid>/status text (missing keys are left out)."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields = rest.split()
            if fields and fields[0].isdigit():
                out[key] = int(fields[0])
    return out


def classify(argv: list[str]) -> str | None:
    """Which server a command line runs: interrupt-bridge's `serve`, a Bolt baseline, or None."""
    if not argv:
        return None
    joined = " ".join(argv)
    if "serve" in argv:
        if any(a == "app" and i > 0 and argv[i - 1] == "-m" for i, a in enumerate(argv)):
            return SERVICE
        if "run_module('app'" in joined or any(a.endswith("interrupt-bridge") for a in argv[:2]):
            return SERVICE
    if any(a.startswith("bench.bolt_baseline:") for a in argv):
        http = argv[argv.index("--http") + 1] if "--http" in argv[:-1] else "auto"
        return f"bolt-{http}"
    return None


def descendants(root: int, parents: dict[int, int]) -> set[int]:
    """Every pid below `root` in a pid -> parent pid map."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def parse_ppid(stat: str) -> int:
    """The parent pid from /proc/<pid>/stat text (the command name may hold spaces and parentheses)."""
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def process_parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = parse_ppid((entry / "stat").read_text())
            except (OSError, ValueError, IndexError):
                continue  # exited meanwhile
    return parents


def read_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def read_status(pid: int) -> dict[str, int]:
    try:
        return parse_status(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return {}


@dataclass
class ServerMemory:
    pid: int
    label: str
    peak_kb: int = 0  # the largest VmHWM seen
    max_rss_kb: int = 0  # the largest VmRSS seen
    samples: int = 0

    def update(self, status: dict[str, int]) -> None:
        if not status:
            return
        self.samples += 1
        self.peak_kb = max(self.peak_kb, status.get("VmHWM", 0), status.get("VmRSS", 0))
        self.max_rss_kb = max(self.max_rss_kb, status.get("VmRSS", 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "label": self.label,
            "peak_mb": round(self.peak_kb / 1024, 1),
            "max_rss_mb": round(self.max_rss_kb / 1024, 1),
            "samples": self.samples,
        }


def peaks_by_label(servers: Iterable[dict[str, Any]]) -> dict[str, float]:
    """The highest peak (MB) per server label over several processes (one per round or target)."""
    out: dict[str, float] = {}
    for s in servers:
        if s.get("samples"):
            out[s["label"]] = max(out.get(s["label"], 0.0), float(s["peak_mb"]))
    return out


class RssWatcher:
    """Samples the servers below `root` in a background thread until `stop()`."""

    def __init__(self, root: int, interval_s: float = 0.5) -> None:
        self.root = root
        self.interval_s = interval_s
        self.servers: dict[int, ServerMemory] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-watcher", daemon=True)

    def __enter__(self) -> RssWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval_s):
                return

    def sample(self) -> None:
        try:
            below = descendants(self.root, process_parents())
        except OSError:
            return
        # Others are looked at again each time: a child sampled between fork and exec (or a
        # `taskset` wrapper) shows its parent's command line until it becomes the server.
        for pid in below - set(self.servers):
            label = classify(read_cmdline(pid))
            if label is not None:
                self.servers[pid] = ServerMemory(pid, label)
        for pid, server in self.servers.items():
            if pid in below:
                server.update(read_status(pid))

    def report(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.servers.values()]
