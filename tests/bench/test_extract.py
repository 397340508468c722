"""From each benchmark's results to table rows, with the targets of the issues judged."""

from typing import Any

import pytest

from bench.extract import order_key, rows_for
from bench.gather import BenchRun
from bench.rows import FAILED, MET, NO_TARGET, NOT_JUDGED, NOT_MET, NOT_RUN, Row
from tests.bench.samples import FAQ_OUTPUT, REPORT_OUTPUT, ack_doc, e2e_doc, modal_doc

MACHINE = {"cpu_model": "Test CPU", "cores": 2, "kernel": "Linux 6.1", "python": "3.11.7", "date": "d"}


def run(name: str, doc: dict[str, Any] | None = None, output: str = "", **kw: Any) -> BenchRun:
    return BenchRun(name, f"python -m bench.{name}", kw.pop("status", "ok"), doc=doc, output=output, **kw)


def by_key(rows: list[Row]) -> dict[str, Row]:
    return {r.key: r for r in rows}


def test_ack_met_against_bolt_httptools_and_every_row_names_command_and_machine() -> None:
    servers = [
        {"label": "interrupt-bridge", "peak_mb": 96.4, "samples": 5},
        {"label": "bolt-httptools", "peak_mb": 61.0, "samples": 5},
    ]
    rows = by_key(rows_for(run("ack", ack_doc(ib_rps=2200.0), servers=servers), MACHINE))

    ack = rows["ack"]
    assert ack.verdict == MET, ack.why
    assert "interrupt-bridge 2,200 req/s" in ack.result
    assert "Bolt (httptools + uvloop) 1,411 req/s" in ack.result
    assert "1.56x" in ack.result
    assert "Bolt" in ack.baseline
    assert ack.command == "python -m bench.ack"
    assert ack.machine == MACHINE
    memory = rows["rss-loaded-ack"]
    assert memory.verdict == NO_TARGET
    assert "96 MB" in memory.result
    assert "Bolt (httptools + uvloop) 61 MB" in memory.baseline


def test_ack_below_one_and_a_half_times_bolt_is_not_met_with_the_reason() -> None:
    ack = by_key(rows_for(run("ack", ack_doc(ib_rps=1800.0)), MACHINE))["ack"]

    assert ack.verdict == NOT_MET
    assert "throughput 1.28x < 1.5x" in ack.why
    assert "p99" not in ack.why  # p99 18.9 ms <= Bolt's 28.8 ms


def test_ack_with_lost_deliveries_is_not_met_even_when_fast() -> None:
    ack = by_key(rows_for(run("ack", ack_doc(ib_rps=5000.0, durability="LOST")), MACHINE))["ack"]

    assert ack.verdict == NOT_MET
    assert "missing from the database" in ack.why


def test_loaded_memory_without_a_service_process_is_not_judged() -> None:
    rows = by_key(rows_for(run("ack", ack_doc(), servers=[]), MACHINE))

    assert rows["rss-loaded-ack"].verdict == NOT_JUDGED


def test_e2e_latency_and_drain() -> None:
    rows = by_key(rows_for(run("e2e", e2e_doc()), MACHINE))

    assert rows["e2e-latency"].verdict == MET
    assert "overhead p50 74.0 ms" in rows["e2e-latency"].result
    assert "300 ms" in rows["e2e-latency"].baseline
    assert rows["e2e-drain"].verdict == MET
    assert "15.3 tickets/s (x5.7 one at a time)" in rows["e2e-drain"].result
    assert "2.7/s" in rows["e2e-drain"].baseline


def test_e2e_misses() -> None:
    rows = by_key(rows_for(run("e2e", e2e_doc(overhead_p50=130.0, exact=False)), MACHINE))

    assert rows["e2e-latency"].verdict == NOT_MET
    assert "130 ms > 100 ms" in rows["e2e-latency"].why
    assert rows["e2e-drain"].verdict == NOT_MET
    assert "exactly one" in rows["e2e-drain"].why


@pytest.mark.parametrize(("verdict", "expected"), [("PASS", MET), ("FAIL", NOT_MET), ("INVALID", NOT_JUDGED)])
def test_modal_verdict_follows_the_loaded_rounds(verdict: str, expected: str) -> None:
    doc = modal_doc(loaded_p99=150.0 if verdict == "FAIL" else 44.0, verdict=verdict, reason="because")

    row = by_key(rows_for(run("modal", doc), MACHINE))["modal"]

    assert row.verdict == expected
    assert "500 reactions/s offered, 497/s acked" in row.result
    assert "no other traffic: p99 13.5 ms" in row.baseline


