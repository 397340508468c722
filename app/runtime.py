"""Wiring: builds the engine, writer, adapters, dispatcher and worker from the settings.

One `Runtime` per process. `start()`/`stop()` are called by the FastAPI lifespan (serve) or by
the `worker` command. Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text

from app.adapters.bm25_ranker import bm25_ranker
from app.adapters.jira_tracker import JiraTracker, client_factory
from app.adapters.slack_chat import SlackChat, make_client
from app.config.faq_source import FaqLibrary, FaqWatcher
from app.config.template import Template
from app.jira_webhook import JiraWebhookEndpoint
from app.reports.jira_access import search_for
from app.scheduler import Scheduler
from app.settings import Settings
from app.slack.dispatch import Dispatcher
from app.slack.http import SlackEventsEndpoint
from app.slack.interactions import InteractionDeps, Interactions
from app.slack.socket_mode import SocketModeTransport
from app.store.db import create_db_engine
from app.store.group_commit import GroupCommitWriter
from app.store.sqlite_sync import WalBarrier
from app.worker.digest import DigestJobs
from app.worker.intake import IntakeJobs
from app.worker.loop_thread import LoopThread
from app.worker.runner import Worker, WorkerConfig
from app.worker.sync_context import SyncContext
from app.worker.sync_jobs import redirect_handlers, sync_handlers
from app.worker.ticket_jobs import IntakeContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connections:
    """Where Slack and Jira are, after the sandbox (if any) has filled in what was missing."""

    signing_secret: str
    slack_token: str
    slack_api_url: str
    jira_url: str
    jira_email: str | None
    jira_api_token: str | None
    jira_pat: str | None
    slack_app_token: str | None = None  # `xapp-`, for Socket Mode


def connections_from(settings: Settings) -> Connections:
    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value is not None else None

    return Connections(
        signing_secret=secret(settings.slack_signing_secret) or "",
        slack_token=secret(settings.slack_bot_token) or "",
        slack_api_url=settings.slack_api_url,
        jira_url=settings.jira_url or "",
        jira_email=settings.jira_email,
        jira_api_token=secret(settings.jira_api_token),
        jira_pat=secret(settings.jira_pat),
        slack_app_token=secret(settings.slack_app_token),
    )


def _metadata_secret(conn: Connections) -> str:
    """The signing secret; a Socket Mode app without one signs with its app-level token."""
    return conn.signing_secret or conn.slack_app_token or ""


def socket_mode_transport(conn: Connections, dispatcher: Dispatcher) -> SocketModeTransport:
    if not conn.slack_app_token:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (an app-level xapp- token)")
    return SocketModeTransport(
        app_token=conn.slack_app_token, api_url=conn.slack_api_url, dispatcher=dispatcher
    )


def metadata_key(signing_secret: str) -> bytes:
    """Key that signs button values and private_metadata; derived so no extra secret is needed."""
    return hashlib.sha256(b"interrupt-bridge/metadata/v1:" + signing_secret.encode()).digest()


@dataclass
class Runtime:
    settings: Settings
    template: Callable[[], Template]
    connections: Connections
    run_worker: bool = True
    socket_mode: bool = False  # receive Slack over Socket Mode as well (SLACK_APP_TOKEN)
    # the worker loop's nice increment: `serve` passes WORKER_NICE, so requests come first
    worker_nice: int = 0
    clock: Callable[[], float] = time.time
    engine: Engine = field(init=False)
    writer: GroupCommitWriter = field(init=False)
    chat: SlackChat = field(init=False)
    worker_chat: SlackChat = field(init=False)
    """The worker's own Slack session: it runs on the worker loop (see `app.worker.loop_thread`)."""
    tracker: JiraTracker = field(init=False)
    worker: Worker = field(init=False)
    dispatcher: Dispatcher = field(init=False)
    interactions: Interactions = field(init=False)
    faq: FaqLibrary = field(init=False)
    faq_watcher: FaqWatcher = field(init=False)
    _faq_task: asyncio.Task[None] | None = field(init=False, default=None)
    scheduler: Scheduler = field(init=False)
    bot_user_id: str | None = field(init=False, default=None)
    _worker_loop: LoopThread | None = field(init=False, default=None)
    _socket: SocketModeTransport | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        settings, conn = self.settings, self.connections
        self.engine = create_db_engine(settings.database_url, pool_size=settings.worker_concurrency + 4)
        self.chat = SlackChat(make_client(token=conn.slack_token, base_url=conn.slack_api_url))
        self.worker_chat = SlackChat(make_client(token=conn.slack_token, base_url=conn.slack_api_url))
        self.tracker = JiraTracker(
            client_factory(
                url=conn.jira_url,
                email=conn.jira_email,
                api_token=conn.jira_api_token,
                pat=conn.jira_pat,
                timeout_s=settings.jira_timeout_s,
            ),
            base_url=conn.jira_url,
            concurrency=settings.jira_concurrency,
        )
        self.faq = FaqLibrary(settings.bridge_config, self.template(), bm25_ranker)
        self.faq_watcher = FaqWatcher(self.faq, every_s=settings.faq_reload_s)
        intake_ctx = IntakeContext(
            engine=self.engine,
            chat=self.worker_chat,
            tracker=self.tracker,
            template=self.template,
            metadata_key=metadata_key(_metadata_secret(conn)),
            clock=self.clock,
            faq=self.faq,
        )
        sync_ctx = SyncContext(intake=intake_ctx, tracker=self.tracker)
        # Redirect replies and edits carry the status and SLA line; Jira and thread sync; SLA scans.
        handlers = {
            **IntakeJobs(intake_ctx).handlers(),
            **redirect_handlers(sync_ctx),
            **sync_handlers(sync_ctx),
            **DigestJobs(
                engine=self.engine,
                chat=self.worker_chat,
                template=self.template,
                search=lambda: search_for(conn, timeout_s=settings.jira_timeout_s),
                clock=self.clock,
            ).handlers(),
        }
        self.worker = Worker(
            self.engine,
            handlers,
            config=WorkerConfig(
                concurrency=settings.worker_concurrency,
                lease_s=settings.job_lease_s,
                retry_window_s=settings.job_retry_window_s,
                poll_s=settings.worker_poll_s,
                release_delay_s=settings.jira_timeout_s,
            ),
            clock=self.clock,
        )
        # Enqueues rotation handoffs; runs wherever the worker runs (every replica: jobs dedupe).
        self.scheduler = Scheduler(
            self.engine, self.template, clock=self.clock, on_enqueue=self.worker.wake_threadsafe
        )
        self.writer = GroupCommitWriter(
            self.engine,
            on_commit=self.worker.wake_threadsafe if self.run_worker else None,
            barrier=WalBarrier.for_engine(self.engine),
        )
        self.interactions = Interactions(
            InteractionDeps(
                template=self.template,
                chat=self.chat,
                writer=self.writer,
                engine=self.engine,
                metadata_key=metadata_key(_metadata_secret(conn)),
                command=settings.slack_command,
                clock=self.clock,
                faq=self.faq,
            )
        )
        self.dispatcher = Dispatcher(
            interactions=self.interactions,
            template=self.template,
            writer=self.writer,
            bot_user_id=lambda: self.bot_user_id,
            clock=self.clock,
        )

    def jira_webhook_endpoint(self) -> JiraWebhookEndpoint:
        """`POST /jira/webhook`; without JIRA_WEBHOOK_SECRET every delivery is refused (401)."""
        secret = self.settings.jira_webhook_secret
        return JiraWebhookEndpoint(
            secret=secret.get_secret_value() if secret else None, writer=self.writer, clock=self.clock
        )

    def slack_endpoint(self) -> SlackEventsEndpoint:
        # Without a signing secret (a Socket Mode app) no HTTP delivery can be verified: a random
        # key nobody knows makes every one a 401.
        verifier = SignatureVerifier(self.connections.signing_secret or secrets.token_hex(32))
        return SlackEventsEndpoint(verifier=verifier, dispatcher=self.dispatcher)

    async def start(self) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):  # no SIGHUP here
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.faq_watcher.poke)
        self._faq_task = asyncio.create_task(self.faq_watcher.run(), name="faq-watcher")
        await self.chat.open()
        self.writer.start()
        if self.socket_mode:
            self._socket = socket_mode_transport(self.connections, self.dispatcher)
            await self._socket.start()
        if self.run_worker:
            # the worker and the scheduler get a loop of their own, so that a request never waits
            # behind job bookkeeping (app.worker.loop_thread)
            self._worker_loop = LoopThread(
                "worker-loop",
                services=[self.worker.run, self.scheduler.run],
                open_resources=self.worker_chat.open,
                close_resources=self.worker_chat.close,
                nice=self.worker_nice,
            )
            await asyncio.to_thread(self._worker_loop.start)
        else:
            await self.worker_chat.open()  # `jobs drain` and tests run jobs on this loop
        with contextlib.suppress(Exception):  # Slack may be down at start; the worker checks again
            self.bot_user_id = (await asyncio.wait_for(self.chat.bot_identity(), timeout=5)).user_id

    async def stop(self, *, grace_s: float | None = None) -> None:
        """Stop scheduling and claiming; jobs in flight get `grace_s` (WORKER_SHUTDOWN_GRACE_SECONDS)."""
        if grace_s is None:
            grace_s = self.settings.worker_shutdown_grace_s
        if self._socket is not None:  # first stop receiving; unacknowledged envelopes come again
            await self._socket.stop()
        if self._worker_loop is not None:

            async def shutdown() -> None:
                self.scheduler.stop()
                await self.worker.stop(grace_s=grace_s)

            await self._worker_loop.stop(shutdown, timeout_s=grace_s + 10)
        else:
            await self.worker_chat.close()
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if self._faq_task is not None:
            self.faq_watcher.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await self._faq_task
        self.writer.stop()
        await self.chat.close()
        self.tracker.close()
        self.engine.dispose()

    async def ready(self) -> tuple[bool, dict[str, str]]:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(asyncio.to_thread(self._ping_db), timeout=3)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["writer"] = "ok" if self.writer.alive else "stopped"
        if self.run_worker:
            running = self._worker_loop is not None and self._worker_loop.alive
            checks["worker"] = "ok" if running and self.worker.alive() else "stalled"
        if self._socket is not None:
            checks["socket_mode"] = "ok" if await self._socket.connected() else "disconnected"
        return all(v == "ok" for v in checks.values()), checks

    def _ping_db(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
