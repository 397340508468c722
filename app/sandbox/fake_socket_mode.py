"""A fake of Slack's Socket Mode WebSocket server, for the real `slack_sdk` Socket Mode client.

The fake Slack Web API hands out its URLs from `apps.connections.open`. Like Slack, it greets each
connection with `hello`, sends envelopes (`events_api`, `interactive`, `slash_commands`) as JSON
text frames, and reads the app's acks (`{"envelope_id", "payload"?}`). Tests deliver envelopes,
wait for their acks, drop the connection or ask the app to reconnect (`disconnect`). It runs its
own event loop in a thread, like the HTTP fakes, so any thread may drive it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

JSON = dict[str, Any]
AckHook = Callable[[str, JSON], None]


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: JSON
    acked: threading.Event = field(default_factory=threading.Event)
    ack: JSON | None = None


class FakeSocketMode:
    def __init__(self, *, app_id: str = "A0SANDBOX", host: str = "127.0.0.1") -> None:
        self.app_id = app_id
        self._host = host
        self._port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self.envelopes: dict[str, Envelope] = {}
        self.connects = 0
        self.refused_tickets = 0
        self.problems: list[str] = []  # acks that break Socket Mode's rules
        self.on_ack: AckHook | None = None  # called in the fake's thread as each ack arrives

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeSocketMode:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_get("/link/", self._connect)
            self._runner = web.AppRunner(app, handle_signals=False)
            loop.run_until_complete(self._runner.setup())
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((self._host, 0))
            self._port = sock.getsockname()[1]
            loop.run_until_complete(web.SockSite(self._runner, sock).start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-socket-mode", daemon=True)
        self._thread.start()
        ready.wait(timeout=10)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return
        self._call(self._close_all()).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop = None

    def new_url(self) -> str:
        """A single-use connection URL, as `apps.connections.open` returns it."""
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{self._host}:{self._port}/link/?ticket={ticket}&app_id={self.app_id}"

    @property
    def connected(self) -> int:
        with self._lock:
            return sum(1 for ws in self._sockets if not ws.closed)

    # -- what Slack does -------------------------------------------------------------------------
    def deliver(
        self,
        kind: str,
        payload: JSON,
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
    ) -> Envelope:
        """Send one envelope on the newest connection; `kind` is events_api, interactive or
        slash_commands. Reusing an `envelope_id` is a redelivery of the same envelope."""
        envelope = Envelope(envelope_id or str(uuid.uuid4()), kind, payload)
        message: JSON = {
            "envelope_id": envelope.envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            message.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._lock:
            self.envelopes[envelope.envelope_id] = envelope
        self._call(self._send(json.dumps(message))).result(timeout=10)
        return envelope

    def wait_ack(self, envelope: Envelope, timeout_s: float = 10.0) -> JSON:
        if not envelope.acked.wait(timeout_s):
            raise TimeoutError(f"no ack for envelope {envelope.envelope_id}")
        assert envelope.ack is not None
        return envelope.ack

    def drop(self) -> None:
        """Close every connection (a server-side close frame), as Slack does from time to time."""
        self._call(self._close_all()).result(timeout=10)

    def ask_to_reconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's `disconnect` message: the client should open a new connection."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-socket-mode"}}
        self._call(self._send(json.dumps(message))).result(timeout=10)

    # -- the server ------------------------------------------------------------------------------
    def _call(self, coro: Any) -> Future[Any]:
        if self._loop is None:
            raise RuntimeError("fake Socket Mode server not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            self.refused_tickets += 1
            return web.Response(status=401, text="invalid or used ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._lock:
            self._sockets.append(ws)
            self.connects += 1
        hello = {
            "type": "hello",
            "num_connections": self.connected,
            "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 3600},
            "connection_info": {"app_id": self.app_id},
        }
        await ws.send_str(json.dumps(hello))
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self._on_text(message.data)
        with self._lock:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws

    def _on_text(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except ValueError:
            self.problems.append(f"not JSON: {data[:80]!r}")
            return
        envelope_id = ack.get("envelope_id") if isinstance(ack, dict) else None
        with self._lock:
            envelope = self.envelopes.get(envelope_id) if isinstance(envelope_id, str) else None
        if envelope is None:
            self.problems.append(f"ack for an unknown envelope: {data[:80]!r}")
            return
        if "payload" in ack and envelope.type == "events_api":
            self.problems.append(f"events_api ack with a payload: {data[:80]!r}")
        if "payload" in ack and not isinstance(ack["payload"], dict):
            self.problems.append(f"ack payload is not an object: {data[:80]!r}")
        if self.on_ack is not None:
            self.on_ack(envelope.envelope_id, ack)
        envelope.ack = ack
        envelope.acked.set()

    async def _send(self, text: str) -> None:
        with self._lock:
            open_sockets = [ws for ws in self._sockets if not ws.closed]
        if not open_sockets:
            raise ConnectionError("no Socket Mode connection is open")
        await open_sockets[-1].send_str(text)

    async def _close_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for ws in sockets:
            await ws.close(message=b"server closed the connection")
