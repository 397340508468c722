"""Plumbing for the end-to-end benchmark: timed fakes, the service process, signed reactions.

The fakes are the sandbox's own `FakeSlack` and `FakeJira`, subclassed only to record when each
request arrived, when its handler changed the fake's state, and when the answer was written. The
latency of `HTTPFake.latency_s` sits between arrival and handler, so a recorded call spans the
whole time the service waited for it, and overlapping calls are requests in flight together.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, cast

import aiohttp
import sqlalchemy as sa

from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, FakeJira
from app.sandbox.fake_slack import DEFAULT_BOT_TOKEN, FakeSlack
from app.sandbox.http_fake import FakeRequest, FakeResponse
from app.sandbox.slack_methods import parse_args
from bench.server_proc import ServerProcess, free_port
from bench.signed_events import CHANNEL, REACTION, compile_template, load_base_payload, sign

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEMPLATE = REPO_ROOT / "deploy" / "bridge.example.yaml"
REQUESTER = "U0CAROL"  # posts the messages; the template's reactor is U0ALICE
_ISSUE_KEY = re.compile(r"/issue/[A-Z][A-Z0-9]*-\d+")
_API_PREFIX = re.compile(r"^/rest/api/(?:2|3|latest)/")
_local = threading.local()


@dataclass(frozen=True)
class Call:
    """One request as a fake saw it, on the bench process's `time.perf_counter()` clock."""

    fake: str  # "slack" | "jira"
    api: str  # "chat.postMessage", "POST issue", "POST issue/{key}/remotelink", ...
    request: FakeRequest
    start: float
    handled: float  # the handler ran (state changed); `end` if it never ran
    end: float

    def args(self) -> dict[str, Any]:
        """Slack call arguments (empty for Jira)."""
        return dict(parse_args(self.request)) if self.fake == "slack" else {}


class Timeline:
    """Every call both fakes served, appended as each answer is written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self.in_flight = {"slack": 0, "jira": 0}

    def enter(self, fake: str) -> None:
        with self._lock:
            self.in_flight[fake] += 1

    def leave(self, call: Call) -> None:
        with self._lock:
            self.in_flight[call.fake] -= 1
            self.calls.append(call)

    def idle(self) -> bool:
        with self._lock:
            return not any(self.in_flight.values())

    def between(self, t0: float, t1: float, fake: str | None = None) -> list[Call]:
        """Calls that started in [t0, t1), oldest first."""
        with self._lock:
            calls = list(self.calls)
        picked = [c for c in calls if t0 <= c.start < t1 and (fake is None or c.fake == fake)]
        return sorted(picked, key=lambda c: c.start)


def _api_name(fake: str, request: FakeRequest) -> str:
    if fake == "slack":
        return request.path.rsplit("/", 1)[-1]
    path = _API_PREFIX.sub("", _ISSUE_KEY.sub("/issue/{key}", request.path))
    return f"{request.method} {path}"


class _Timed:
    """Mixin for an `HTTPFake` subclass: times `_serve_one` and notes when `dispatch` ran."""

    timeline: Timeline
    fake_name: str

    def _serve_one(self, handler: BaseHTTPRequestHandler) -> None:
        self.timeline.enter(self.fake_name)
        _local.request, _local.handled = None, None
        start = time.perf_counter()
        try:
            super()._serve_one(handler)  # type: ignore[misc]
        finally:
            end = time.perf_counter()
            request: FakeRequest | None = _local.request
            if request is None:  # a reset before the handler: keep the count balanced
                request = FakeRequest(handler.command or "", handler.path or "", {}, {}, b"")
            handled = _local.handled if _local.handled is not None else end
            self.timeline.leave(
                Call(self.fake_name, _api_name(self.fake_name, request), request, start, handled, end)
            )

    def dispatch(self, request: FakeRequest) -> FakeResponse:
        _local.request = request
        response: FakeResponse = super().dispatch(request)  # type: ignore[misc]
        _local.handled = time.perf_counter()
        return response


class TimedSlack(_Timed, FakeSlack):
    fake_name = "slack"


class TimedJira(_Timed, FakeJira):
    fake_name = "jira"


def start_fakes(*, latency_slack: float, latency_jira: float) -> tuple[TimedSlack, TimedJira, Timeline]:
    timeline = Timeline()
    # with_demo_data builds `cls(...)`, so these are the timed subclasses
    slack = cast(TimedSlack, TimedSlack.with_demo_data(bot_token=DEFAULT_BOT_TOKEN))
    jira = cast(TimedJira, TimedJira.with_demo_data(deployment="cloud"))
    for fake, latency in ((slack, latency_slack), (jira, latency_jira)):
        fake.timeline = timeline
        fake.latency_s = latency
        fake.start()
    return slack, jira, timeline


class Database:
    """The service's database: a SQLite file in a temporary directory, or a fresh PostgreSQL schema."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self._schema: str | None = None
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / 'bridge.sqlite3'}"
        elif kind == "postgresql":
            self._schema = f"e2e_{secrets.token_hex(6)}"
            with sa.create_engine(POSTGRES_URL).begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{self._schema}"'))
            self.url = f"{POSTGRES_URL}?options=-csearch_path%3D{self._schema}"
        else:
            raise ValueError(f"unknown database kind {kind!r}")

    def job_states(self) -> dict[str, int]:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT state, count(*) FROM jobs GROUP BY state")).all()
        finally:
            engine.dispose()
        return {str(state): int(count) for state, count in rows}

    def drop(self) -> None:
        if self._schema is not None:
            with sa.create_engine(POSTGRES_URL).begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{self._schema}" CASCADE'))


