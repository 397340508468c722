"""Running the suite: scripts not merged yet, commands as shown, merging earlier results, helpers."""

import json
from pathlib import Path

import pytest

from bench.all import main, previous_rows, shown_command
from bench.gather import BenchSpec, display_command, run_bench
from bench.machine import busy_warning, cpu_model, load_warning, parse_cpu_jiffies
from bench.rows import Row
from bench.rss import classify, descendants, parse_ppid, parse_status, peaks_by_label
from bench.suite import NAMES, SUITE


def test_a_missing_script_is_not_run_and_says_so(tmp_path: Path) -> None:
    spec = BenchSpec("report", "bench.not_merged_yet", quick_args=("--sizes", "2000"), full_args=())
    said: list[str] = []

    run = run_bench(spec, quick=True, workdir=tmp_path, log=said.append)

    assert run.status == "missing"
    assert run.command == "python -m bench.not_merged_yet --sizes 2000"
    assert "bench/not_merged_yet.py is not in this tree" in run.message
    assert said == []
    assert list(tmp_path.iterdir()) == []


def test_commands_are_shown_as_typed() -> None:
    assert display_command("bench.e2e_bench", ["--n-drain", "100"], json_file=True) == (
        "python -m bench.e2e_bench --n-drain 100 --json FILE"
    )


def test_the_suite_covers_every_benchmark_of_the_table_with_quick_and_full_modes() -> None:
    assert NAMES == ("ack", "e2e", "modal", "report", "faq", "rss_idle")
    ack = SUITE[0]
    assert "bolt-httptools" in " ".join(ack.args(quick=True))
    assert ack.args(quick=True) != ack.args(quick=False)
    assert [s.name for s in SUITE if s.watch_memory] == ["ack", "e2e"]
    # Scripts from other branches are asked whether they take --json rather than assumed to.
    assert {s.name for s in SUITE if s.json_option is None} == {"report", "faq"}


def test_rows_of_benchmarks_not_rerun_are_kept(tmp_path: Path) -> None:
    latest = tmp_path / "latest.json"
    rows = [Row("ack", "ack", "w", "t").to_dict(), Row("faq", "faq", "w", "t", result="0.9").to_dict()]
    latest.write_text(json.dumps({"rows": rows}))

    kept = previous_rows(latest, {"ack"})

    assert [(r.key, r.result) for r in kept] == [("faq", "0.9")]
    assert previous_rows(tmp_path / "absent.json", {"ack"}) == []


def test_proc_parsers() -> None:
    status = "Name:\tpython\nVmHWM:\t  123456 kB\nVmRSS:\t   98765 kB\nThreads:\t4\n"
    assert parse_status(status) == {"VmHWM": 123456, "VmRSS": 98765}
    assert parse_ppid("4242 (python (x) y) S 17 4242 4242 0 -1") == 17
    assert descendants(1, {2: 1, 3: 2, 4: 3, 5: 9, 6: 5}) == {2, 3, 4}
    assert parse_cpu_jiffies("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n") == (150, 1000)
    assert cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"


@pytest.mark.parametrize(
    ("argv", "label"),
    [
        (
            ["/venv/bin/python", "-m", "app", "serve", "--host", "127.0.0.1", "--no-worker"],
            "interrupt-bridge",
        ),
        (
            ["/venv/bin/python", "-c", "import runpy\nrunpy.run_module('app', ...)", "serve", "--port", "1"],
            "interrupt-bridge",
        ),
        (["/venv/bin/interrupt-bridge", "serve"], "interrupt-bridge"),
        (["python", "-m", "uvicorn", "bench.bolt_baseline:api", "--http", "httptools"], "bolt-httptools"),
        (["python", "-m", "uvicorn", "bench.bolt_baseline:api", "--http", "h11"], "bolt-h11"),
        (["python", "-m", "app", "worker"], None),
        (["python", "-m", "bench.e2e_bench", "--n-drain", "100"], None),
        (["wrk", "-c", "16"], None),
        ([], None),
    ],
)
def test_server_processes_are_recognised_by_command_line(argv: list[str], label: str | None) -> None:
    assert classify(argv) == label


