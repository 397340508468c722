"""`serve` and `worker`: run the service (with the sandbox when credentials are missing)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import os
import sys
from typing import TYPE_CHECKING

from app.cli.commands import (
    CliError,
    bind_address,
    install_stop_signals,
    load_settings,
    load_template_or_fail,
)
from app.cli.shutdown import graceful_signals, leave_abandoned_calls
from app.observability.logging import configure_logging
from app.observability.tracing import TracingUnavailable
from app.runtime import Connections, Runtime, connections_from
from app.settings import Settings
from app.store.db import migrate

if TYPE_CHECKING:
    from app.sandbox.run import Sandbox

log = logging.getLogger("interrupt_bridge")


def _prepare(settings: Settings) -> tuple[Connections, Sandbox | None]:
    """Real connections, or the sandbox's fakes for whatever credentials are missing."""
    connections = connections_from(settings)
    if not settings.sandbox:
        return connections, None
    from app.sandbox.run import start_sandbox

    sandbox = start_sandbox(settings, connections)
    return sandbox.connections, sandbox


def log_secrets(settings: Settings, connections: Connections) -> list[str]:
    """Every value the log formatter scrubs: the configured secrets (SLACK_APP_TOKEN, JIRA_WEBHOOK_SECRET,
    the database password, the Jira basic-auth header value...) and those the sandbox made up."""
    values = [
        connections.signing_secret,
        connections.slack_token,
        connections.jira_api_token,
        connections.jira_pat,
        *settings.secret_values(),
        connections.slack_app_token,
    ]
    if connections.jira_email and connections.jira_api_token:
        credentials = f"{connections.jira_email}:{connections.jira_api_token}".encode()
        values.append(base64.b64encode(credentials).decode())
    return [v for v in values if v]


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import DEFAULT_TRUSTED_PROXIES, create_served_app

    settings = load_settings()
    if args.socket_mode and (settings.slack_app_token is None or settings.slack_bot_token is None):
        # the sandbox's fake Slack speaks HTTP only
        raise CliError(
            "--socket-mode needs SLACK_APP_TOKEN (an app-level xapp- token with connections:write)"
            " and SLACK_BOT_TOKEN"
        )
    template = load_template_or_fail(settings)
    connections, sandbox = _prepare(settings)
    configure_logging(
        level=settings.log_level,
        fmt=settings.log_format,
        secrets=log_secrets(settings, connections),
    )
    migrate(settings.database_url)
    runtime = Runtime(
        settings=settings,
        template=lambda: template,
        connections=connections,
        run_worker=not args.no_worker,
        socket_mode=args.socket_mode,
        worker_nice=settings.worker_nice,
    )
    host, port = bind_address(args)
    if sandbox is not None:
        print(sandbox.describe(service_url=f"http://{host}:{port}"), file=sys.stderr, flush=True)
    # proxy headers are applied by the framework routes only; the Slack hot path needs none
    trusted_proxies = os.environ.get("FORWARDED_ALLOW_IPS", DEFAULT_TRUSTED_PROXIES)
    try:
        served = create_served_app(runtime, trusted_proxies=trusted_proxies)
    except TracingUnavailable as exc:
        raise CliError(str(exc)) from None
    config = uvicorn.Config(
        served,
        host=host,
        port=port,
        http=args.http,
        loop="auto",
        lifespan="on",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=max(1, round(settings.worker_shutdown_grace_s)),
    )
    server = uvicorn.Server(config)
    try:
        with graceful_signals(server):
            server.run()
    finally:
        if sandbox is not None:
            sandbox.stop()
            log.info("sandbox stopped")
    leave_abandoned_calls()
    return 0


def worker() -> int:
    settings = load_settings()
    template = load_template_or_fail(settings)
    connections, sandbox = _prepare(settings)
    configure_logging(
        level=settings.log_level,
        fmt=settings.log_format,
        secrets=log_secrets(settings, connections),
    )
    migrate(settings.database_url)
    if settings.worker_metrics_port:
        from app.observability.metrics import serve_metrics

        serve_metrics(settings.worker_metrics_port)
    runtime = Runtime(settings=settings, template=lambda: template, connections=connections, run_worker=True)

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await runtime.start()
        try:
            await stop.wait()
        finally:
            await runtime.stop()

    try:
        asyncio.run(main())
    finally:
        if sandbox is not None:
            sandbox.stop()
    leave_abandoned_calls()
    return 0