@dataclass(frozen=True)
class ServiceOptions:
    jira_concurrency: int = 8
    worker_concurrency: int = 32
    db: str = "sqlite"
    cpu: int | None = None  # pin the service (both processes with split_worker) to this CPU
    tree: Path = REPO_ROOT  # the source tree the service runs from
    split_worker: bool = False  # `serve --no-worker` plus a separate `worker` process
    worker_poll_s: float = 1.0  # WORKER_POLL_SECONDS; a separate worker is woken by nothing else
    worker_nice: int = 0  # run the separate worker at this niceness, below the ack path
    profile: Path | None = None  # cProfile stats of the serving process (event-loop thread only)
    worker: bool = True  # False: `serve --no-worker` and no worker at all (reactions only queue up)
    receipts: Path | None = None  # log when the app is handed each request with `X-Bench-Id` (see below)


@dataclass
class Service:
    """The service's processes on the fakes, each in its own session; `stop()` ends only those."""

    process: ServerProcess
    worker: ServerProcess | None
    port: int
    secret: str
    database: Database
    workdir: tempfile.TemporaryDirectory[str]

    def cpu_seconds(self) -> float:
        return sum(p.cpu_seconds() for p in (self.process, self.worker) if p is not None)

    def log_tail(self, lines: int) -> str:
        return "\n".join(p.log_tail(lines) for p in (self.process, self.worker) if p is not None).strip()

    def stop(self) -> None:
        for proc in (self.worker, self.process):
            if proc is not None:
                proc.stop(grace_s=20)
        self.database.drop()
        self.workdir.cleanup()


def start_service(slack: FakeSlack, jira: FakeJira, options: ServiceOptions) -> Service:
    """Start `python -m app serve` (and `worker`) from `options.tree` and wait for /readyz."""
    workdir = tempfile.TemporaryDirectory(prefix="ib-e2e-")
    database = Database(options.db, Path(workdir.name))
    secret = secrets.token_hex(16)
    port = free_port()
    env = {
        **os.environ,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
        "SLACK_API_URL": f"{slack.base_url}/api/",
        "JIRA_URL": jira.base_url,
        "JIRA_EMAIL": DEFAULT_EMAIL,
        "JIRA_API_TOKEN": DEFAULT_API_TOKEN,
        "DATABASE_URL": database.url,
        "BRIDGE_CONFIG": str(options.tree / TEMPLATE.relative_to(REPO_ROOT)),
        "JIRA_CONCURRENCY": str(options.jira_concurrency),
        "WORKER_CONCURRENCY": str(options.worker_concurrency),
        "WORKER_POLL_SECONDS": str(options.worker_poll_s),
        "LOG_LEVEL": "WARNING",
    }
    logs = Path(workdir.name)
    argv = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if options.split_worker or not options.worker:
        argv.append("--no-worker")
    if options.profile is not None or options.receipts is not None:
        code = _profiled(options.profile) if options.profile is not None else _RUN_APP
        if options.receipts is not None:
            code = _receipt_prelude(options.receipts) + code
        argv[1:3] = ["-c", code]
    process = ServerProcess(argv, env=env, cwd=options.tree, log_path=logs / "serve.log", cpu=options.cpu)
    service = Service(process, None, port, secret, database, workdir)
    try:
        process.wait_ready(port, "/readyz", timeout_s=60)
        if options.split_worker and options.worker:
            # Started after `serve` has migrated the database.
            nice = ["nice", "-n", str(options.worker_nice)] if options.worker_nice else []
            service.worker = ServerProcess(
                [*nice, sys.executable, "-m", "app", "worker"],
                env=env,
                cwd=options.tree,
                log_path=logs / "worker.log",
                cpu=options.cpu,
            )
    except Exception:
        print(service.log_tail(25), file=sys.stderr)
        service.stop()
        raise
    return service


