"""`interrupt-bridge sla [--team T]`: open tickets with their SLA clocks, the most at risk first."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TextIO
from zoneinfo import ZoneInfo

from app.config.sla import SlaPolicy, policy_of
from app.config.template import Template
from app.domain.sla import SlaClock, TargetClock
from app.domain.sla_text import SOURCE_LABELS, format_at, format_duration
from app.store import sla as sla_store
from app.store.sla import SlaState
from app.store.tickets import Ticket
from app.worker.sync_context import team_zone, ticket_clock

HEADERS = ("TICKET", "TEAM", "PRIORITY", "STATUS", "FIRST RESPONSE", "RESOLUTION", "RISK")


def add_sla_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "sla", help="list open tickets with their SLA clocks, the most at risk first"
    )
    parser.add_argument("--team", help="only this team (its key in the workflow template)")
    return parser


def run(args: argparse.Namespace) -> int:
    """The command as `commands.run` calls it: the template of BRIDGE_CONFIG, the database of DATABASE_URL."""
    from app.cli.commands import known_team_or_fail, load_settings, load_template_or_fail, read_database

    settings = load_settings()
    template = load_template_or_fail(settings)
    known_team_or_fail(template, args.team)
    rows = read_database(settings, lambda conn: sla_store.open_tickets(conn, team=args.team))
    print_table(template, policy_of(template), rows, now=time.time())
    return 0


def print_table(
    template: Template,
    policy: SlaPolicy,
    rows: Sequence[tuple[Ticket, SlaState]],
    *,
    now: float,
    out: TextIO | None = None,
) -> None:
    stream = out if out is not None else sys.stdout
    lines = table(template, policy, rows, now=now)
    if not lines:
        print("no open tickets", file=stream)
        return
    widths = [max(len(row[i]) for row in [HEADERS, *lines]) for i in range(len(HEADERS))]
    for row in [HEADERS, *lines]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=stream,
        )


def table(
    template: Template, policy: SlaPolicy, rows: Sequence[tuple[Ticket, SlaState]], *, now: float
) -> list[tuple[str, ...]]:
    """One row per open ticket: breached and nearly due first, tickets without an SLA last."""
    known = {team.key for team in template.teams}
    ranked: list[tuple[float, float, tuple[str, ...]]] = []
    for ticket, state in rows:
        if ticket.team not in known:
            continue  # a team removed from the template: nothing to measure against
        clock = ticket_clock(template, policy, ticket, state, now=now)
        zone = team_zone(template, policy, ticket.team)
        cells = (
            ticket.jira_key or ticket.id,
            ticket.team,
            ticket.priority,
            state.status or "-",
            _target(clock, clock.first_response if clock else None, zone),
            _target(clock, clock.resolution if clock else None, zone),
            _risk(clock),
        )
        risk = clock.risk if clock is not None else -1.0
        ranked.append((-risk, ticket.created_at, cells))
    return [cells for _, _, cells in sorted(ranked)]


def _target(clock: SlaClock | None, target: TargetClock | None, zone: ZoneInfo) -> str:
    if clock is None or target is None:
        return "-"
    if target.met_at is not None:
        how = (
            SOURCE_LABELS.get(clock.first_response_source or "", "")
            if target.name == "first_response"
            else ""
        )
        late = " LATE" if target.breached else ""
        return f"met {format_at(target.met_at, zone)}" + (f" via {how}" if how else "") + late
    if target.breached:
        return f"BREACHED, due {format_at(target.due, zone)}"
    left = format_duration(max(target.target_s - target.elapsed_s, 0.0))
    return f"due {format_at(target.due, zone)} ({left} left)"


def _risk(clock: SlaClock | None) -> str:
    if clock is None:
        return "no SLA"
    if clock.breached and any(not t.met for t in clock.targets):
        return "breached"
    return f"{round(clock.risk * 100)}%"
