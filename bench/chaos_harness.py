"""The chaos harness: the sandbox fakes, a database, a restartable `serve` process, a Slack-like
sender, and the counts one batch of requests leaves behind. The scenarios are in bench/chaos.py."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, FakeJira
from app.sandbox.fake_slack import DEFAULT_BOT_TOKEN, FakeSlack
from bench.server_proc import ServerProcess, free_port
from bench.signed_events import CHANNEL, compile_template, load_base_payload, sign

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = REPO_ROOT / "deploy" / "bridge.example.yaml"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUESTER = "U0CAROL"
CREATE = r"^/rest/api/2/issue$"
TICKET_JOBS = "ticket.%"


@dataclass(frozen=True)
class Profile:
    """How hard each scenario pushes: `short` is CI's sample, `long` is the run by hand."""

    name: str
    batch: int  # requests per fault scenario
    fault_s: float  # how long an outage lasts
    jira_timeout_s: float  # JIRA_TIMEOUT_SECONDS of the service
    jira_slow_s: float  # how late the slow Jira answers (always above the timeout)
    kill_tickets: int  # requests in the kill -9 run
    kills: int  # kill -9 + restart during that run
    settle_s: float  # how long a batch may take to settle


SHORT = Profile("short", batch=6, fault_s=2.0, jira_timeout_s=1.0, jira_slow_s=2.0,
                kill_tickets=30, kills=2, settle_s=45.0)  # fmt: skip
LONG = Profile("long", batch=40, fault_s=10.0, jira_timeout_s=5.0, jira_slow_s=10.0,
               kill_tickets=200, kills=6, settle_s=240.0)  # fmt: skip


@dataclass
class Outcome:
    """What one scenario left behind."""

    scenario: str
    requests: int
    acked: int = 0
    with_one_issue: int = 0
    duplicate_issues: int = 0
    missing_issues: int = 0
    with_one_reply: int = 0
    duplicate_replies: int = 0
    missing_replies: int = 0
    jobs: dict[str, int] = field(default_factory=dict)
    stuck_jobs: int = 0
    dead_jobs: int = 0
    retried_jobs: int = 0  # jobs that needed more than one attempt
    faults_hit: int = 0  # requests the injected fault answered (or -1: not countable)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.acked == self.requests
            and self.with_one_issue == self.requests
            and self.with_one_reply == self.requests
            and self.stuck_jobs == 0
        )

    def line(self) -> str:
        jobs = " ".join(f"{k}={v}" for k, v in sorted(self.jobs.items()))
        verdict = "OK  " if self.ok else "FAIL"
        return (
            f"{verdict} {self.scenario:<24} requests={self.requests} acked={self.acked} "
            f"one-issue={self.with_one_issue} dup-issues={self.duplicate_issues} "
            f"no-issue={self.missing_issues} one-reply={self.with_one_reply} "
            f"dup-replies={self.duplicate_replies} no-reply={self.missing_replies} "
            f"jobs[{jobs}] stuck={self.stuck_jobs} dead={self.dead_jobs} retried={self.retried_jobs} "
            f"faults-hit={self.faults_hit} {self.seconds:.1f}s"
            + (f" ({'; '.join(self.notes)})" if self.notes else "")
        )