def _profiled(out: Path) -> str:
    """`python -c` code running `python -m app` under cProfile.

    uvicorn re-raises a captured SIGTERM once it has shut down; a handler that exits cleanly turns
    that into SystemExit, which lets cProfile write its stats (a default SIGTERM would not).
    """
    return (
        "import cProfile, runpy, signal, sys\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
        "sys.argv = ['app', *sys.argv[1:]]\n"
        f"cProfile.run(\"runpy.run_module('app', run_name='__main__', alter_sys=True)\", {str(out)!r})\n"
    )


_RUN_APP = (
    "import runpy, sys\n"
    "sys.argv = ['app', *sys.argv[1:]]\n"
    "runpy.run_module('app', run_name='__main__', alter_sys=True)\n"
)

RECEIPT_HEADER = "X-Bench-Id"

# Wraps whatever ASGI app `serve` hands to uvicorn.Config (the service's code is not changed) and
# appends "<X-Bench-Id> <perf_counter>" when a request carrying that header reaches the app: the
# moment uvicorn starts the request's ASGI task, after it sat in the socket and the event loop's
# queue. Requests without the header cost a scan of their few header tuples. For the intake modal
# it also wraps `Interactions._open` (entered once the delivery is verified and parsed; the durable
# record follows views.open, before the ack) and appends
# "open:<trigger_id> <perf_counter>".
_RECEIPT_PRELUDE = """\
import time as _bench_time
import uvicorn as _bench_uvicorn
_bench_log = open(%(path)r, "a", buffering=1)
def _bench_stamp(key):
    _bench_log.write(key + " " + repr(_bench_time.perf_counter()) + "\\n")
_bench_init = _bench_uvicorn.Config.__init__
def _bench_stamped(app):
    async def asgi(scope, receive, send):
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == %(header)r:
                    _bench_stamp(value.decode("latin-1"))
                    break
        await app(scope, receive, send)
    return asgi
def _bench_config(self, app, *args, **kwargs):
    _bench_init(self, _bench_stamped(app), *args, **kwargs)
_bench_uvicorn.Config.__init__ = _bench_config
try:  # the modal handler is about to build the view and call views.open
    from app.slack import interactions as _bench_ix
    _bench_open = _bench_ix.Interactions._open
    async def _bench_open_stamped(self, payload, *args, **kwargs):
        _bench_stamp("open:" + str(payload.get("trigger_id")))
        return await _bench_open(self, payload, *args, **kwargs)
    _bench_ix.Interactions._open = _bench_open_stamped
except (ImportError, AttributeError):  # a tree without that method: no handler stamps
    pass
"""


def _receipt_prelude(path: Path) -> str:
    return _RECEIPT_PRELUDE % {"path": str(path), "header": RECEIPT_HEADER.lower().encode()}


def read_receipts(path: Path) -> dict[str, float]:
    """`X-Bench-Id` -> when the app got that request (perf_counter; the first time, if replayed)."""
    found: dict[str, float] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            key, _, stamp = line.rpartition(" ")
            if key:
                found.setdefault(key, float(stamp))
    return found


class Reactions:
    """Signed `reaction_added` deliveries (reaction `ticket` by U0ALICE in C0PLATSUP) for given messages.

    Another `emoji` (one the template does not route) makes deliveries the service only records.
    """

    def __init__(self, secret: str, emoji: str = REACTION) -> None:
        self._secret = secret
        template = compile_template(load_base_payload()[0])
        field = f'"reaction":{json.dumps(REACTION)}'
        if template.count(field) != 1:
            raise ValueError("the reaction template must name its emoji exactly once")
        self._template = template.replace(field, f'"reaction":{json.dumps(emoji)}')
        self._tag = secrets.token_hex(3).upper()
        self._issued = 0

    def signed(self, message_ts: str) -> tuple[bytes, dict[str, str]]:
        self._issued += 1
        now = time.time()
        timestamp = str(int(now))
        body = self._template % {
            "event_id": f"Ev{self._tag}{self._issued:08d}",
            "item_ts": message_ts,
            "event_ts": f"{now:.6f}",
            "event_time": int(now),
        }
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(self._secret, timestamp, body),
        }
        return body.encode(), headers


