"""Report benchmark: `interrupt-bridge report` over 2,000 / 20,000 / 100,000 interrupt issues.

    python -m bench.report_bench [--sizes 2000,20000,100000] [--deployments cloud,datacenter] [--baseline]

The fake Jira runs in this process, seeded with interrupt issues spread over 60 days; each report
(a 30-day period plus the 30 days before it for the trends, so every seeded issue is fetched) runs
in a fresh subprocess so that its peak RSS is the report's alone (VmHWM of /proc/self/status, and
`resource.getrusage(RUSAGE_SELF).ru_maxrss` for reference: the latter survives exec on Linux and may
show the forking parent's size). Also printed: the report's CPU seconds and the fake's (this
process), because on a shared machine the wall time mostly measures the other processes. Printed
per size: search requests per 100 issues, wall time of the report (search + figures + rendering
the table), peak RSS. Targets at 20,000: <= 1 request per 100 issues,
<= 10 s, <= 250 MB.

`--baseline` also runs, in the same subprocess setup, the naive way for comparison: the `jira`
client's own paging (`enhanced_search_issues` / `search_issues` with `maxResults=False`) with
its default fields, building its `Issue` objects.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "bridge.example.yaml"


def child(url: str, deployment: str, mode: str) -> dict[str, Any]:
    """Runs in the subprocess: one report (or the baseline) against the fake at `url`."""
    from jira import JIRA

    from app.adapters.jira_search import JiraIssueSearch
    from app.config.loader import load_template
    from app.domain.report_period import parse_since
    from app.reports.render_text import table
    from app.reports.service import interrupt_report
    from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PAT

    auth: dict[str, Any] = (
        {"basic_auth": (DEFAULT_EMAIL, DEFAULT_API_TOKEN)}
        if deployment == "cloud"
        else {"token_auth": DEFAULT_PAT}
    )
    started = time.perf_counter()
    client = JIRA(url, max_retries=0, **auth)
    now = datetime.now(UTC)
    if mode == "report":
        search = JiraIssueSearch(client)
        seen = [0]

        def progress(done: int, _total: int | None) -> None:
            seen[0] = done

        report = interrupt_report(
            search, load_template(TEMPLATE), parse_since("30d", now=now), now=now, progress=progress
        )
        text = table(report)
        issues, requests = seen[0], search.requests
        extra = {"report_bytes": len(text), "topics": len(report.topics)}
    else:
        jql = 'labels = "interrupt" AND created >= "-62d" ORDER BY created ASC'
        if client._is_cloud:
            found = client.enhanced_search_issues(jql, maxResults=False)
        else:
            found = client.search_issues(jql, maxResults=False)
        issues, requests, extra = len(found), -1, {}
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "hwm_mb": _vm_hwm_kb() / 1024,
        "issues": issues,
        "requests": requests,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        **extra,
    }


def _vm_hwm_kb() -> float:
    """Peak RSS of this process image. `ru_maxrss` survives `execve` on Linux, so a child forked from
    a parent holding 100k fake issues would report the parent's size; VmHWM starts afresh at exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_child(url: str, deployment: str, mode: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.report_bench", "--child", url, deployment, mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} subprocess failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def count_search_calls(fake: Any) -> int:
    return len(fake.calls("POST", r"/search(/jql)?$")) + len(fake.calls("GET", r"/search(/jql)?$"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument("--deployments", default="cloud,datacenter")
    parser.add_argument("--baseline", action="store_true", help="also time the jira client's own paging")
    parser.add_argument("--child", nargs=3, metavar=("URL", "DEPLOYMENT", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return

    from app.sandbox.fake_jira import FakeJira
    from app.sandbox.report_seed import SeedOptions, seed_interrupts

    print(
        f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'deployment':<11} {'issues':>7} {'mode':<9} {'requests':>8} {'req/100':>7} {'wall s':>7} "
        f"{'cpu s':>6} {'fake cpu s':>10} {'peak RSS MB':>11} {'ru_maxrss MB':>12}  "
        "verdict (at 20k: <=1 req/100, <=10 s, <=250 MB)"
    )
    for deployment in args.deployments.split(","):
        for size in [int(s) for s in args.sizes.split(",")]:
            fake = FakeJira.with_demo_data(deployment).start()  # type: ignore[arg-type]
            try:
                seed_interrupts(fake, SeedOptions(count=size, days=60))
                modes = ["report", "baseline"] if args.baseline else ["report"]
                for mode in modes:
                    before = count_search_calls(fake)
                    fake_cpu = time.process_time()  # this process serves the fake's requests
                    result = run_child(fake.base_url, deployment, mode)
                    fake_cpu = time.process_time() - fake_cpu
                    requests = count_search_calls(fake) - before
                    per100 = 100 * requests / max(result["issues"], 1)
                    ok = per100 <= 1 and result["wall_s"] <= 10 and result["hwm_mb"] <= 250
                    verdict = ("PASS" if ok else "FAIL") if size == 20000 and mode == "report" else ""
                    print(
                        f"{deployment:<11} {result['issues']:>7} {mode:<9} {requests:>8} {per100:>7.2f} "
                        f"{result['wall_s']:>7.2f} {result['cpu_s']:>6.2f} {fake_cpu:>10.2f} "
                        f"{result['hwm_mb']:>11.1f} {result['rss_mb']:>12.1f}  {verdict}",
                        flush=True,
                    )
            finally:
                fake.stop()


if __name__ == "__main__":
    main()
