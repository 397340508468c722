"""Every benchmark behind `python -m bench.all`, with its quick and full arguments, in table order."""

from __future__ import annotations

from bench.gather import BenchSpec

ACK_TARGETS = ("--targets", "bolt-httptools,bolt-h11,interrupt-bridge")

SUITE: tuple[BenchSpec, ...] = (
    BenchSpec(
        "ack",
        "bench.ack_bench",
        quick_args=("--duration", "3", "--warmup", "1", *ACK_TARGETS),
        full_args=("--duration", "10", "--warmup", "3", "--rounds", "3", *ACK_TARGETS),
        watch_memory=True,
    ),
    BenchSpec(
        "e2e",
        "bench.e2e_bench",
        quick_args=("--n-latency", "10", "--warmup", "2", "--n-drain", "100"),
        full_args=("--n-latency", "50", "--warmup", "3", "--n-drain", "1000"),
        watch_memory=True,
    ),
    BenchSpec(
        "modal",
        "bench.modal_bench",
        quick_args=("--n", "40", "--warmup", "3", "--rounds", "1"),
        full_args=("--n", "200", "--rounds", "3"),
    ),
    # These two print lines rather than JSON: `--json` is passed only if their --help offers it.
    BenchSpec(
        "report",
        "bench.report_bench",
        quick_args=("--sizes", "2000,20000", "--deployments", "cloud"),
        full_args=("--sizes", "2000,20000,100000", "--deployments", "cloud,datacenter", "--baseline"),
        json_option=None,
    ),
    BenchSpec("faq", "bench.faq_precision", quick_args=(), full_args=(), json_option=None),
    BenchSpec("rss_idle", "bench.rss_idle", quick_args=("--settle", "3"), full_args=("--settle", "10")),
)

NAMES = tuple(spec.name for spec in SUITE)