class Database:
    """A SQLite file, or a fresh PostgreSQL schema whose connections carry a unique application_name."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.schema: str | None = None
        tag = os.urandom(5).hex()
        self.application_name = f"ib_chaos_{tag}"
        if kind == "sqlite":
            self.path: Path | None = workdir / "bridge.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.path = None
            self.schema = f"chaos_{tag}"
            with self._admin().begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))
            query = f"options=-csearch_path%3D{self.schema}&application_name={self.application_name}"
            self.url = f"{POSTGRES_URL}?{query}"
        self.engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)

    def _admin(self) -> sa.Engine:
        return sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)

    def query(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        for attempt in range(20):  # our own reads may meet the faults we inject
            try:
                with self.engine.connect() as conn:
                    return list(conn.execute(sa.text(sql), params).all())
            except sa.exc.OperationalError:
                if attempt == 19:
                    raise
                time.sleep(0.25)
        raise AssertionError("unreachable")

    def terminate_service_connections(self) -> int:
        """`pg_terminate_backend` on every connection of the service (ours have another name)."""
        with self._admin().connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.application_name},
            ).all()
        return sum(1 for (done,) in rows if done)

    @contextmanager
    def sqlite_write_lock(self) -> Iterator[None]:
        """Another connection holding SQLite's write lock (`BEGIN IMMEDIATE`) for the block's duration."""
        assert self.path is not None
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    def drop(self) -> None:
        self.engine.dispose()
        if self.schema is not None:
            with self._admin().begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{self.schema}" CASCADE'))


class Service:
    """`python -m app serve` on the fakes, restartable on the same database; kill -9 only our own."""

    def __init__(
        self,
        slack: FakeSlack,
        jira: FakeJira,
        db: Database,
        workdir: Path,
        profile: Profile,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.secret = os.urandom(16).hex()
        self.db = db
        self.workdir = workdir
        self.port = free_port()
        self.starts = 0
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
            "SLACK_SIGNING_SECRET": self.secret,
            "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
            "SLACK_API_URL": f"{slack.base_url}/api/",
            "JIRA_URL": jira.base_url,
            "JIRA_EMAIL": DEFAULT_EMAIL,
            "JIRA_API_TOKEN": DEFAULT_API_TOKEN,
            "DATABASE_URL": db.url,
            "BRIDGE_CONFIG": str(TEMPLATE),
            "JIRA_TIMEOUT_SECONDS": str(profile.jira_timeout_s),
            # A killed worker's jobs come back soon, but never while a live worker still waits on
            # Jira: leases are not renewed, so a job outliving its lease would run twice at once.
            "JOB_LEASE_SECONDS": str(4 * profile.jira_timeout_s + 2),
            "WORKER_POLL_SECONDS": "0.2",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.process: ServerProcess | None = None

    def start(self) -> None:
        self.starts += 1
        argv = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        log = self.workdir / f"serve-{self.starts}.log"
        self.process = ServerProcess(argv, env=self.env, cwd=REPO_ROOT, log_path=log, cpu=None)
        try:
            self.process.wait_ready(self.port, "/readyz", timeout_s=60)
        except Exception:
            print(self.process.log_tail(40), file=sys.stderr)
            raise

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.proc.pid, signal.SIGKILL)  # its own session: only what we started
        self.process.proc.wait(timeout=10)
        self.process.stop()  # closes the log file

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(grace_s=20)

    def log_tail(self, lines: int = 30) -> str:
        return self.process.log_tail(lines) if self.process is not None else ""

    def log_lines(self) -> list[str]:
        """Every line the service has logged, over all its starts."""
        if self.process is not None:
            self.process.log_tail(0)  # flushes
        logs = sorted(self.workdir.glob("serve-*.log"))
        return [line for path in logs for line in path.read_text(errors="replace").splitlines()]

    def rss_bytes(self) -> int:
        """Resident memory of the serving process (VmRSS)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0


class Sender:
    """Sends one signed reaction per message ts, resending each until it gets a 200 (as Slack does)."""

    def __init__(self, service: Service, deadline_s: float) -> None:
        self._service = service
        self._template = compile_template(load_base_payload()[0])
        self._tag = os.urandom(3).hex().upper()
        self._deadline_s = deadline_s
        self.acked: set[str] = set()
        self.attempts = 0
        self.statuses: Counter[int] = Counter()
        self.slowest_ack_s = 0.0

    def body(self, index: int, ts: str) -> str:
        now = time.time()
        return self._template % {
            "event_id": f"Ev{self._tag}{index:06d}",
            "item_ts": ts,
            "event_ts": f"{now:.6f}",
            "event_time": int(now),
        }

    def run(self, messages: list[str], concurrency: int = 8, spacing_s: float = 0.0) -> None:
        """Send them all; with `spacing_s`, the i-th delivery starts no earlier than i * spacing_s."""
        asyncio.run(self._run(messages, concurrency, spacing_s))

    async def _run(self, messages: list[str], concurrency: int, spacing_s: float) -> None:
        gate = asyncio.Semaphore(concurrency)
        deadline = time.monotonic() + self._deadline_s
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=35)) as session:

            async def send(index: int, ts: str) -> None:
                body = self.body(index, ts)
                await asyncio.sleep(index * spacing_s)
                async with gate:
                    for retry in range(10_000):
                        if time.monotonic() > deadline:
                            return
                        stamp = str(int(time.time()))
                        headers = {
                            "Content-Type": "application/json",
                            "X-Slack-Request-Timestamp": stamp,
                            "X-Slack-Signature": sign(self._service.secret, stamp, body),
                        }
                        if retry:
                            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
                        url = f"http://127.0.0.1:{self._service.port}/slack/events"
                        self.attempts += 1
                        sent = time.monotonic()
                        try:
                            async with session.post(url, data=body.encode(), headers=headers) as response:
                                await response.read()
                                self.statuses[response.status] += 1
                                if response.status == 200:
                                    self.slowest_ack_s = max(self.slowest_ack_s, time.monotonic() - sent)
                                    self.acked.add(ts)
                                    return
                        except (aiohttp.ClientError, TimeoutError):
                            self.statuses[0] += 1
                        await asyncio.sleep(0.3)

            await asyncio.gather(*(send(i, ts) for i, ts in enumerate(messages)))


