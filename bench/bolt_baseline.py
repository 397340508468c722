"""Bolt for Python baseline: an `AsyncApp` behind its FastAPI adapter that only acks `reaction_added`.

Run: `SLACK_SIGNING_SECRET=... uvicorn bench.bolt_baseline:api --http h11|httptools --loop asyncio|uvloop`.

Bolt verifies the signature (`request_verification_enabled=True`) exactly as a production app would.
A static `authorize` function stands in for an installation store so Bolt never calls Slack:
with a plain `token`, Bolt would call `auth.test` on the first request.
"""

import os

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult


async def _authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=enterprise_id,
        team_id=team_id,
        user_id=user_id,
        bot_token="xoxb-bench-not-a-real-token",
        bot_id="B0BENCHBOT",
        bot_user_id="U0BENCHBOT",
    )


def build_bolt_app(signing_secret: str) -> AsyncApp:
    bolt = AsyncApp(signing_secret=signing_secret, authorize=_authorize, request_verification_enabled=True)

    @bolt.event("reaction_added")
    async def on_reaction_added(ack: AsyncAck) -> None:
        # Bolt already auto-acks Events API deliveries; the listener does nothing else.
        await ack()

    return bolt


def build_api(signing_secret: str) -> FastAPI:
    handler = AsyncSlackRequestHandler(build_bolt_app(signing_secret))
    api = FastAPI()

    @api.post("/slack/events")
    async def slack_events(req: Request) -> Response:
        return await handler.handle(req)

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return api


def _secret_from_env() -> str:
    secret = os.environ.get("SLACK_SIGNING_SECRET")
    if not secret:
        raise RuntimeError("SLACK_SIGNING_SECRET must be set to run the Bolt baseline")
    return secret


api = build_api(_secret_from_env())
