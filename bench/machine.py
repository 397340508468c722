"""The machine a benchmark ran on, and whether other work on it was likely to skew the figures."""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# A 1-minute load average above this many runnable tasks per core at the start of a run means other
# processes were competing for the CPUs the servers and load generators are pinned to.
HIGH_LOAD_PER_CORE = 0.5
# Share of all cores that other processes kept busy just before a benchmark started (nothing of
# ours runs then) above which its row carries a warning.
HIGH_BUSY_SHARE = 0.15


def cpu_model(cpuinfo: str) -> str:
    """The first `model name` of /proc/cpuinfo text ("unknown" when there is none)."""
    for line in cpuinfo.splitlines():
        if line.startswith("model name") and ":" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def machine_info(now: datetime | None = None) -> dict[str, Any]:
    try:
        model = cpu_model(Path("/proc/cpuinfo").read_text())
    except OSError:
        model = platform.processor() or "unknown"
    return {
        "cpu_model": model,
        "cores": os.cpu_count() or 1,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "date": (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def machine_key(info: dict[str, Any]) -> tuple[str, ...]:
    """What makes two runs' machines the same one (the date and load differ between benchmarks)."""
    return (
        str(info.get("cpu_model")),
        str(info.get("cores")),
        str(info.get("kernel")),
        str(info.get("python")),
    )


def describe_machine(info: dict[str, Any]) -> str:
    load = " / ".join(f"{x:.2f}" for x in info.get("loadavg_at_start", []))
    text = (
        f"{info.get('cpu_model', 'unknown')}, {info.get('cores', '?')} cores, {info.get('kernel', '?')}, "
        f"Python {info.get('python', '?')}; run started {info.get('date', '?')}, load average {load or '?'}"
    )
    warning = load_warning(info)
    return f"{text} — **{warning}**" if warning else text


def load_warning(info: dict[str, Any]) -> str | None:
    loads = info.get("loadavg_at_start") or []
    cores = int(info.get("cores") or 1)
    if loads and loads[0] > HIGH_LOAD_PER_CORE * cores:
        return (
            f"high load ({loads[0]:.2f} on {cores} cores): other processes were running and skew these "
            "figures"
        )
    return None


def busy_warning(busy_cores: float | None, cores: int) -> str | None:
    if busy_cores is not None and busy_cores > HIGH_BUSY_SHARE * cores:
        return f"others kept {busy_cores:.1f} of {cores} cores busy at start"
    return None


def parse_cpu_jiffies(stat: str) -> tuple[int, int]:
    """(busy, total) jiffies from the aggregate `cpu` line of /proc/stat text."""
    for line in stat.splitlines():
        if line.startswith("cpu "):
            values = [int(v) for v in line.split()[1:]]
            idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
            total = sum(values[:8])  # guest time is already counted in user
            return total - idle, total
    raise ValueError("no aggregate cpu line in /proc/stat")


def busy_cores(window_s: float = 2.0) -> float | None:
    """How many cores' worth of CPU the whole machine used over `window_s` (None without /proc)."""
    try:
        busy0, total0 = parse_cpu_jiffies(Path("/proc/stat").read_text())
        time.sleep(window_s)
        busy1, total1 = parse_cpu_jiffies(Path("/proc/stat").read_text())
    except (OSError, ValueError):
        return None
    if total1 <= total0:
        return None
    return round((busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1), 2)
