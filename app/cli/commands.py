"""What each CLI command does. Errors meant for the operator are raised as `CliError`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy import Connection

from app.config.faq_source import load_faq_entries
from app.config.loader import TemplateError, load_template
from app.config.template import Template
from app.settings import Settings
from app.store import jobs as job_store
from app.store.db import create_db_engine, migrate

log = logging.getLogger("interrupt_bridge")
T = TypeVar("T")


class CliError(Exception):
    """A problem the operator can fix; printed without a stack trace, exit code 2."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise CliError(f"invalid configuration: {problems}") from None


def load_template_or_fail(settings: Settings) -> Template:
    try:
        template = load_template(settings.bridge_config)
        load_faq_entries(settings.bridge_config, template)  # a broken FAQ file stops start-up too
    except TemplateError as exc:
        raise CliError(str(exc)) from None
    return template


def known_team_or_fail(template: Template, team: str | None) -> None:
    """`--team` must name a team of the template (its key); None means every team."""
    if team is not None and team not in {t.key for t in template.teams}:
        raise CliError(f"unknown team {team!r} (teams: {', '.join(t.key for t in template.teams)})")


def read_database(settings: Settings, read: Callable[[Connection], T]) -> T:
    """`read` on one connection to DATABASE_URL, for a command that runs once and exits."""
    engine = create_db_engine(settings.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            return read(conn)
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> int:
    command = args.command
    if command == "serve":
        from app.cli.serve import serve

        return serve(args)
    if command == "worker":
        from app.cli.serve import worker

        return worker()
    if command == "migrate":
        settings = load_settings()
        migrate(settings.database_url)
        print(f"database is up to date ({_safe_url(settings.database_url)})")
        return 0
    if command == "demo":
        from app.cli.demo import demo

        return demo(args)
    if command == "check":
        from app.cli.check import check

        return check()
    if command == "jobs":
        return jobs(args)
    if command == "faq":
        from app.cli import faq

        return faq.run(args)
    if command == "sla":
        from app.cli import sla

        return sla.run(args)
    if command == "report":
        from app.cli import report

        return report.run(args)
    if command == "oncall":
        from app.cli import oncall

        return oncall.run(args)
    raise CliError(f"unknown command {command}")


def jobs(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = create_db_engine(settings.database_url, pool_size=1)
    try:
        if args.jobs_command == "list":
            records = job_store.list_jobs(engine, state=args.state, limit=args.limit)
            counts = job_store.counts_by_state(engine)
            print("  ".join(f"{state}: {count}" for state, count in counts.items()))
            print(f"{'id':>8}  {'state':8}  {'kind':24}  {'tries':>5}  {'next run':20}  last error")
            for r in records:
                error = (r.last_error or "").replace("\n", " ")[:70]
                print(
                    f"{r.id:>8}  {r.state:8}  {r.kind:24}  {r.attempts:>5}  {_when(r.run_after):20}  {error}"
                )
            return 0
        if args.jobs_command == "show":
            record = job_store.get_job(engine, args.job_id)
            if record is None:
                raise CliError(f"no job {args.job_id}")
            print(
                json.dumps({**record.__dict__, "payload": json.loads(record.payload)}, indent=2, default=str)
            )
            return 0
        if args.jobs_command == "retry":
            missing = [
                job_id for job_id in args.job_id if not job_store.requeue(engine, job_id, now=time.time())
            ]
            for job_id in args.job_id:
                if job_id not in missing:
                    print(f"job {job_id} queued to run now")
            if missing:
                raise CliError(f"not retried (unknown, running or done): {', '.join(map(str, missing))}")
            return 0
    finally:
        engine.dispose()
    raise CliError(f"unknown jobs command {args.jobs_command}")


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


def bind_address(args: argparse.Namespace) -> tuple[str, int]:
    host = args.host or os.environ.get("BRIDGE_HOST", "127.0.0.1")
    port = args.port or int(os.environ.get("BRIDGE_PORT", "8000"))
    return host, port