def test_report_rows_per_deployment_judged_at_20k() -> None:
    rows = by_key(rows_for(run("report", output=REPORT_OUTPUT), MACHINE))

    cloud, dc = rows["report:cloud"], rows["report:datacenter"]
    assert cloud.verdict == MET
    assert cloud.result == "2k: 0.8 s, 0.20 req/100, 71 MB; 20k: 4.2 s, 0.20 req/100, 96 MB"
    assert "own paging" in cloud.baseline
    assert "20k: 25.1 s" in cloud.baseline
    assert dc.verdict == NOT_MET
    assert dc.why == "11.5 s > 10 s"


def test_report_without_20k_is_not_judged() -> None:
    only_2k = "\n".join(
        line for line in REPORT_OUTPUT.splitlines() if "20000" not in line and "baseline" not in line
    )

    row = rows_for(run("report", output=only_2k), MACHINE)[0]

    assert row.verdict == NOT_JUDGED
    assert row.baseline.startswith("none in this run")


def test_faq_judged_on_all_and_held_out() -> None:
    row = rows_for(run("faq", output=FAQ_OUTPUT), MACHINE)[0]
    assert row.verdict == MET
    assert "precision@1 0.88 (44/50), false suggestions 7% (2/30)" in row.result
    assert "threshold 0.35" in row.baseline

    worse = FAQ_OUTPUT.replace("precision@1=0.850 (17/20)", "precision@1=0.750 (15/20)")
    row = rows_for(run("faq", output=worse), MACHINE)[0]
    assert row.verdict == NOT_MET
    assert row.why == "held-out: precision@1 0.75 < 0.8"


def test_idle_memory_row() -> None:
    doc = {"settle_s": 3, "service": {"rss_mb": 88.2}, "bolt": {"rss_mb": 55.0}}

    row = rows_for(run("rss_idle", doc), MACHINE)[0]

    assert (row.key, row.verdict) == ("rss-idle", NO_TARGET)
    assert row.result.startswith("88 MB")
    assert "55 MB" in row.baseline


def test_missing_script_gives_its_rows_marked_not_run() -> None:
    rows = rows_for(run("report", status="missing"), MACHINE)

    assert [(r.key, r.verdict, r.why) for r in rows] == [("report", NOT_RUN, "script missing")]
    assert rows[0].target.startswith("at 20,000 issues")


def test_failed_script_gives_its_rows_marked_failed_with_the_last_line() -> None:
    rows = rows_for(
        run("e2e", status="failed", message="exit code 1", output="...\nTimeoutError: x\n"), MACHINE
    )

    assert {r.key for r in rows} == {"e2e-latency", "e2e-drain", "rss-loaded-e2e"}
    assert all(r.verdict == FAILED and r.why == "exit code 1" for r in rows)
    assert rows[0].result == "TimeoutError: x"


@pytest.mark.parametrize(
    ("name", "doc", "output"),
    [("ack", {"summary": "nonsense"}, ""), ("modal", None, ""), ("faq", None, "nothing useful\n")],
)
def test_unreadable_results_are_marked_failed_not_guessed(
    name: str, doc: dict[str, Any] | None, output: str
) -> None:
    rows = rows_for(run(name, doc, output), MACHINE)

    assert rows
    assert all(r.verdict == FAILED and r.why.startswith("could not read its results") for r in rows)
    assert all(r.result == "" for r in rows)


def test_rows_sort_in_table_order() -> None:
    keys = ["rss-idle", "faq", "report:cloud", "modal", "e2e-drain", "ack", "e2e-latency", "rss-loaded-ack"]
    rows = [Row(k, "x", "w", "t") for k in keys]

    assert [r.key for r in sorted(rows, key=order_key)] == [
        "ack",
        "e2e-latency",
        "e2e-drain",
        "modal",
        "report:cloud",
        "faq",
        "rss-idle",
        "rss-loaded-ack",
    ]


def test_report_cpu_time_is_shown_when_the_script_prints_it() -> None:
    output = (
        "deployment   issues mode      requests req/100  wall s  cpu s fake cpu s  rss MB  verdict\n"
        "cloud         20000 report         200    1.00   23.59   3.66       5.06    76.9  FAIL\n"
    )

    row = rows_for(run("report", output=output), MACHINE)[0]

    assert row.result == "20k: 23.6 s (cpu 3.7 s), 1.00 req/100, 77 MB"
    assert row.why == "23.6 s > 10 s"
