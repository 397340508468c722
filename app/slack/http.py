"""The HTTP transport for Slack: `POST /slack/events` as a raw ASGI endpoint.

It reads the body with a size cap (413 before reading more than the cap), verifies the signature
over the raw bytes, parses one typed request and hands it to the dispatcher. It is a plain ASGI
callable rather than a FastAPI route because it sits on the hottest path: no dependency
injection, no body re-parsing.
"""

from __future__ import annotations

import hmac
import logging

import orjson
from slack_sdk.signature import SignatureVerifier

from app.asgi_body import ASGIApp, BodyTooLarge, Receive, Scope, Send, read_body
from app.observability.metrics import count_delivery
from app.slack.dispatch import EMPTY_ACK, Ack, Dispatcher
from app.slack.requests import (
    BadRequest,
    EventCallback,
    Interaction,
    OtherEnvelope,
    SlackRequest,
    SlashCommand,
    parse_request,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_WINDOW_S = 60 * 5  # Slack's replay window, as slack_sdk's SignatureVerifier applies it


class SlackFastPath:
    """ASGI wrapper that sends `path` straight to the Slack endpoint and everything else to `app`.

    The ack path is the one route that must be fast; the framework's middleware stack and router
    cost more per request than the endpoint's own work, so the hot route skips them.
    """

    def __init__(self, app: ASGIApp, endpoint: ASGIApp, *, path: str = "/slack/events") -> None:
        self._app = app
        self._endpoint = endpoint
        self._path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self._path:
            await self._endpoint(scope, receive, send)
        else:
            await self._app(scope, receive, send)


class SlackEventsEndpoint:
    def __init__(
        self, *, verifier: SignatureVerifier, dispatcher: Dispatcher, max_body: int = MAX_BODY_BYTES
    ) -> None:
        self._verifier = verifier
        self._key = verifier.signing_secret.encode()
        self._dispatcher = dispatcher
        self._max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = _headers(scope)
        if scope["method"] != "POST":
            count_delivery("slack", "unknown", "method_not_allowed")
            await _respond(send, _error(405, "use POST"), extra=[(b"allow", b"POST")])
            return
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self._max_body):
            count_delivery("slack", "unknown", "too_large")
            await _respond(send, _error(413, f"body larger than {self._max_body} bytes"))
            return
        try:
            body = await read_body(receive, self._max_body)
        except BodyTooLarge:
            count_delivery("slack", "unknown", "too_large")
            await _respond(send, _error(413, f"body larger than {self._max_body} bytes"))
            return
        if not self._signed(body, headers):
            count_delivery("slack", "unknown", "bad_signature")
            await _respond(send, _error(401, "invalid or missing Slack signature"))
            return
        try:
            request = parse_request(body, headers.get(b"content-type", b"").decode("latin-1"))
        except BadRequest as exc:
            count_delivery("slack", "unknown", "bad_request")
            await _respond(send, _error(400, str(exc)))
            return
        retry_num = headers.get(b"x-slack-retry-num", b"0")
        try:
            ack = await self._dispatcher.dispatch(
                request, retry_num=int(retry_num) if retry_num.isdigit() else 0
            )
        except BadRequest as exc:  # signed, but a payload the handler cannot read
            ack = _error(400, str(exc))
        except Exception:
            # Not recorded, so not acknowledged: Slack will deliver it again.
            log.exception("could not record Slack delivery", extra=_log_ids(request))
            ack = _error(503, "could not record the delivery; Slack will retry")
        count_delivery("slack", delivery_kind(request), "acked" if ack.status < 300 else "not_recorded")
        await _respond(send, ack)

    def _signed(self, body: bytes, headers: dict[bytes, bytes]) -> bool:
        return signature_ok(
            self._key,
            body,
            headers.get(b"x-slack-request-timestamp", b""),
            headers.get(b"x-slack-signature", b""),
            now=self._verifier.clock.now(),
        )


def delivery_kind(request: SlackRequest) -> str:
    """The metric label of a verified delivery: `event:<type>`, `interaction:<type>`, `command`...

    Only signed deliveries get here, and their types are bounded by the app's subscriptions.
    """
    if isinstance(request, EventCallback):
        return "event:" + request.event_type
    if isinstance(request, Interaction):
        return "interaction:" + request.type
    if isinstance(request, SlashCommand):
        return "command"
    if isinstance(request, OtherEnvelope):
        return "other:" + request.type
    return "url_verification"


def _log_ids(request: SlackRequest) -> dict[str, str]:
    if isinstance(request, EventCallback):
        return {"slack.event_id": request.event_id, "slack.event_type": request.event_type}
    return {"slack.kind": delivery_kind(request)}


def signature_ok(key: bytes, body: bytes, timestamp: bytes, signature: bytes, *, now: float) -> bool:
    """Slack's v0 signature over the raw body, within 5 minutes of `now`.

    The rule of slack_sdk's `SignatureVerifier.is_valid`, computed with the one-shot C `hmac.digest`
    over bytes (the verifier's `hmac.new` path costs several times more on the hot path), and
    answering False rather than raising for a malformed timestamp or a non-UTF-8 body.
    """
    if not timestamp.isdigit() or not signature:
        return False
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW_S:
        return False
    digest = hmac.digest(key, b"v0:" + timestamp + b":" + body, "sha256")
    return hmac.compare_digest(b"v0=" + digest.hex().encode(), signature)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope["headers"]}


def _error(status: int, message: str) -> Ack:
    return Ack(status, orjson.dumps({"ok": False, "error": message}), "application/json")


def _ack_headers(ack: Ack) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", ack.content_type.encode()), (b"content-length", str(len(ack.body)).encode())]


_EMPTY_ACK_HEADERS = _ack_headers(EMPTY_ACK)


async def _respond(send: Send, ack: Ack, *, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    # The empty ack is nearly every answer: its headers are built once (servers only read them).
    headers = _EMPTY_ACK_HEADERS if ack is EMPTY_ACK and not extra else _ack_headers(ack)
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": ack.status, "headers": headers})
    await send({"type": "http.response.body", "body": ack.body})