def test_peak_per_label_is_the_highest_over_rounds() -> None:
    servers = [
        {"label": "interrupt-bridge", "peak_mb": 90.0, "samples": 3},
        {"label": "interrupt-bridge", "peak_mb": 95.5, "samples": 3},
        {"label": "bolt-h11", "peak_mb": 400.0, "samples": 0},  # never sampled: no figure
    ]
    assert peaks_by_label(servers) == {"interrupt-bridge": 95.5}


def test_load_warnings() -> None:
    assert load_warning({"cores": 2, "loadavg_at_start": [0.4, 1, 1]}) is None
    assert "high load (3.00 on 2 cores)" in (
        load_warning({"cores": 2, "loadavg_at_start": [3.0, 1, 1]}) or ""
    )
    assert busy_warning(0.1, 2) is None
    assert busy_warning(None, 2) is None
    assert busy_warning(0.9, 2) == "others kept 0.9 of 2 cores busy at start"


def test_rows_kept_from_a_quick_run_stay_marked_quick(tmp_path: Path) -> None:
    latest = tmp_path / "latest.json"
    marked = Row("ack", "ack", "w", "t", verdict="not met", mode="quick").to_dict()
    unmarked = Row("faq", "faq", "w", "t", verdict="met").to_dict()
    del unmarked["mode"]  # written before rows carried their mode: the file's mode applies
    latest.write_text(json.dumps({"mode": "quick", "rows": [marked, unmarked]}))

    rows = previous_rows(latest, set())

    assert [r.verdict_text() for r in rows] == ["**not met** (quick run)", "met (quick run)"]
    assert Row("x", "x", "w", "t", verdict="met").verdict_text() == "met"


def test_the_label_is_elided_from_the_command_shown() -> None:
    assert shown_command(["--quick", "--label", "long text"]) == "python -m bench.all --quick --label ..."
    assert shown_command(["--label=x", "--only", "ack"]) == "python -m bench.all --label=... --only ack"


def test_render_only_writes_the_table_again_from_latest_json(tmp_path: Path) -> None:
    results, readme = tmp_path / "results", tmp_path / "README.md"
    results.mkdir()
    readme.write_text("# P\n\n## Benchmarks\n\nIntro.\n\n## Development\n")
    machine = {"cpu_model": "CPU", "cores": 2, "kernel": "Linux", "python": "3.11", "date": "d"}
    row = Row("ack", "ack", "ack path", "t", result="1,800 req/s", verdict="met", machine=machine)
    latest = {
        "command": "python -m bench.all",
        "mode": "full",
        "generated_at": "then",
        "label": "",
        "machine": machine,
        "runs": [{"name": "ack", "command": "c", "status": "ok"}],
        "rows": [row.to_dict()],
    }
    (results / "latest.json").write_text(json.dumps(latest))

    code = main(["--render-only", "--results", str(results), "--readme", str(readme), "--label", "again"])

    assert code == 0
    text = readme.read_text()
    assert "| ack path | 1,800 req/s | t | met |" in text
    assert "> **again**" in text
    assert text.endswith("<!-- bench-table:end -->\n\n## Development\n")
    assert "1,800 req/s" in (results / "latest.md").read_text()


def test_render_only_without_results_is_an_error(tmp_path: Path) -> None:
    assert main(["--render-only", "--results", str(tmp_path), "--no-readme"]) == 2


def test_a_readme_with_broken_markers_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    results, readme = tmp_path / "results", tmp_path / "README.md"
    results.mkdir()
    readme.write_text("## Benchmarks\n\n<!-- bench-table:start -->\n")
    machine = {"cpu_model": "CPU", "cores": 2, "kernel": "Linux", "python": "3.11", "date": "d"}
    rows = [Row("ack", "ack", "w", "t", machine=machine).to_dict()]
    (results / "latest.json").write_text(json.dumps({"mode": "full", "rows": rows, "machine": machine}))

    with pytest.raises(SystemExit, match=r"README not updated .*unbalanced"):
        main(["--render-only", "--results", str(results), "--readme", str(readme)])
    assert (results / "latest.md").exists()
