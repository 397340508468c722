"""`interrupt-bridge report`: interrupt figures from Jira, as a table, Markdown, CSV, JSON or HTML.

interrupt-bridge report [--since 30d | --from DATE [--to DATE]] [--team T]
                        [--format table|markdown|csv|json|html] [--output FILE]
interrupt-bridge report filters --create [--team T]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO, TypeVar

from jira import JIRA, JIRAError
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from app.adapters.jira_search import JiraIssueSearch
from app.adapters.jira_tracker import _jira_text
from app.domain.errors import PermanentError, RetryableError
from app.domain.report_figures import InterruptReport
from app.domain.report_models import OpenFaqCandidate, Period
from app.domain.report_period import PeriodError, parse_range, parse_since
from app.reports.progress import ProgressBar
from app.reports.service import UnknownTeam, interrupt_report
from app.settings import Settings
from app.store.report_facts import TicketFacts

T = TypeVar("T")
FORMATS = ("table", "markdown", "csv", "json", "html")


def add_report_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("report", help="interrupt figures from Jira (volume, SLA, repeat topics)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--since", metavar="AGE", help="the period ending now: 30d (default), 4w, 12h")
    when.add_argument("--from", dest="date_from", metavar="DATE", help="first day (UTC), e.g. 2026-10-01")
    parser.add_argument("--to", dest="date_to", metavar="DATE", help="last day, included (with --from)")
    parser.add_argument("--team", help="only this team (its key in the workflow template)")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write here instead of standard output")
    nested = parser.add_subparsers(dest="report_command")
    filters = nested.add_parser("filters", help="create or update the Jira saved filters of the report")
    filters.add_argument("--create", action="store_true", help="create missing filters, update changed ones")
    filters.add_argument("--team", dest="filters_team", help="only this team's filters")
    return parser


def run(args: argparse.Namespace) -> int:
    """The command as `commands.run` calls it: Jira from the settings, the template of BRIDGE_CONFIG."""
    from app.cli.commands import CliError, load_settings, load_template_or_fail

    settings = load_settings()
    template = load_template_or_fail(settings)
    if getattr(args, "report_command", None) == "filters":
        from app.cli.report_filters import run_filters

        return run_filters(args, settings, template)
    now = datetime.now(UTC)
    period = period_of(args, now=now)
    client = jira_client(settings)
    search = JiraIssueSearch(client)
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = interrupt_report(
            search,
            template,
            period,
            team=args.team,
            facts=store_facts(settings),
            candidates=store_candidates(settings),
            now=now,
            progress=bar.update if bar else None,
        )
    except UnknownTeam as exc:
        raise CliError(str(exc)) from None
    except (PermanentError, RetryableError) as exc:
        raise CliError(f"Jira refused the report's search: {exc}") from None
    finally:
        if bar is not None:
            bar.close()
    write(report, args.format, args.output)
    return 0


def period_of(args: argparse.Namespace, *, now: datetime) -> Period:
    from app.cli.commands import CliError

    try:
        if args.date_from is not None:
            return parse_range(args.date_from, args.date_to, now=now)
        if args.date_to is not None:
            raise PeriodError("--to needs --from")
        return parse_since(args.since or "30d", now=now)
    except PeriodError as exc:
        raise CliError(str(exc)) from None


def jira_client(settings: Settings) -> JIRA:
    """The Jira client of the settings; a clear error without credentials or when Jira cannot be reached."""
    from app.adapters.jira_tracker import client_factory
    from app.cli.commands import CliError

    if not settings.jira_configured:
        raise CliError("the report reads Jira: set JIRA_URL and JIRA_EMAIL + JIRA_API_TOKEN (or JIRA_PAT)")
    make = client_factory(
        url=settings.jira_url or "",
        email=settings.jira_email,
        api_token=settings.jira_api_token.get_secret_value() if settings.jira_api_token else None,
        pat=settings.jira_pat.get_secret_value() if settings.jira_pat else None,
        timeout_s=settings.jira_timeout_s,
    )
    try:
        return make()
    except JIRAError as exc:
        raise CliError(
            f"cannot use Jira at {settings.jira_url}: HTTP {exc.status_code}: {_jira_text(exc)}"
        ) from None
    except OSError as exc:
        raise CliError(f"cannot reach Jira at {settings.jira_url}: {type(exc).__name__}") from None


def _from_store(settings: Settings, read: Callable[[Connection], T], missing: T, what: str) -> T:
    """`read` on the settings' database; without a usable database, `missing` (with a note naming `what`)."""
    from sqlalchemy.engine import make_url

    from app.cli.commands import read_database

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        # connecting would create an empty database file wherever the report is run
        print(f"note: no {what}, {url.database} does not exist", file=sys.stderr)
        return missing

    try:
        return read_database(settings, read)
    except SQLAlchemyError as exc:
        print(f"note: no {what}, the database is not usable ({type(exc).__name__})", file=sys.stderr)
        return missing


def store_facts(settings: Settings) -> Callable[[float], Mapping[str, TicketFacts]]:
    """Channel, first response and "This solved it" of the bridge's tickets (none without a database)."""

    def read(since: float) -> Mapping[str, TicketFacts]:
        from app.store.report_facts import facts_since

        what = "channel or first-response data"
        return _from_store(settings, lambda conn: facts_since(conn, since), {}, what)

    return read


def store_candidates(settings: Settings) -> Callable[[str | None], Sequence[OpenFaqCandidate]]:
    """The open FAQ candidates of the store (none without a database)."""

    def read(team: str | None) -> Sequence[OpenFaqCandidate]:
        from app.store.report_facts import open_candidates

        return _from_store(settings, lambda conn: open_candidates(conn, team=team), [], "FAQ candidates")

    return read


def render(report: InterruptReport, fmt: str) -> str:
    if fmt == "html":
        from app.reports.render_html import html_page

        return html_page(report)
    if fmt == "json":
        from app.reports.render_json import json_text

        return json_text(report)
    from app.reports import render_text

    renderers: dict[str, Callable[[InterruptReport], str]] = {
        "table": render_text.table,
        "markdown": render_text.markdown,
        "csv": render_text.csv_text,
    }
    return renderers[fmt](report)


def write(report: InterruptReport, fmt: str, output: Path | None, *, out: TextIO | None = None) -> None:
    from app.cli.commands import CliError

    text = render(report, fmt)
    if output is None:
        (out or sys.stdout).write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror}") from None
    print(f"wrote {output} ({len(text.encode()):,} bytes)", file=sys.stderr)
