"""Start a server under test pinned to one CPU, wait until it answers, measure its CPU time, stop it."""

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


class ServerStartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class ServerProcess:
    """One server under test. Runs in its own session so a stop reaches any children it forks."""

    def __init__(
        self, argv: list[str], *, env: dict[str, str], cwd: Path, log_path: Path, cpu: int | None
    ) -> None:
        self.argv = ["taskset", "-c", str(cpu), *argv] if cpu is not None else list(argv)
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            self.argv, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log_tail(self, lines: int = 25) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def wait_ready(self, port: int, path: str, timeout_s: float) -> None:
        """Poll `GET path` until it answers 200; fail fast if the process dies."""
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise ServerStartError(f"exited with code {code} before becoming ready")
            try:
                status, _ = http_request(port, "GET", path)
                if status == 200:
                    return
                last = f"GET {path} -> {status}"
            except OSError as exc:
                last = f"GET {path} -> {exc.__class__.__name__}"
            time.sleep(0.1)
        raise ServerStartError(f"not ready after {timeout_s:.0f}s ({last})")

    def cpu_seconds(self) -> float:
        """User+system CPU time of the server process (not its children) from /proc."""
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return 0.0
        # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, grace_s: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                # Only our own child's session: it was started with start_new_session=True.
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log.close()
