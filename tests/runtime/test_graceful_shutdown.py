"""SIGTERM: stop claiming, let jobs in flight finish within the grace period or give them back.

A real `serve` process; the fake Jira holds its issue creates (a fault-injected delay) so that the
jobs are in flight when the signal arrives. After a restart every job completes, exactly once.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import Fault
from tests.conftest import EXAMPLE_TEMPLATE, REPO
from tests.payloads import reaction_added
from tests.runtime.drive import (
    assert_exactly_once,
    deliver_all,
    post_messages,
    settle,
    wait_for,
)
from tests.runtime.serve_process import ServeProcess, free_port, service_env

pytestmark = pytest.mark.postgres

CREATES = 3


def creates_received(fake_jira: FakeJira) -> int:
    return len(fake_jira.calls("POST", r"^/rest/api/2/issue$"))


def released(process: ServeProcess) -> list[int]:
    return [r["jobs.released"] for r in process.log_records() if r.get("msg") == "released unfinished jobs"]


@pytest.mark.parametrize(
    ("grace_s", "jira_delay_s", "outcome"),
    [
        pytest.param(1.0, 5.0, "released", id="calls-outlast-the-grace"),
        pytest.param(15.0, 1.5, "finished", id="calls-finish-within-the-grace"),
    ],
)
async def test_sigterm_with_jira_calls_in_flight_loses_and_doubles_nothing(
    postgres_url: str,
    fake_slack: FakeSlack,
    fake_jira: FakeJira,
    processes: list[ServeProcess],
    tmp_path: Path,
    grace_s: float,
    jira_delay_s: float,
    outcome: str,
) -> None:
    env = service_env(
        postgres_url,
        fake_slack,
        fake_jira,
        WORKER_SHUTDOWN_GRACE_SECONDS=str(grace_s),
        JIRA_TIMEOUT_SECONDS=str(jira_delay_s + 2),
    )
    first = ServeProcess("first", env, tmp_path)
    processes.append(first)
    first.wait_ready()
    fake_jira.add_fault(Fault(r"^/rest/api/2/issue$", method="POST", times=CREATES, delay_s=jira_delay_s))
    messages = post_messages(fake_slack, CREATES)
    statuses = await deliver_all(
        [(first.url, reaction_added(channel="C0PLATSUP", ts=ts), 0) for ts in messages]
    )
    assert statuses == [200] * CREATES
    wait_for(lambda: creates_received(fake_jira) == CREATES)  # all three held by the fake

    first.signal(signal.SIGTERM)
    code = first.wait(timeout_s=grace_s + 10)
    assert code == 0, first.tail()
    if outcome == "released":
        # It left within the grace period, before Jira answered: the jobs were given back.
        assert fake_jira.issues() == []
        assert released(first) == [CREATES], first.tail()
    else:
        # It waited for the calls: the issues exist, and nothing had to be given back.
        assert len(fake_jira.issues()) == CREATES
        assert released(first) == []

    second = ServeProcess("second", env, tmp_path)
    processes.append(second)
    second.wait_ready()
    settle(postgres_url, fake_slack, fake_jira, messages)
    assert_exactly_once(fake_slack, fake_jira, messages)
    if outcome == "released":
        # The retry found the issue its abandoned call created, by its marker label.
        assert creates_received(fake_jira) == CREATES
        assert any(r.get("msg") == "found issue from an earlier attempt" for r in second.log_records())


def test_sigterm_in_sandbox_mode_exits_cleanly(tmp_path: Path, processes: list[ServeProcess]) -> None:
    """uvicorn re-raises SIGTERM after its graceful shutdown; `serve` still stops its sandbox and
    exits 0 (it used to die by the re-raised signal, skipping its clean-up)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        "BRIDGE_CONFIG": str(EXAMPLE_TEMPLATE),
        "SANDBOX_SLACK_PORT": str(free_port()),
        "SANDBOX_JIRA_PORT": str(free_port()),
        "WORKER_SHUTDOWN_GRACE_SECONDS": "2",
        "LOG_FORMAT": "json",
    }
    process = ServeProcess("sandbox", env, tmp_path)
    processes.append(process)
    process.wait_ready()
    process.signal(signal.SIGTERM)
    assert process.wait(timeout_s=20) == 0, process.tail()
    assert "sandbox stopped" in process.tail()
