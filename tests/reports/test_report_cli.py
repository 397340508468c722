"""`interrupt-bridge report` and `report filters --create` against the fake Jira over real HTTP."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.main import main
from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PAT, FakeJira
from tests.reports.conftest import EXAMPLE_TEMPLATE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(seeded: FakeJira, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeJira:
    """The CLI's settings pointing at the seeded fake (credentials of its deployment), no database."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("JIRA_URL", seeded.base_url)
    if seeded.deployment == "cloud":
        monkeypatch.setenv("JIRA_EMAIL", DEFAULT_EMAIL)
        monkeypatch.setenv("JIRA_API_TOKEN", DEFAULT_API_TOKEN)
    else:
        monkeypatch.setenv("JIRA_PAT", DEFAULT_PAT)
    monkeypatch.setenv("BRIDGE_CONFIG", str(EXAMPLE_TEMPLATE))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.sqlite3'}")
    return seeded


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.usefixtures("env")
def test_every_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # the fake's clock is fixed in November 2026; the report's period is given as dates
    code, table, err = run(capsys, "report", "--from", "2026-10-28", "--to", "2026-11-26")
    assert code == 0, err
    assert "Interrupts, all teams: 2026-10-28 00:00 to 2026-11-27 00:00 UTC" in table
    assert "repeat topic" in table
    assert "resolved without a prevention note" in table

    code, md, _ = run(capsys, "report", "--from", "2026-10-28", "--to", "2026-11-26", "--format", "markdown")
    assert md.startswith("# Interrupts")
    assert "| SECTION | NAME |" in md

    code, text, _ = run(capsys, "report", "--from", "2026-10-28", "--to", "2026-11-26", "--format", "csv")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["section", "name", "this_period", "previous", "change"]
    assert any(row[0] == "bucket" for row in parsed)

    code, text, _ = run(capsys, "report", "--from", "2026-10-28", "--format", "json", "--team", "platform")
    data = json.loads(text)
    assert data["team"] == "platform"
    assert [c["name"] for c in data["by_team"]] == ["platform"]
    assert data["total"]["current"] > 0
    assert data["topics"][0]["examples"]

    target = tmp_path / "report.html"
    code, out, err = run(
        capsys, "report", "--from", "2026-10-28", "--format", "html", "--output", str(target)
    )
    assert code == 0
    assert out == ""
    assert f"wrote {target}" in err
    page = target.read_text(encoding="utf-8")
    assert "cdn" not in page.lower().split("<body>")[0]  # plotly.js is inline, not fetched
    assert page.count('class="chart"') == 4


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "a month"], "--since 'a month': expected a positive number"),
        (["--from", "last monday"], "--from 'last monday': expected a date like 2026-10-01"),
        (["--to", "2026-10-01"], "--to needs --from"),
        (["--team", "nope"], "unknown team 'nope' (teams: platform, networking)"),
    ],
)
def test_bad_input_is_a_message_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "report", *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""


def test_jql_jira_rejects_is_jiras_own_text(
    env: FakeJira, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "bridge.yaml"
    template.write_text(EXAMPLE_TEMPLATE.read_text().replace("project: NET", "project: OPS"))
    monkeypatch.setenv("BRIDGE_CONFIG", str(template))
    code, _, err = run(capsys, "report", "--team", "networking")
    assert code == 2
    assert "The value 'OPS' does not exist for the field 'project'." in err
    assert "Traceback" not in err


def test_saved_filters_are_created_once_and_then_left_alone(
    env: FakeJira, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "bridge.yaml"
    template.write_text(
        EXAMPLE_TEMPLATE.read_text()
        + "\nsla:\n  targets:\n    High: {resolution: 2d, clock: 24x7}\n    Low: {resolution: 5d}\n"
    )
    monkeypatch.setenv("BRIDGE_CONFIG", str(template))
    code, out, err = run(capsys, "report", "filters", "--create")
    assert code == 0, err
    created = [line for line in out.splitlines() if line.startswith("created")]
    # 2 teams x 4 buckets, open, breached (the example has resolution targets), no prevention note
    names = {line.split(None, 1)[1] for line in created}
    assert "Interrupts: platform / access-request" in names
    assert {"Interrupts: open", "Interrupts: breached", "Interrupts: no prevention note"} <= names
    writes = len(env.calls("POST", r"/filter$")) + len(env.calls("PUT", r"/filter/\d+$"))

    code, out, _ = run(capsys, "report", "filters", "--create")
    assert code == 0
    assert f"0 created, 0 updated, {len(created)} unchanged" in out
    assert len(env.calls("POST", r"/filter$")) + len(env.calls("PUT", r"/filter/\d+$")) == writes

    with env.lock:  # someone edits a managed filter in Jira: the next run puts it back
        saved = next(f for f in env.state.filters.values() if f.name == "Interrupts: open")
        saved.jql = "project = PLAT"
    code, out, _ = run(capsys, "report", "filters", "--create")
    assert "updated    Interrupts: open" in out
    assert "0 created, 1 updated" in out
    with env.lock:  # every filter's JQL runs in Jira; "breached" finds only old open High/Low tickets
        for saved in env.state.filters.values():
            hits = env.state.search(env.state.parse_jql(saved.jql), env.bot)
            if saved.name == "Interrupts: breached":
                assert hits
                assert all(i.status.category != "done" for i in hits)
                assert {i.priority.name for i in hits if i.priority} <= {"High", "Low"}


def test_no_stack_trace_from_the_installed_command(tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "BRIDGE_CONFIG": str(EXAMPLE_TEMPLATE)}
    environment.pop("JIRA_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli.main", "report", "--since", "soon"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr


def test_progress_bar_draws_on_one_line() -> None:
    from app.reports.progress import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(stream, min_interval_s=0)
    bar.update(500, 1000)
    bar.update(1000, 1000)
    bar.close()
    assert stream.getvalue() == (
        "\r[###############...............] 500/1,000 issues"
        "\r[##############################] 1,000/1,000 issues\n"
    )
    cloud = io.StringIO()
    bar = ProgressBar(cloud, min_interval_s=0)
    bar.update(300, None)
    assert cloud.getvalue() == "\r300 issues read"


@pytest.mark.usefixtures("env")
def test_a_missing_sqlite_database_is_not_created(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "report", "--format", "json")
    assert code == 0
    assert "none.sqlite3 does not exist" in err
    assert not (tmp_path / "none.sqlite3").exists()
