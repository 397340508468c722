"""A small threaded HTTP server for the sandbox fakes of Slack and Jira.

Real HTTP on loopback, so that the real `slack_sdk` and `jira` clients are exercised, with
fault injection (status codes, `Retry-After`, latency, connection reset before or after the
handler ran) and an optional request checker that tests use to validate every request against
the public specs. Standard library only: the sandbox must run without test dependencies.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class FakeRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}

    def query_one(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class FakeResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", "application/json"
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("Content-Type", "text/plain; charset=utf-8")
        return json.dumps(self.body).encode(), "application/json;charset=UTF-8"


@dataclass
class Fault:
    """A fault applied to the next `times` requests matching `method` and `path_pattern`.

    `reset_after_handler` runs the handler (state changes happen, e.g. the issue is created)
    and then resets the connection instead of answering: the client sees an ambiguous failure.
    """

    path_pattern: str
    method: str | None = None
    times: int = 1
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    reset_before_handler: bool = False
    reset_after_handler: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path_pattern, path) is not None


Handler = Callable[[FakeRequest], FakeResponse]
RequestChecker = Callable[[FakeRequest], "list[str]"]


class HTTPFake:
    """Route table + state lock + faults + request log, served on a loopback port."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[Fault] = []
        self.lock = threading.RLock()
        self.requests: list[FakeRequest] = []
        self.spec_violations: list[str] = []
        self.request_checker: RequestChecker | None = None
        self.latency_s = 0.0
        self._host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routing -----------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register `handler` for `method` and a path regex (named groups become path params)."""
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def dispatch(self, request: FakeRequest) -> FakeResponse:
        for method, pattern, handler in self._routes:
            if method != request.method:
                continue
            match = pattern.match(request.path)
            if match:
                bound = FakeRequest(
                    method=request.method,
                    path=request.path,
                    query=request.query,
                    headers=request.headers,
                    body=request.body,
                    path_params=match.groupdict(),
                )
                return handler(bound)
        return self.not_found(request)

    def not_found(self, request: FakeRequest) -> FakeResponse:
        return FakeResponse(404, {"errorMessages": [f"no route for {request.method} {request.path}"]})

    # -- lifecycle ---------------------------------------------------------------------------
    def use_port(self, port: int) -> None:
        """Listen on a fixed port (before `start`); 0 picks a free one."""
        if self._server is not None:
            raise RuntimeError("fake server already started")
        self._port = port

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("fake server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> HTTPFake:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus the client's
            # delayed ACK holds the body back ~40 ms on every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                return

            def _handle(self) -> None:
                fake._serve_one(self)

            def finish(self) -> None:
                with contextlib.suppress(OSError, ValueError):  # the connection was reset on purpose
                    super().finish()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        class _Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                return  # resets and client disconnects are expected here

        server = _Server((self._host, self._port), _Handler)
        server.daemon_threads = True
        self._server = server
        # A short poll interval makes stop() quick (the default 0.5 s is paid by every test).
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="http-fake", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- one request -------------------------------------------------------------------------
    def _serve_one(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        request = FakeRequest(
            method=handler.command.upper(),
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self.lock:
            self.requests.append(request)
        if self.request_checker is not None:
            problems = self.request_checker(request)
            if problems:
                with self.lock:
                    self.spec_violations.extend(f"{request.method} {request.path}: {p}" for p in problems)
        if self.latency_s:
            time.sleep(self.latency_s)
        fault = self._take_fault(request.method, request.path)
        if fault is not None:
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.reset_before_handler:
                _reset(handler)
                return
            if fault.reset_after_handler:
                self.dispatch(request)
                _reset(handler)
                return
            if fault.status is not None:
                self._write(handler, FakeResponse(fault.status, fault.body, dict(fault.headers)))
                return
        try:
            response = self.dispatch(request)
        except Exception as exc:  # a bug in the fake must show up as a 500, not a hang
            response = FakeResponse(500, {"errorMessages": [f"fake crashed: {exc!r}"]})
        self._write(handler, response)

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, response: FakeResponse) -> None:
        payload, content_type = response.encoded()
        handler.send_response(response.status)
        headers = {"Content-Type": content_type, **response.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close with SO_LINGER 0 so the peer sees a TCP reset, not a clean close."""
    handler.close_connection = True
    conn: socket.socket = handler.connection
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    except OSError:
        pass
