"""`interrupt-bridge serve` as a real child process on the tests' fakes and database.

Each process is started with `sys.executable -m app serve` and this checkout on PYTHONPATH, in
its own session (so a kill reaches nothing else), from an empty directory (no stray `.env`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import DEFAULT_BOT_TOKEN, FakeSlack
from tests.conftest import EXAMPLE_TEMPLATE, JIRA_EMAIL, JIRA_TOKEN, REPO
from tests.payloads import SIGNING_SECRET

CHANNEL = "C0PLATSUP"


def free_port() -> int:
    """A port the OS picked as free (ephemeral), for a child that needs it on its command line."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(
    database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira, **overrides: str
) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": database_url,
        "BRIDGE_CONFIG": str(EXAMPLE_TEMPLATE),
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
        "SLACK_API_URL": f"{fake_slack.base_url}/api/",
        "JIRA_URL": fake_jira.base_url,
        "JIRA_EMAIL": JIRA_EMAIL,
        "JIRA_API_TOKEN": JIRA_TOKEN,
        "WORKER_CONCURRENCY": "8",
        "JIRA_CONCURRENCY": "4",
        "JIRA_TIMEOUT_SECONDS": "5",
        "WORKER_POLL_SECONDS": "0.2",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }
    env.update(overrides)
    return env


class ServeProcess:
    """One replica. `log` is its combined stdout/stderr (JSON lines)."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path, *, args: tuple[str, ...] = ()) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        workdir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port), *args],
            env=env,
            cwd=workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready after {timeout_s}s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout_s: float) -> int:
        return self.proc.wait(timeout=timeout_s)

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when a node dies."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
