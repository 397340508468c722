"""The FastAPI application factory. Settings are never read at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from starlette.routing import Route

from app.asgi_body import ASGIApp
from app.observability.metrics import HttpMetrics, JobStats, render
from app.observability.tracing import traced
from app.raw_routes_openapi import RAW_PATHS
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
    _describe_raw_routes(app)

    from app.reports.http import report_router

    app.include_router(report_router(runtime))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive (no dependency checks: a database outage must not restart us)."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"description": "Database unreachable, or writer or worker stopped"}})
    async def readyz() -> JSONResponse:
        """Database reachable, durable writer and worker running."""
        ok, checks = await runtime.ready()
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
        )

    job_stats = JobStats(runtime.engine, clock=runtime.clock)

    @app.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    async def metrics() -> Response:
        """Prometheus metrics of this process (no token: keep it off the Ingress, see README)."""
        body, content_type = await render(job_stats)
        return Response(body, media_type=content_type)

    return app


def _describe_raw_routes(app: FastAPI) -> None:
    """`GET /openapi.json` lists the raw ASGI routes too (FastAPI only sees its own routes)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema["paths"] = {**RAW_PATHS, **schema.get("paths", {})}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_served_app(runtime: Runtime, *, trusted_proxies: str = DEFAULT_TRUSTED_PROXIES) -> ASGIApp:
    """The stack `serve` runs and the tests drive: `POST /slack/events` goes straight to its
    endpoint (the hot path skips the framework's middleware and router, see bench/); every other
    route goes through FastAPI behind uvicorn's proxy-header middleware."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    # (casts: uvicorn and Starlette spell the same ASGI 3 callable with different type aliases)
    app = create_app(runtime)
    routes = frozenset(path for route in app.routes if isinstance(path := getattr(route, "path", None), str))
    framework = ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=trusted_proxies)
    # The Slack ack path is counted (deliveries_total), not timed: it stays outside HttpMetrics.
    served = SlackFastPath(HttpMetrics(cast(ASGIApp, framework), routes), runtime.slack_endpoint())
    return traced(served, endpoint=runtime.settings.otel_exporter_otlp_endpoint)
