"""`serve` and `worker`: run the service (with the sandbox when credentials are missing)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import os
import sys
from typing import TYPE_CHECKING

from app.cli.commands import bind_address, install_stop_signals, load_settings, load_template_or_fail
from app.observability.logging import configure_logging
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


def _secrets(connections: Connections, settings: Settings) -> list[str]:
    webhook = settings.jira_webhook_secret
    values = [
        connections.signing_secret,
        connections.slack_token,
        connections.jira_api_token,
        connections.jira_pat,
        webhook.get_secret_value() if webhook else None,
    ]
    if connections.jira_email and connections.jira_api_token:
        # the Authorization header's value, should a request ever be logged
        pair = f"{connections.jira_email}:{connections.jira_api_token}".encode()
        values.append(base64.b64encode(pair).decode())
    return [v for v in values if v]


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import DEFAULT_TRUSTED_PROXIES, create_served_app

    settings = load_settings()
    template = load_template_or_fail(settings)
    connections, sandbox = _prepare(settings)
    configure_logging(
        level=settings.log_level, fmt=settings.log_format, secrets=_secrets(connections, settings)
    )
    migrate(settings.database_url)
    runtime = Runtime(
        settings=settings, template=lambda: template, connections=connections, run_worker=not args.no_worker
    )
    host, port = bind_address(args)
    if sandbox is not None:
        print(sandbox.describe(service_url=f"http://{host}:{port}"), file=sys.stderr, flush=True)
    # proxy headers are applied by the framework routes only; the Slack hot path needs none
    trusted_proxies = os.environ.get("FORWARDED_ALLOW_IPS", DEFAULT_TRUSTED_PROXIES)
    config = uvicorn.Config(
        create_served_app(runtime, trusted_proxies=trusted_proxies),
        host=host,
        port=port,
        http=args.http,
        loop="auto",
        lifespan="on",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=15,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        if sandbox is not None:
            sandbox.stop()
    return 0


def worker() -> int:
    settings = load_settings()
    template = load_template_or_fail(settings)
    connections, sandbox = _prepare(settings)
    configure_logging(
        level=settings.log_level, fmt=settings.log_format, secrets=_secrets(connections, settings)
    )
    migrate(settings.database_url)
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
    return 0
