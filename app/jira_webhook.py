"""`POST /jira/webhook`: Jira admin webhooks, verified and recorded before they are acknowledged.

A raw ASGI endpoint like `app.slack.http.SlackEventsEndpoint`: the body is read with a size cap (413),
`X-Hub-Signature: sha256=<hex>` is checked against HMAC-SHA256(JIRA_WEBHOOK_SECRET, raw body) in
constant time (401, nothing stored), the JSON is parsed (400). A delivery about an issue the bridge
tracks is stored with its `X-Atlassian-Webhook-Identifier` (stable across Jira's redeliveries, so a
redelivery is recognised and acknowledged without a second job) and its `jira.event` job, in one
committed transaction, before the 200. A delivery that could not be stored gets a 503: Jira retries.
Events the bridge does not handle and issues it does not track are acknowledged and not stored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import Connection

from app.asgi_body import BodyTooLarge, Receive, Scope, Send, read_body
from app.domain.jira_events import HANDLED_EVENTS, issue_key_and_labels, webhook_event
from app.observability.metrics import count_delivery
from app.store import jobs as job_store
from app.store import sync as sync_store
from app.store.group_commit import GroupCommitWriter
from app.worker.sync_context import SyncJobKind

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_PREFIX = b"sha256="


class Outcome(StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    UNTRACKED = "untracked"  # not an issue the bridge raised
    IGNORED = "ignored"  # an event the bridge does not handle


def signature_ok(secret: bytes, body: bytes, header: bytes) -> bool:
    """`X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, compared in constant time."""
    if not secret or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.digest(secret, body, "sha256").hex().encode()
    return hmac.compare_digest(expected, header[len(SIGNATURE_PREFIX) :].strip().lower())


class JiraWebhookEndpoint:
    def __init__(
        self,
        *,
        secret: str | None,
        writer: GroupCommitWriter,
        clock: Callable[[], float],
        max_body: int = MAX_BODY_BYTES,
        on_recorded: Callable[[], None] | None = None,
    ) -> None:
        self._secret = (secret or "").encode()
        self._writer = writer
        self._clock = clock
        self._max_body = max_body
        self._on_recorded = on_recorded
        if not self._secret:
            log.warning("JIRA_WEBHOOK_SECRET is not set: every Jira webhook is refused")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            count_delivery("jira", "unknown", "method_not_allowed")
            await _respond(send, 405, {"ok": False, "error": "use POST"}, extra=[(b"allow", b"POST")])
            return
        headers = {name.lower(): value for name, value in scope["headers"]}
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self._max_body):
            count_delivery("jira", "unknown", "too_large")
            await _respond(send, 413, {"ok": False, "error": f"body larger than {self._max_body} bytes"})
            return
        try:
            body = await read_body(receive, self._max_body)
        except BodyTooLarge:
            count_delivery("jira", "unknown", "too_large")
            await _respond(send, 413, {"ok": False, "error": f"body larger than {self._max_body} bytes"})
            return
        if not signature_ok(self._secret, body, headers.get(b"x-hub-signature", b"")):
            count_delivery("jira", "unknown", "bad_signature")
            await _respond(send, 401, {"ok": False, "error": "invalid or missing X-Hub-Signature"})
            return
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            count_delivery("jira", "unknown", "bad_request")
            await _respond(send, 400, {"ok": False, "error": f"body is not valid JSON: {exc}"})
            return
        if not isinstance(payload, dict):
            count_delivery("jira", "unknown", "bad_request")
            await _respond(send, 400, {"ok": False, "error": "body must be a JSON object"})
            return
        identifier = headers.get(b"x-atlassian-webhook-identifier", b"").decode("latin-1").strip()
        # Without the header (older Data Center), identical bodies are the same delivery.
        identifier = identifier[:128] or "sha256:" + hashlib.sha256(body).hexdigest()
        try:
            outcome = await self._record(identifier, payload, body)
        except Exception:
            log.exception("could not record Jira delivery", extra={"jira.webhook_id": identifier})
            count_delivery("jira", _event_label(payload), "not_recorded")
            await _respond(
                send, 503, {"ok": False, "error": "could not record the delivery; Jira will retry"}
            )
            return
        if outcome is Outcome.RECORDED and self._on_recorded is not None:
            self._on_recorded()
        count_delivery("jira", _event_label(payload), outcome.value)
        log.info(
            "jira webhook",
            extra={
                "jira.webhook_id": identifier,
                "jira.key": issue_key_and_labels(payload)[0],
                "jira.event": webhook_event(payload),
                "outcome": outcome.value,
            },
        )
        await _respond(send, 200, {"ok": True, "outcome": outcome.value})

    async def _record(self, identifier: str, payload: dict[str, Any], body: bytes) -> Outcome:
        event = webhook_event(payload)
        key, labels = issue_key_and_labels(payload)
        if event not in HANDLED_EVENTS or key is None:
            return Outcome.IGNORED
        now, text = self._clock(), body.decode("utf-8", "replace")

        def unit(conn: Connection) -> Outcome:
            ticket = sync_store.ticket_for_issue(conn, issue_key=key, labels=labels)
            if ticket is None:
                return Outcome.UNTRACKED
            delivery_id = sync_store.record_jira_delivery(
                conn,
                identifier=identifier,
                event=event,
                issue_key=key,
                ticket_id=ticket.id,
                body=text,
                now=now,
            )
            if delivery_id is None:
                return Outcome.DUPLICATE
            kind = SyncJobKind.JIRA_EVENT
            job_store.enqueue(
                conn, kind, {"delivery_id": delivery_id}, now=now, dedupe_key=f"{kind}:{identifier}"
            )
            return Outcome.RECORDED

        return await self._writer.submit(unit)


def _event_label(payload: dict[str, Any]) -> str:
    """The metric label of a delivery's event: one the bridge handles, or `other` (unbounded)."""
    event = webhook_event(payload)
    return event if event in HANDLED_EVENTS else "other"


async def _respond(
    send: Send, status: int, data: dict[str, Any], *, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = orjson.dumps(data)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
