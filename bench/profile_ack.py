"""Profile one ack-path target under wrk load with py-spy: where does the server's time go?

    pip install py-spy
    python -m bench.profile_ack --target interrupt-bridge --duration 10 --out /tmp/ack.txt --gil
    python -m bench.profile_ack --summary /tmp/ack.txt

The target starts exactly as in `bench.ack_bench` (pinned to core 0, wrk on core 1, 16 connections,
a warm-up first). py-spy records in its `raw` format (collapsed stacks, one per line); `--summary`
prints the share of samples per thread and the functions with the most inclusive and self samples.
`--gil` samples only the thread holding the GIL, i.e. Python CPU time; without it idle threads show.
"""

import argparse
import collections
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.server_proc import ServerProcess, free_port
from bench.signed_events import DeliveryFactory, compile_template, load_base_payload
from bench.targets import REPO_ROOT, build_targets, database_url
from bench.wrk_runner import WrkResult, run_wrk, write_lua_script


def _frame(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})" if where else name


def summarize(path: Path, top: int = 40) -> str:
    threads: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        threads[frames[0]] += n
        for name in {_frame(f) for f in frames[1:]}:
            inclusive[name] += n
        own[_frame(frames[-1])] += n
    if not total:
        return "no samples"
    lines = [f"samples: {total}"]
    for title, counter in (("threads", threads), ("inclusive", inclusive), ("self", own)):
        lines.append(f"-- {title}")
        lines += [f"{100 * n / total:5.1f}% {name}" for name, n in counter.most_common(top)]
    return "\n".join(lines)


def profile(args: argparse.Namespace) -> int:
    if shutil.which("py-spy") is None:
        print("error: py-spy is not installed (pip install py-spy)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="ack-profile-"))
    secret = secrets.token_hex(16)
    payload, _ = load_base_payload()
    factory = DeliveryFactory(secret=secret, template=compile_template(payload))
    factory.new_tag()
    target = build_targets(db_url=database_url(args.db, workdir))[args.target]
    port = free_port()
    env = {**os.environ, "SLACK_SIGNING_SECRET": secret, "PYTHONUNBUFFERED": "1", **target.env}
    server = ServerProcess(target.argv(port), env=env, cwd=REPO_ROOT, log_path=workdir / "server.log", cpu=0)
    try:
        server.wait_ready(port, target.ready_path, 30)
        script = write_lua_script(workdir)

        def load(data: Path, seconds: int) -> WrkResult:
            return run_wrk(
                url=f"http://127.0.0.1:{port}",
                script=script,
                data_file=data,
                duration_s=seconds,
                connections=args.connections,
                cpu=1,
            )

        warm = workdir / "warm.tsv"
        factory.write_file(warm, 25_000)
        load(warm, 3)
        data = workdir / "measure.tsv"
        factory.write_file(data, 5_000 * args.duration)
        spy = ["py-spy", "record", "--pid", str(server.proc.pid), "-d", str(args.duration), "-r", "200"]
        spy += ["--threads", "-f", "raw", "-o", str(args.out), *(["--gil"] if args.gil else [])]
        recorder = subprocess.Popen(spy, stdout=subprocess.DEVNULL)
        before = server.cpu_seconds()
        result = load(data, args.duration)
        cpu = server.cpu_seconds() - before
        recorder.wait(timeout=60)
    finally:
        server.stop()
    print(
        f"{args.target}: {result.rps_2xx:.0f} req/s, p50 {result.latency_ms['p50']:.1f} ms, "
        f"p99 {result.latency_ms['p99']:.1f} ms, non-2xx {result.non_2xx}, "
        f"server cpu {100 * cpu / args.duration:.0f}%"
    )
    print(summarize(args.out, args.top))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile_ack", description=__doc__.splitlines()[0])
    p.add_argument("--target", default="interrupt-bridge", help="a target of bench.ack_bench")
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--duration", type=int, default=10, help="seconds recorded under load")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--out", type=Path, default=Path("ack-profile.txt"), help="py-spy raw output")
    p.add_argument("--gil", action="store_true", help="sample only the GIL holder (CPU profile)")
    p.add_argument("--top", type=int, default=40, help="rows per section of the summary")
    p.add_argument("--summary", type=Path, default=None, help="only summarize an earlier recording")
    args = p.parse_args(argv)
    if args.summary is not None:
        print(summarize(args.summary, args.top))
        return 0
    return profile(args)


if __name__ == "__main__":
    sys.exit(main())
