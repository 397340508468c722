"""The FastAPI application factory. Settings are never read at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import Route

from app.asgi_body import ASGIApp
from app.runtime import Runtime
from app.slack.http import SlackFastPath

DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="interrupt-bridge", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    # Raw ASGI endpoint: the ack path skips FastAPI's request parsing (see app/slack/http.py).
    app.router.routes.append(Route("/slack/events", endpoint=runtime.slack_endpoint(), methods=["POST"]))
    app.router.routes.append(
        Route("/jira/webhook", endpoint=runtime.jira_webhook_endpoint(), methods=["POST"])
    )

    from app.reports.http import report_router

    app.include_router(report_router(runtime))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive (no dependency checks: a database outage must not restart us)."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Database reachable, durable writer and worker running."""
        ok, checks = await runtime.ready()
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
        )

    return app


def create_served_app(runtime: Runtime, *, trusted_proxies: str = DEFAULT_TRUSTED_PROXIES) -> ASGIApp:
    """The stack `serve` runs and the tests drive: `POST /slack/events` goes straight to its
    endpoint (the hot path skips the framework's middleware and router, see bench/); every other
    route goes through FastAPI behind uvicorn's proxy-header middleware."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    # (casts: uvicorn and Starlette spell the same ASGI 3 callable with different type aliases)
    framework = ProxyHeadersMiddleware(cast(Any, create_app(runtime)), trusted_hosts=trusted_proxies)
    return SlackFastPath(cast(ASGIApp, framework), runtime.slack_endpoint())
