"""The service on the fakes with the SLA and sync handlers, `POST /jira/webhook` and a 24x7 SLA policy.

Until the lead wires them into `Runtime` and the dispatcher, the fixture does that wiring itself the
way the report describes: a tracker with the comments mixin, the sync handlers next to the intake's,
the webhook endpoint mounted, and thread replies enqueued with `thread_message_job` as the dispatcher
will do. Clocks are 24x7 here so that results do not depend on the weekday the tests run on;
business hours are tested with frozen instants in test_business_time.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.adapters.jira_comments import JiraCommentsMixin
from app.adapters.jira_tracker import JiraTracker, client_factory
from app.config.loader import load_template
from app.config.sla import SlaPolicy
from app.runtime import Runtime, metadata_key
from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.slack.thread_events import thread_message_job
from app.store import jobs as job_store
from app.worker.intake import IntakeJobs
from app.worker.runner import Worker, WorkerConfig
from app.worker.sla_jobs import enqueue_sla_scan
from app.worker.sync_context import SyncContext
from app.worker.sync_jobs import Handler, redirect_handlers, sync_handlers
from app.worker.ticket_jobs import IntakeContext
from tests.conftest import EXAMPLE_TEMPLATE, Bridge, FakeClock, connections_for, make_settings
from tests.payloads import reaction_added
from tests.sla.jira_payloads import DONE, IN_PROGRESS, WEBHOOK_SECRET, change, encode, issue_updated, sign

CHANNEL = "C0PLATSUP"

POLICY = SlaPolicy.model_validate(
    {
        "targets": {
            "Highest": {"first_response": "15m", "resolution": "4h", "clock": "24x7"},
            "High": {"first_response": "30m", "resolution": "8h", "clock": "24x7"},
            "Medium": {"first_response": "2h", "resolution": "2d", "clock": "24x7"},
            "Low": {"first_response": "1h", "resolution": "1d", "clock": "24x7"},
        },
        "reminders": [0.75, 1.0],
    }
)


class CommentingTracker(JiraTracker, JiraCommentsMixin):
    """`JiraTracker` with the comments mixin, as the lead will declare it."""


class SyncBridge(Bridge):
    def __init__(
        self,
        runtime: Runtime,
        client: httpx.AsyncClient,
        clock: FakeClock,
        ctx: SyncContext,
        handlers: dict[str, Handler],
    ) -> None:
        super().__init__(runtime, client, clock)
        self.ctx = ctx
        self.handlers = handlers
        self.policy = POLICY

    async def post_jira(
        self,
        payload: dict[str, Any],
        *,
        identifier: str | None = "wh-1",
        signature: str | None = None,
        secret: str = WEBHOOK_SECRET,
    ) -> httpx.Response:
        body = encode(payload)
        headers = {"Content-Type": "application/json", "X-Hub-Signature": signature or sign(body, secret)}
        if identifier is not None:
            headers["X-Atlassian-Webhook-Identifier"] = identifier
        return await self.client.post("/jira/webhook", content=body, headers=headers)

    async def raise_ticket(
        self, fake_slack: FakeSlack, text: str = "The build cache is full"
    ) -> dict[str, Any]:
        """Alice asks, Bob reacts with :ticket:, the jobs run: the ticket row (with its Jira key)."""
        ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", text)
        response = await self.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0BOB"))
        assert response.status_code == 200
        await self.drain()
        [ticket] = [t for t in self.rows("tickets") if t["message_ts"] == ts]
        assert ticket["jira_key"], ticket
        return ticket

    async def resolve_in_jira(
        self, fake_jira: FakeJira, ticket: dict[str, Any], *, identifier: str = "wh-resolved"
    ) -> httpx.Response:
        """Bob resolves the ticket in Jira (In Progress -> Done) and Jira's webhook says so; jobs not run."""
        payload = issue_updated(
            fake_jira,
            ticket["jira_key"],
            by="bob",
            items=[change("resolution", None, DONE), change("status", IN_PROGRESS, DONE)],
            at=self.clock(),
            state=DONE,
        )
        payload["issue_event_type_name"] = "issue_resolved"
        return await self.post_jira(payload, identifier=identifier)

    async def deliver_message(self, event: dict[str, Any], *, event_id: str | None = None) -> bool:
        """What the dispatcher does with a `message` event: enqueue `thread.message` if it may matter."""
        event_id = event_id or "Ev" + uuid.uuid4().hex[:10].upper()
        spec = thread_message_job(event, bot_user_id=self.runtime.bot_user_id, event_id=event_id)
        if spec is None:
            return False
        with self.runtime.engine.begin() as conn:
            job_store.enqueue(conn, spec.kind, spec.payload, now=self.clock(), dedupe_key=spec.dedupe_key)
        return True

    async def scan(self) -> None:
        with self.runtime.engine.begin() as conn:
            enqueue_sla_scan(conn, now=self.clock())
        await self.drain()

    def worker(self, owner: str) -> Worker:
        """Another worker on the same database (another replica, or this one after a restart)."""
        return Worker(
            self.runtime.engine,
            self.handlers,
            config=WorkerConfig(concurrency=8),
            clock=self.clock,
            owner=owner,
        )

    def sla_state(self, ticket_id: str) -> dict[str, Any]:
        [row] = [r for r in self.rows("sla_state") if r["ticket_id"] == ticket_id]
        return row

    def jobs_of(self, kind: str) -> list[dict[str, Any]]:
        return [dict(j, payload=json.loads(j["payload"])) for j in self.rows("jobs") if j["kind"] == kind]


def sync_context(runtime: Runtime, tracker: JiraTracker | CommentingTracker, clock: FakeClock) -> SyncContext:
    assert isinstance(tracker, CommentingTracker)
    intake = IntakeContext(
        engine=runtime.engine,
        chat=runtime.chat,
        tracker=tracker,
        template=runtime.template,
        metadata_key=metadata_key(runtime.connections.signing_secret),
        clock=clock,
    )
    return SyncContext(intake=intake, tracker=tracker, sla=lambda _template: POLICY)


@pytest.fixture
async def sync(database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira) -> AsyncIterator[SyncBridge]:
    clock = FakeClock()
    template = load_template(EXAMPLE_TEMPLATE)
    runtime = Runtime(
        settings=make_settings(database_url, JIRA_WEBHOOK_SECRET=WEBHOOK_SECRET),
        template=lambda: template,
        connections=connections_for(fake_slack, fake_jira),
        run_worker=False,
        clock=clock,
    )
    conn = runtime.connections
    tracker = CommentingTracker(
        client_factory(
            url=conn.jira_url, email=conn.jira_email, api_token=conn.jira_api_token, pat=None, timeout_s=5
        ),
        base_url=conn.jira_url,
        concurrency=4,
    )
    ctx = sync_context(runtime, tracker, clock)
    handlers = {**IntakeJobs(ctx.intake).handlers(), **redirect_handlers(ctx), **sync_handlers(ctx)}
    runtime.worker = Worker(runtime.engine, handlers, config=WorkerConfig(concurrency=8), clock=clock)
    from app.main import create_served_app

    app = create_served_app(runtime)  # the served stack, with `POST /jira/webhook` mounted by the app
    await runtime.start()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bridge.test") as client:
        yield SyncBridge(runtime, client, clock, ctx, handlers)
    await runtime.stop()
    tracker.close()
