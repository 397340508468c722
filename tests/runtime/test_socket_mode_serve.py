"""`interrupt-bridge serve --socket-mode` as a real process: no public URL, no signing secret."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli.main import main
from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.fake_socket_mode import FakeSocketMode
from tests.conftest import EXAMPLE_TEMPLATE
from tests.payloads import reaction_added
from tests.runtime.drive import bot_replies, wait_for
from tests.runtime.serve_process import CHANNEL, ServeProcess, service_env


@pytest.fixture
def fake_socket(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    server = FakeSocketMode().start()
    fake_slack.socket_mode = server
    yield server
    server.stop()
    assert server.problems == []


def test_serve_socket_mode_turns_a_reaction_into_a_ticket(
    tmp_path: Path,
    fake_slack: FakeSlack,
    fake_jira: FakeJira,
    fake_socket: FakeSocketMode,
    processes: list[ServeProcess],
) -> None:
    env = service_env(
        f"sqlite:///{tmp_path / 'bridge.sqlite3'}",
        fake_slack,
        fake_jira,
        SLACK_APP_TOKEN=fake_slack.app_token,
        WORKER_SHUTDOWN_GRACE_SECONDS="2",
    )
    del env["SLACK_SIGNING_SECRET"]
    process = ServeProcess("socket", env, tmp_path, args=("--socket-mode",))
    processes.append(process)
    process.wait_ready()  # /readyz includes the Socket Mode connection
    assert fake_socket.connects == 1

    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Nightly backup job failed")
    envelope = fake_socket.deliver("events_api", reaction_added(channel=CHANNEL, ts=ts))
    assert "payload" not in fake_socket.wait_ack(envelope)
    wait_for(lambda: len(fake_jira.issues()) == 1 and bot_replies(fake_slack, ts) == 1)

    process.signal(signal.SIGTERM)
    assert process.wait(timeout_s=20) == 0, process.tail()
    assert fake_socket.connected == 0  # it closed its connection on the way out
    assert fake_slack.app_token not in process.log_path.read_text()


def test_socket_mode_without_an_app_token_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIDGE_CONFIG", str(EXAMPLE_TEMPLATE))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    assert main(["serve", "--socket-mode"]) == 2
    assert "--socket-mode needs SLACK_APP_TOKEN" in capsys.readouterr().err
