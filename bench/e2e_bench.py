"""End-to-end benchmark: reaction -> Jira ticket + Slack reply through the real service.

    python -m bench.e2e_bench --latency-jira 0.15 --latency-slack 0.05 --n-latency 50 --n-drain 1000

Starts the sandbox fakes in this process with a fixed latency on every response, runs
`python -m app serve` against them, then measures (1) the reaction-to-reply latency one reaction
at a time and its overhead beyond the fakes' latencies on the critical path, and (2) how fast a
burst of reactions drains, and whether Jira is called in parallel, bounded by JIRA_CONCURRENCY.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.e2e_support import (
    REPO_ROOT,
    Call,
    Reactions,
    Service,
    ServiceOptions,
    TimedJira,
    TimedSlack,
    Timeline,
    bot_reacted,
    bot_replied,
    max_overlap,
    post_message,
    send_burst,
    start_fakes,
    start_service,
)
from bench.report import machine_info
from bench.signed_events import CHANNEL

OVERHEAD_TARGET_MS = 100.0
POLL_S = 0.005
CREATE = "POST issue"
LINK = "POST issue/{key}/remotelink"


def pct(values: list[float], q: float) -> float:
    """Percentile with linear interpolation (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def dist(values: list[float]) -> dict[str, float]:
    return {f"p{q}": round(pct(values, q), 1) for q in (50, 90, 99)} | {"max": round(max(values), 1)}


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Poll every 5 ms; returns the perf_counter time at which `predicate` first held."""
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(POLL_S)
    return time.perf_counter()


# -- phase 1: one reaction at a time ---------------------------------------------------------------
@dataclass
class Sample:
    ts: str
    t_post: float
    t_ack: float
    t_seen: float
    calls: list[Call]


def one_reaction(client: httpx.Client, slack: TimedSlack, timeline: Timeline, reactions: Reactions) -> Sample:
    ts = post_message(slack, "The staging deploy has been stuck on 'pending' since 9:00, can someone look?")
    body, headers = reactions.signed(ts)
    t_post = time.perf_counter()
    response = client.post("/slack/events", content=body, headers=headers)
    t_ack = time.perf_counter()
    response.raise_for_status()
    t_seen = wait_until(lambda: bot_replied(slack, ts), 30, f"the reply to {ts}")

    # Follow-ups (remote link, reaction) finish before the next reaction, so the next window holds
    # only its own calls.
    def settled() -> bool:
        links = [c for c in timeline.between(t_post, time.perf_counter(), "jira") if c.api == LINK]
        return bool(links) and bot_reacted(slack, ts) and timeline.idle()

    wait_until(settled, 30, f"the follow-ups of {ts}")
    return Sample(ts, t_post, t_ack, t_seen, timeline.between(t_post, time.perf_counter()))


def analyse(sample: Sample, latency: dict[str, float]) -> dict[str, Any]:
    """Split reaction->reply time into the fakes' latencies on the critical path and the rest.

    The critical path is every call made before the Jira create returned (create_ticket awaits them
    one after another) plus the reply's chat.postMessage; the remote link and the reaction run
    beside the reply and are off the path.
    """
    create = next(c for c in sample.calls if c.api == CREATE)
    reply = next(
        c for c in sample.calls if c.api == "chat.postMessage" and c.args().get("thread_ts") == sample.ts
    )
    before = [c for c in sample.calls if c.start < create.end]
    path = [*before, reply]
    fixed = sum(latency[c.fake] for c in path)
    e2e = sample.t_seen - sample.t_post
    gaps = sum(b.start - a.end for a, b in itertools.pairwise(before))
    fake_extra = sum(c.end - c.start - latency[c.fake] for c in before)
    fake_extra += reply.handled - reply.start - latency["slack"]
    ms = 1000.0
    return {
        "e2e_ms": e2e * ms,
        "e2e_at_handler_ms": (reply.handled - sample.t_post) * ms,
        "ack_ms": (sample.t_ack - sample.t_post) * ms,
        "path": " > ".join(c.api for c in path),
        "path_latency_ms": fixed * ms,
        "overhead_ms": (e2e - fixed) * ms,
        # where the overhead goes
        "to_first_call_ms": (before[0].start - sample.t_post) * ms,
        "between_calls_ms": gaps * ms,
        "create_to_reply_call_ms": (reply.start - create.end) * ms,
        "fake_processing_ms": fake_extra * ms,
        "detection_ms": (sample.t_seen - reply.handled) * ms,
        "sequential": all(b.start >= a.handled for a, b in itertools.pairwise(path)),
    }


def latency_phase(
    service: Service, slack: TimedSlack, timeline: Timeline, args: argparse.Namespace
) -> dict[str, Any]:
    latency = {"slack": args.latency_slack, "jira": args.latency_jira}
    reactions = Reactions(service.secret)
    rows: list[dict[str, Any]] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{service.port}", timeout=10) as client:
        for i in range(args.warmup + args.n_latency):
            sample = one_reaction(client, slack, timeline, reactions)
            if i >= args.warmup:
                rows.append(analyse(sample, latency))
    keys = [k for k, v in rows[0].items() if isinstance(v, float)]
    paths: dict[str, int] = {}
    for r in rows:
        paths[r["path"]] = paths.get(r["path"], 0) + 1
    return {
        "samples": len(rows),
        "warmup": args.warmup,
        "summary": {k: dist([r[k] for r in rows]) for k in keys},
        "paths": paths,
        "all_sequential": all(r["sequential"] for r in rows),
        "rows": rows,
    }


# -- phase 2: a burst of reactions -----------------------------------------------------------------
async def watch(
    slack: TimedSlack, jira: TimedJira, pending: set[str], issues_wanted: int
) -> dict[str, float]:
    """Poll the fakes until every message has a bot reply and Jira holds `issues_wanted` issues."""
    seen: dict[str, float] = {}
    while pending or len(jira.state.issues) < issues_wanted:
        with slack.lock:
            done = {ts for ts in pending if bot_replied(slack, ts)}
        now = time.perf_counter()
        seen.update(dict.fromkeys(done, now))
        pending -= done
        await asyncio.sleep(0.02)
    return seen


async def burst(
    service: Service, slack: TimedSlack, jira: TimedJira, n: int, concurrency: int
) -> dict[str, Any]:
    messages = [
        post_message(slack, f"Drain test {i}: builds on runner pool B are queued for an hour")
        for i in range(n)
    ]
    with jira.lock:
        issues_before = len(jira.state.issues)
    # The sender gets a process of its own: in this one, the fakes' threads would hold the GIL and
    # inflate the ack times it measures. perf_counter is CLOCK_MONOTONIC, shared by both processes.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(int).result()  # start the process before the clock does
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        watcher = asyncio.create_task(watch(slack, jira, set(messages), issues_before + n))
        sent = await loop.run_in_executor(
            pool, send_burst, service.port, service.secret, messages, concurrency
        )
    seen = await asyncio.wait_for(watcher, timeout=900)
    t_done = time.perf_counter()
    return {
        "messages": messages,
        "issues_before": issues_before,
        "t0": t0,
        "acked_s": max(end for _, _, end, _ in sent) - t0,
        "done_s": t_done - t0,
        "sent": sent,
        "seen_s": sorted(t - t0 for t in seen.values()),
        # each reaction's own POST -> reply time (send_burst answers in message order)
        "waits_s": [seen[ts] - start for ts, (_, start, _, _) in zip(messages, sent, strict=True)],
    }


def verify(slack: TimedSlack, jira: TimedJira, messages: list[str], issues_before: int) -> dict[str, Any]:
    """Exactly one issue, one reply, one remote link and one tracked reaction per message."""
    with jira.lock:
        new = list(jira.state.issues.values())[issues_before:]
        links = {i.key: [str(r.object.get("url")) for r in i.remote_links] for i in new}
        markers = {lab for i in new for lab in i.labels if lab.startswith("ib-")}
    link_ts = {}
    for key, urls in links.items():
        for url in urls:
            link_ts[url.rsplit("/p", 1)[-1].split("?")[0]] = key
    wanted = {ts.replace(".", "") for ts in messages}
    replies_ok = mismatched = 0
    bot = slack.state.bot_user_id
    for ts in messages:
        replies = [m for m in slack.thread(CHANNEL, ts)[1:] if m.get("user") == bot]
        if len(replies) == 1:
            replies_ok += 1
            key = (replies[0].get("metadata") or {}).get("event_payload", {}).get("jira_key")
            mismatched += key != link_ts.get(ts.replace(".", ""))
    return {
        "new_issues": len(new),
        "distinct_markers": len(markers),
        "issues_with_one_link": sum(len(u) == 1 for u in links.values()),
        "messages_linked": len(wanted & set(link_ts)),
        "messages_with_one_reply": replies_ok,
        "reply_key_mismatches": mismatched,
        "messages_with_tracked_reaction": sum(bot_reacted(slack, ts) for ts in messages),
    }


def drain_phase(
    service: Service, slack: TimedSlack, jira: TimedJira, timeline: Timeline, args: argparse.Namespace
) -> dict[str, Any]:
    n = args.n_drain
    cpu0, own0 = service.cpu_seconds(), time.process_time()
    run = asyncio.run(burst(service, slack, jira, n, args.send_concurrency))
    t0, t_done = run["t0"], run["t0"] + run["done_s"]
    messages = run["messages"]

    def followed_up() -> bool:
        return (
            timeline.idle()
            and len([c for c in timeline.between(t0, time.perf_counter()) if c.api == LINK]) >= n
        )

    t_settled = wait_until(followed_up, 600, "remote links of the burst")
    service_cpu, fakes_cpu = service.cpu_seconds() - cpu0, time.process_time() - own0
    wait_until(lambda: all(bot_reacted(slack, ts) for ts in messages), 60, "tracked reactions")
    calls = timeline.between(t0, t_done)
    jira_calls = [c for c in calls if c.fake == "jira"]
    by_api: dict[str, int] = {}
    for c in jira_calls:
        by_api[c.api] = by_api.get(c.api, 0) + 1
    busy = sum(min(c.end, t_done) - c.start for c in jira_calls)
    return {
        "n": n,
        "non_2xx": sum(status // 100 != 2 for status, _, _, _ in run["sent"]),
        "resent_after_transport_error": sum(retries for _, _, _, retries in run["sent"]),
        "ack_ms": dist([(end - start) * 1000 for _, start, end, _ in run["sent"]]),
        "acked_s": run["acked_s"],
        "done_s": run["done_s"],
        "tickets_per_s": n / run["done_s"],
        "follow_ups_done_s": t_settled - t0,
        "reply_seen_s": {f"p{q}": round(pct(run["seen_s"], q), 2) for q in (10, 50, 90, 100)},
        "reaction_to_reply_s": {f"p{q}": round(pct(run["waits_s"], q), 2) for q in (10, 50, 90, 100)},
        "service_cpu_ms_per_ticket": 1000 * service_cpu / n,
        "service_cores_busy": service_cpu / (t_settled - t0),
        "fakes_cores_busy": fakes_cpu / (t_settled - t0),
        "loadavg_after": os.getloadavg()[0],
        "jira_max_in_flight": max_overlap(jira_calls),
        "jira_mean_in_flight": busy / run["done_s"],
        "slack_max_in_flight": max_overlap([c for c in calls if c.fake == "slack"]),
        "jira_calls": by_api,
        "verify": verify(slack, jira, messages, run["issues_before"]),
        "jobs": service.database.job_states(),
    }


# -- report ----------------------------------------------------------------------------------------
def print_latency(lat: dict[str, Any]) -> None:
    s = lat["summary"]
    print(f"\n-- latency: {lat['samples']} reactions one at a time (after {lat['warmup']} warm-up) --")
    print(f"{'ms':<26}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}")
    labels = {
        "e2e_ms": "reaction -> reply seen",
        "e2e_at_handler_ms": "reaction -> reply stored",
        "ack_ms": "ack (HTTP 200)",
        "path_latency_ms": "fake latency on path",
        "overhead_ms": "OVERHEAD (e2e - latency)",
        "to_first_call_ms": "  POST -> first API call",
        "between_calls_ms": "  gaps between calls",
        "create_to_reply_call_ms": "  create -> postMessage",
        "fake_processing_ms": "  fakes' own processing",
        "detection_ms": "  poll detection",
    }
    for key, label in labels.items():
        d = s[key]
        print(f"{label:<26}{d['p50']:>8}{d['p90']:>8}{d['p99']:>8}{d['max']:>8}")
    for path, count in lat["paths"].items():
        print(f"critical path ({count}x): {path}")
    verdict = "PASS" if s["overhead_ms"]["p50"] <= OVERHEAD_TARGET_MS else "FAIL"
    print(f"p50 overhead {s['overhead_ms']['p50']} ms (target <= {OVERHEAD_TARGET_MS:.0f} ms): {verdict}")
    if not lat["all_sequential"]:
        print("note: some critical-path calls overlapped; the latency sum over-counts for those samples")


def print_drain(d: dict[str, Any], lat: dict[str, Any] | None, args: argparse.Namespace) -> None:
    j, lj = args.jira_concurrency, args.latency_jira
    # Without a latency phase, the warm critical path: conversations.replies, chat.getPermalink,
    # the create, chat.postMessage.
    path_s = lat["summary"]["path_latency_ms"]["p50"] / 1000 if lat else 3 * args.latency_slack + lj
    one_at_a_time = 1 / (lat["summary"]["e2e_ms"]["p50"] / 1000) if lat else 1 / path_s
    what = "1 / p50 reaction->reply" if lat else "1 / fake latency on the critical path"
    print(f"\n-- drain: {d['n']} reactions, {args.send_concurrency} at a time, JIRA_CONCURRENCY={j} --")
    print(
        f"all acked after {d['acked_s']:.2f} s ({d['non_2xx']} non-2xx, "
        f"{d['resent_after_transport_error']} resent); ack ms {d['ack_ms']}"
    )
    print(f"all replies + issues after {d['done_s']:.2f} s: {d['tickets_per_s']:.1f} tickets/s")
    print(
        f"replies seen at (s after start): {d['reply_seen_s']}; "
        f"follow-ups done at {d['follow_ups_done_s']:.2f} s"
    )
    print(f"each reaction's POST -> its reply (s): {d['reaction_to_reply_s']}")
    print(
        f"one at a time ({what}): {one_at_a_time:.1f} tickets/s, at best 1 / {path_s:.2f} s = "
        f"{1 / path_s:.1f}/s -> speed-up x{d['tickets_per_s'] / one_at_a_time:.1f}"
    )
    print(
        f"bound, creates only ({j} / {lj} s): {j / lj:.1f}/s; creates + remote links ({j} / {2 * lj:.2f} s): "
        f"{j / (2 * lj):.1f}/s"
    )
    print(
        f"Jira in flight: max {d['jira_max_in_flight']}, mean {d['jira_mean_in_flight']:.2f} "
        f"(limit {j}); Slack max in flight {d['slack_max_in_flight']}"
    )
    print(f"Jira calls during the drain: {d['jira_calls']}")
    print(
        f"CPU: service {d['service_cpu_ms_per_ticket']:.1f} ms/ticket, "
        f"{d['service_cores_busy']:.2f} cores busy; "
        f"bench process (fakes) {d['fakes_cores_busy']:.2f} cores; 1-min load after {d['loadavg_after']:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    v = d["verify"]
    print(f"exactness: {v}; jobs {d['jobs']}")
    exact = (
        v["new_issues"]
        == v["distinct_markers"]
        == v["issues_with_one_link"]
        == v["messages_linked"]
        == v["messages_with_one_reply"]
        == v["messages_with_tracked_reaction"]
        == d["n"]
        and v["reply_key_mismatches"] == 0
        and d["non_2xx"] == 0
    )
    # Parallel: several Jira calls at once and clearly faster than one ticket at a time; bounded:
    # never more Jira calls in flight than JIRA_CONCURRENCY.
    parallel = 1 < d["jira_max_in_flight"] <= j and d["tickets_per_s"] > 1.5 * one_at_a_time
    pool_busy = d["jira_mean_in_flight"] / j
    limit = (
        "the Jira pool (JIRA_CONCURRENCY)"
        if pool_busy >= 0.85
        else f"the service, not Jira: the pool was {pool_busy:.0%} busy while the service used "
        f"{d['service_cores_busy']:.2f} cores"
    )
    print(f"limited by: {limit}")
    print(
        f"exactly once: {'PASS' if exact else 'FAIL'}; parallel and bounded by JIRA_CONCURRENCY: "
        f"{'PASS' if parallel else 'FAIL'}"
    )
    d["exact"], d["parallel"], d["one_at_a_time_per_s"] = exact, parallel, one_at_a_time
    d["jira_pool_busy"] = pool_busy


def tree_state(tree: Path) -> str:
    """The commit measured, and whether app/ had uncommitted changes (read-only git calls)."""
    if tree.resolve() != REPO_ROOT:
        return f"service from {tree}"

    def git(*cmd: str) -> str:
        done = subprocess.run(["git", *cmd], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "app").splitlines()
    changes = f" + {len(dirty)} uncommitted app/ files" if dirty else ""
    return f"{git('rev-parse', '--short', 'HEAD') or '?'}{changes}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--latency-jira", type=float, default=0.15, help="seconds added to every fake Jira answer")
    p.add_argument(
        "--latency-slack", type=float, default=0.05, help="seconds added to every fake Slack answer"
    )
    p.add_argument("--n-latency", type=int, default=50, help="reactions measured one at a time (0 skips)")
    p.add_argument("--warmup", type=int, default=3, help="reactions sent first and not measured")
    p.add_argument("--n-drain", type=int, default=1000, help="reactions in the burst (0 skips)")
    p.add_argument("--send-concurrency", type=int, default=32, help="deliveries in flight during the burst")
    p.add_argument("--jira-concurrency", type=int, default=8, help="the service's JIRA_CONCURRENCY")
    p.add_argument("--worker-concurrency", type=int, default=32, help="the service's WORKER_CONCURRENCY")
    p.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite", help="the service's database")
    p.add_argument("--server-cpu", type=int, default=None, help="pin the service to this CPU (taskset)")
    p.add_argument(
        "--service-tree",
        type=Path,
        default=REPO_ROOT,
        help="run the service from this source tree, e.g. an export of a commit (`git archive`)",
    )
    p.add_argument("--split-worker", action="store_true", help="serve --no-worker plus a `worker` process")
    p.add_argument("--worker-nice", type=int, default=0, help="niceness of the --split-worker process")
    p.add_argument("--worker-poll", type=float, default=1.0, help="the service's WORKER_POLL_SECONDS")
    p.add_argument(
        "--profile", type=Path, default=None, help="run the service under cProfile, stats to this file"
    )
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m bench.e2e_bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    info = machine_info()
    print(f"== interrupt-bridge end-to-end benchmark ==\ncommand : {command}")
    print(
        f"machine : nproc={info['nproc']} cpu={info['cpu_model']} python={info['python']} "
        f"load={info['loadavg_at_start']}"
    )
    info["tree"] = tree_state(args.service_tree)
    print(
        f"tree    : {info['tree']}; db={args.db}; fake latency slack={args.latency_slack}s "
        f"jira={args.latency_jira}s; JIRA_CONCURRENCY={args.jira_concurrency} "
        f"WORKER_CONCURRENCY={args.worker_concurrency}"
    )
    slack, jira, timeline = start_fakes(latency_slack=args.latency_slack, latency_jira=args.latency_jira)
    options = ServiceOptions(
        jira_concurrency=args.jira_concurrency,
        worker_concurrency=args.worker_concurrency,
        db=args.db,
        cpu=args.server_cpu,
        tree=args.service_tree,
        split_worker=args.split_worker,
        worker_poll_s=args.worker_poll,
        worker_nice=args.worker_nice,
        profile=args.profile,
    )
    service = start_service(slack, jira, options)
    worker = f"; worker pid {service.worker.proc.pid}" if service.worker else ""
    print(f"service : pid {service.process.proc.pid} on port {service.port}{worker}", flush=True)
    results: dict[str, Any] = {
        "command": command,
        "machine": info,
        "config": vars(args) | {"json": str(args.json)},
    }
    try:
        if args.n_latency > 0:
            results["latency"] = latency_phase(service, slack, timeline, args)
            print_latency(results["latency"])
        if args.n_drain > 0:
            results["drain"] = drain_phase(service, slack, jira, timeline, args)
            print_drain(results["drain"], results.get("latency"), args)
        results["server_cpu_s"] = service.cpu_seconds()
        print(f"\nservice CPU time: {results['server_cpu_s']:.1f} s; service log (WARNING+) tail:")
        print(service.log_tail(10) or "(empty)")
    finally:
        service.stop()
        slack.stop()
        jira.stop()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
