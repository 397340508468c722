"""The operator commands: readable output, exit code 2 and no stack trace on bad input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.cli.main import main
from app.store import jobs as job_store
from app.store.db import create_db_engine, migrate

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "bridge.example.yaml"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BRIDGE_CONFIG", str(EXAMPLE))
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "JIRA_URL",
        "JIRA_API_TOKEN",
        "JIRA_PAT",
        "JIRA_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)
    return url


def test_jobs_list_show_and_retry(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    engine = create_db_engine(env)
    with engine.begin() as conn:
        job_store.enqueue(conn, "ticket.create", {"ticket_id": "abc"}, now=time.time())
    [job] = job_store.claim(engine, owner="w", limit=1, now=time.time(), lease_s=60)
    job_store.dead_letter(
        engine, job.id, owner="w", now=time.time(), error="permanent: jira create: HTTP 400"
    )

    assert main(["jobs", "list", "--state", "dead"]) == 0
    out = capsys.readouterr().out
    assert "dead: 1" in out
    assert "ticket.create" in out
    assert "HTTP 400" in out
    assert main(["jobs", "show", str(job.id)]) == 0
    assert '"ticket_id": "abc"' in capsys.readouterr().out
    assert main(["jobs", "retry", str(job.id)]) == 0
    assert job_store.counts_by_state(engine)["pending"] == 1
    assert main(["jobs", "retry", "999"]) == 2
    assert "not retried" in capsys.readouterr().err
    engine.dispose()


def test_check_passes_on_the_example_template(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "[PASS] workflow template" in out
    assert "skipped: no SLACK_BOT_TOKEN" in out


def test_check_reports_a_broken_template(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "bridge.yaml"
    broken.write_text(EXAMPLE.read_text().replace("default_bucket: question", "default_bucket: nope"))
    monkeypatch.setenv("BRIDGE_CONFIG", str(broken))
    assert main(["check"]) == 2
    captured = capsys.readouterr()
    assert "[FAIL]" in captured.out
    assert "'nope' is not a bucket key" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_invalid_settings_are_a_clear_error(
    env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", "secret-token-value")  # without JIRA_EMAIL
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "JIRA_API_TOKEN needs JIRA_EMAIL" in err
    assert "secret-token-value" not in err


def test_migrate_twice_is_harmless(env: str) -> None:
    assert main(["migrate"]) == 0
    migrate(env)
    assert main(["migrate"]) == 0
