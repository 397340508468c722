"""The Socket Mode transport for Slack: the same requests, dispatcher and acks as HTTP, over a WebSocket.

For teams without public ingress. slack_sdk's aiohttp `SocketModeClient` opens the connection
(`apps.connections.open` with the app-level `xapp-` token), keeps it alive and reconnects. Each
envelope's payload is turned back into the body Slack would have POSTed (Events API JSON, the
`payload=` form of interactivity, the slash command's form) and parsed by the HTTP transport's
own `parse_request`, so both transports feed the dispatcher one kind of request.

Envelopes carry no signature: the connection itself is authenticated by the app-level token.
The ack is sent only after the dispatcher returned, that is after the delivery and its jobs were
committed; a delivery that could not be recorded is not acknowledged, and Slack sends it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlencode

import orjson
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from app.observability.metrics import count_delivery
from app.slack.ack import Ack
from app.slack.dispatch import Dispatcher
from app.slack.http import delivery_kind
from app.slack.requests import BadRequest, SlackRequest, parse_request

log = logging.getLogger(__name__)

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


def request_from_envelope(kind: str, payload: dict[str, Any]) -> SlackRequest:
    """The neutral request for one Socket Mode envelope, parsed exactly as its HTTP twin."""
    if kind == "events_api":
        return parse_request(orjson.dumps(payload), JSON_TYPE)
    if kind == "interactive":
        return parse_request(urlencode({"payload": orjson.dumps(payload).decode()}).encode(), FORM_TYPE)
    if kind == "slash_commands":
        fields = {str(k): "" if v is None else str(v) for k, v in payload.items()}
        return parse_request(urlencode(fields).encode(), FORM_TYPE)
    raise BadRequest(f"unsupported Socket Mode envelope type {kind!r}")


def ack_payload(ack: Ack) -> dict[str, Any] | None:
    """The ack's body as a Socket Mode response payload (None: a bare ack)."""
    if not ack.body:
        return None
    if ack.content_type.startswith(JSON_TYPE):
        data = orjson.loads(ack.body)
        if isinstance(data, dict):
            return data
    return {"text": ack.body.decode("utf-8", "replace")}


class SocketModeTransport:
    def __init__(
        self,
        *,
        app_token: str,
        api_url: str,
        dispatcher: Dispatcher,
        ping_interval_s: float = 5.0,
    ) -> None:
        self._dispatcher = dispatcher
        self._client = SocketModeClient(
            app_token=app_token,
            web_client=AsyncWebClient(base_url=api_url),
            ping_interval=ping_interval_s,
            auto_reconnect_enabled=True,
        )
        self._client.socket_mode_request_listeners.append(self._on_request)
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start connecting in the background: slack_sdk retries until it succeeds, then keeps the
        connection up. Until then `/readyz` says so, while `/healthz` and Jira webhooks are served."""
        self._connecting = asyncio.create_task(self._connect(), name="socket-mode-connect")

    async def _connect(self) -> None:
        await self._client.connect()  # type: ignore[no-untyped-call]
        log.info("Socket Mode connected")

    async def stop(self) -> None:
        """Stop receiving: envelopes not acknowledged yet are delivered again by Slack."""
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        await self._client.close()  # type: ignore[no-untyped-call]

    async def connected(self) -> bool:
        return bool(await self._client.is_connected())

    async def _on_request(self, client: Any, request: SocketModeRequest) -> None:
        extra = {"slack.envelope_id": request.envelope_id, "slack.envelope_type": request.type}
        try:
            parsed = request_from_envelope(request.type, request.payload)
        except BadRequest as exc:
            # Redelivering cannot fix it: acknowledge, and say what was wrong.
            log.warning("unreadable Socket Mode envelope", extra={**extra, "error": str(exc)})
            count_delivery("slack", "unknown", "bad_request")
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
            return
        try:
            ack = await self._dispatcher.dispatch(parsed, retry_num=request.retry_attempt or 0)
        except Exception:
            # Not recorded, so not acknowledged: Slack will deliver it again.
            log.exception("could not record Slack delivery", extra=extra)
            count_delivery("slack", delivery_kind(parsed), "not_recorded")
            return
        count_delivery("slack", delivery_kind(parsed), "acked" if ack.status < 300 else "not_recorded")
        if ack.status >= 300:
            log.warning("Slack delivery not acknowledged", extra={**extra, "ack.status": ack.status})
            return
        payload = ack_payload(ack) if request.accepts_response_payload else None
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        )
