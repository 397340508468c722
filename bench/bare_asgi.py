"""Upper-bound reference: a raw ASGI app that only checks the Slack signature and answers 200.

Run: `SLACK_SIGNING_SECRET=... uvicorn bench.bare_asgi:app --http httptools --loop uvloop`.
It parses nothing and stores nothing, so no real Slack app on the same server stack can beat it.
"""

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from slack_sdk.signature import SignatureVerifier

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_secret = os.environ.get("SLACK_SIGNING_SECRET")
if not _secret:
    raise RuntimeError("SLACK_SIGNING_SECRET must be set to run the bare ASGI reference")
_verifier = SignatureVerifier(_secret)


async def _respond(send: Send, status: int, body: bytes = b"") -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    method, path = scope["method"], scope["path"]
    if method == "GET" and path == "/healthz":
        await _respond(send, 200, b"ok")
        return
    if method != "POST" or path != "/slack/events":
        await _respond(send, 404)
        return
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    valid = _verifier.is_valid(
        b"".join(chunks),
        headers.get("x-slack-request-timestamp", ""),
        headers.get("x-slack-signature", ""),
    )
    await _respond(send, 200 if valid else 401)