class Chaos:
    """Fakes, one database and one service, shared by the scenarios that run against them."""

    def __init__(
        self, profile: Profile, db_kind: str = "sqlite", extra_env: dict[str, str] | None = None
    ) -> None:
        self.profile = profile
        self._tmp = tempfile.TemporaryDirectory(prefix="ib-chaos-")
        self.workdir = Path(self._tmp.name)
        self.slack = FakeSlack.with_demo_data(bot_token=DEFAULT_BOT_TOKEN)
        self.jira = FakeJira.with_demo_data(deployment="cloud")
        self.slack.start()
        self.jira.start()
        self.db = Database(db_kind, self.workdir)
        self.service = Service(self.slack, self.jira, self.db, self.workdir, profile, extra_env)
        self.service.start()

    def close(self) -> None:
        try:
            self.service.stop()
        finally:
            self.slack.stop()
            self.jira.stop()
            self.db.drop()
            self._tmp.cleanup()

    # -- one batch ------------------------------------------------------------------------------
    def messages(self, n: int, label: str) -> list[str]:
        return [
            self.slack.post_user_message(CHANNEL, REQUESTER, f"{label} request {i}: it broke")
            for i in range(n)
        ]

    def run(
        self,
        scenario: str,
        n: int,
        during: Callable[[], None],
        *,
        concurrency: int = 8,
        spacing_s: float = 0.0,
        linger_s: float = 0.0,
    ) -> Outcome:
        """Send `n` reactions while `during()` injects and lifts the fault, then settle and count."""
        started = time.monotonic()
        messages = self.messages(n, scenario)
        sender = Sender(self.service, deadline_s=self.profile.settle_s)
        thread = threading.Thread(target=sender.run, args=(messages, concurrency, spacing_s), daemon=True)
        thread.start()
        during()
        thread.join(timeout=self.profile.settle_s + 10)
        self.settle(messages)
        if linger_s:  # late effects of the fault (a slow answer landing) must not add anything
            time.sleep(linger_s)
            self.settle(messages)
        outcome = self.count(scenario, messages, sender)
        outcome.seconds = time.monotonic() - started
        statuses = ",".join(f"{k or 'conn-error'}:{v}" for k, v in sorted(sender.statuses.items()))
        outcome.notes.insert(0, f"deliveries {statuses}, slowest ack {sender.slowest_ack_s:.2f}s")
        return outcome

    def settle(self, messages: list[str]) -> None:
        """Wait (at most `settle_s`) until every message has a reply and no ticket job is open."""
        deadline = time.monotonic() + self.profile.settle_s
        while time.monotonic() < deadline:
            if self._replied(messages) == len(messages) and not self._open_ticket_jobs(messages):
                return
            time.sleep(0.25)

    def _replied(self, messages: list[str]) -> int:
        return sum(1 for ts in messages if self._bot_replies(ts))

    def _bot_replies(self, ts: str) -> int:
        return sum(1 for m in self.slack.thread(CHANNEL, ts) if m.get("bot_id") and m.get("ts") != ts)

    def _tickets(self, messages: list[str]) -> dict[str, sa.Row[Any]]:
        rows = self.db.query(
            "SELECT id, message_ts, marker, jira_key FROM tickets WHERE channel_id = :c", c=CHANNEL
        )
        wanted = set(messages)
        return {row.message_ts: row for row in rows if row.message_ts in wanted}

    def _open_ticket_jobs(self, messages: list[str]) -> int:
        rows = self.db.query(
            "SELECT count(*) FROM jobs WHERE kind LIKE :k AND state NOT IN ('done', 'dead')", k=TICKET_JOBS
        )
        return int(rows[0][0])

    def count(self, scenario: str, messages: list[str], sender: Sender) -> Outcome:
        outcome = Outcome(scenario, len(messages), acked=len(sender.acked & set(messages)))
        tickets = self._tickets(messages)
        labels: Counter[str] = Counter()
        for issue in self.jira.issues():
            for label in issue["fields"].get("labels", []):
                if label.startswith("ib-"):
                    labels[label] += 1
        for ts in messages:
            ticket = tickets.get(ts)
            issues = labels.get(ticket.marker, 0) if ticket is not None else 0
            outcome.with_one_issue += issues == 1
            outcome.duplicate_issues += max(0, issues - 1)
            outcome.missing_issues += issues == 0
            replies = self._bot_replies(ts)
            outcome.with_one_reply += replies == 1
            outcome.duplicate_replies += max(0, replies - 1)
            outcome.missing_replies += replies == 0
        ids = [t.id for t in tickets.values()]
        jobs = self.db.query(
            "SELECT kind, state, attempts, payload FROM jobs WHERE kind LIKE :k", k=TICKET_JOBS
        )
        mine = [j for j in jobs if any(i in j.payload for i in ids)]
        outcome.jobs = dict(Counter(j.state for j in mine))
        outcome.stuck_jobs = sum(1 for j in mine if j.state not in ("done", "dead"))
        outcome.dead_jobs = outcome.jobs.get("dead", 0)
        outcome.retried_jobs = sum(1 for j in mine if j.attempts > 1)
        return outcome