def send_burst(
    port: int, secret: str, messages: list[str], concurrency: int
) -> list[tuple[int, float, float, int]]:
    """POST a reaction to each message, `concurrency` at a time (meant for a process of its own).

    Returns (status, start, end, resends) per delivery, on the `time.perf_counter()` clock; a
    transport error is answered the way Slack does: the same event again, marked as a retry.
    aiohttp, not httpx: httpx's async pool tops out near 70 requests/s here at 32 connections
    (aiohttp does ~1,000 against the same server), which would be measured as slow acks.
    """

    async def run() -> list[tuple[int, float, float, int]]:
        reactions = Reactions(secret)
        url = f"http://127.0.0.1:{port}/slack/events"
        gate = asyncio.Semaphore(concurrency)
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def send(ts: str) -> tuple[int, float, float, int]:
                async with gate:
                    body, headers = reactions.signed(ts)
                    start = time.perf_counter()
                    for retry in range(4):
                        try:
                            async with session.post(url, data=body, headers=headers) as response:
                                await response.read()
                                return response.status, start, time.perf_counter(), retry
                        except (aiohttp.ClientError, TimeoutError):
                            headers = {**headers, "X-Slack-Retry-Num": str(retry + 1)}
                            headers["X-Slack-Retry-Reason"] = "http_error"
                    return 0, start, time.perf_counter(), 4

            return list(await asyncio.gather(*(send(ts) for ts in messages)))

    return asyncio.run(run())


def post_message(slack: FakeSlack, text: str) -> str:
    return slack.post_user_message(CHANNEL, REQUESTER, text)


def bot_replied(slack: FakeSlack, ts: str) -> bool:
    """The bot has replied in the message's thread (O(1): the fake keeps reply users on the parent)."""
    with slack.lock:
        return slack.state.bot_user_id in slack.state.message(CHANNEL, ts).reply_users


def bot_reacted(slack: FakeSlack, ts: str, name: str = "eyes") -> bool:
    with slack.lock:
        return slack.state.bot_user_id in slack.state.message(CHANNEL, ts).reactions.get(name, [])


def max_overlap(calls: list[Call]) -> int:
    """The largest number of these calls in flight at one instant."""
    events = sorted([(c.start, 1) for c in calls] + [(c.end, -1) for c in calls])
    peak = current = 0
    for _, step in events:  # at equal times an end (-1) sorts first: touching calls do not overlap
        current += step
        peak = max(peak, current)
    return peak


def send_paced(
    port: int,
    secret: str,
    messages: list[str],
    rate: float,
    t_start: float,
    connections: int = 64,
    emoji: str = REACTION,
    receipt_prefix: str | None = None,
) -> tuple[list[tuple[int, float, float, float]], float]:
    """POST one reaction per message at a steady `rate`/s from `t_start` (meant for a process of its own).

    Open loop: delivery i is due at `t_start + i / rate` whether or not earlier ones were answered,
    as Slack sends them; a sender that fell behind catches up at once rather than lowering the rate.
    At most `connections` are in flight; a delivery waiting for a connection counts that wait in its
    ack time. With `receipt_prefix`, each delivery carries `X-Bench-Id: <prefix><message ts>` so that
    a service started with receipts stamps when it got it. Returns ((status, due, start, end) per
    delivery, status 0 for a transport error; the process's CPU seconds), times on the
    `time.perf_counter()` clock shared with the caller.
    """

    async def run() -> list[tuple[int, float, float, float]]:
        reactions = Reactions(secret, emoji)
        url = f"http://127.0.0.1:{port}/slack/events"
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def send(ts: str, due: float) -> tuple[int, float, float, float]:
                body, headers = reactions.signed(ts)
                if receipt_prefix is not None:
                    headers = {**headers, RECEIPT_HEADER: receipt_prefix + ts}
                start = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        return response.status, due, start, time.perf_counter()
                except (aiohttp.ClientError, TimeoutError):
                    return 0, due, start, time.perf_counter()

            tasks = []
            for i, ts in enumerate(messages):
                due = t_start + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(ts, due)))
            return list(await asyncio.gather(*tasks))

    cpu0 = time.process_time()
    sent = asyncio.run(run())
    return sent, time.process_time() - cpu0
