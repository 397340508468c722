"""`interrupt-bridge oncall [--team T] [--next N] [--at ISO]`: who is on call now and in the next shifts.

Until the template's `Team` model carries a rotation, the rotations are read from `teams[].rotation`
in the YAML directly and validated with `app.config.rotation.Rotation`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from pydantic_core import ErrorDetails

from app.config.loader import TemplateError, load_template
from app.config.rotation import Rotation
from app.domain.oncall import (
    RotationNotStarted,
    Shift,
    describe_next_support,
    describe_support,
    shift_at,
    shifts,
)
from app.domain.shadowing import role_name

HEADERS = ("TEAM", "SHIFT", "ON CALL", "FROM", "UNTIL", "UNTIL (UTC)", "SOURCE")


def add_oncall_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("oncall", help="show who is on call now and the next shifts, per team")
    parser.add_argument("--team", help="only this team (its key in the workflow template)")
    parser.add_argument(
        "--next",
        type=_count,
        default=3,
        metavar="N",
        help="how many shifts after the current one (default 3)",
    )
    parser.add_argument(
        "--at",
        type=_instant,
        default=None,
        metavar="WHEN",
        help="look at this instant instead of now, ISO 8601 with an offset, e.g. 2024-12-24T18:00+01:00",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """The command as `commands.run` calls it: rotations from the template named by BRIDGE_CONFIG."""
    # imported here so that `commands` may import this module at its top without a cycle
    from app.cli.commands import CliError, load_settings

    settings = load_settings()
    try:
        teams = rotations_from_template_file(settings.bridge_config)
    except TemplateError as exc:
        raise CliError(str(exc)) from None
    return oncall(args, teams)


def oncall(
    args: argparse.Namespace,
    teams: Sequence[tuple[str, Rotation]],
    *,
    now: datetime | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the current and the next `args.next` shifts of each team (or of `args.team`)."""
    from app.cli.commands import CliError

    stream = out if out is not None else sys.stdout
    at: datetime = args.at or now or datetime.now(UTC)
    selected = list(teams)
    if args.team is not None:
        selected = [(key, rotation) for key, rotation in teams if key == args.team]
        if not selected:
            known = ", ".join(key for key, _ in teams) or "none"
            raise CliError(f"team {args.team!r} has no on-call rotation (teams with one: {known})")
    if not selected:
        print(
            "no team has an on-call rotation (add `rotation:` to a team in the workflow template)",
            file=stream,
        )
        return 0
    rows: list[tuple[str, ...]] = [HEADERS]
    for key, rotation in selected:
        rows.extend(_team_rows(key, rotation, at, args.next))
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=stream,
        )
    print(file=stream)
    for key, rotation in selected:
        print(
            f"{key}: support {describe_support(rotation)}; answers {describe_next_support(rotation, at)}",
            file=stream,
        )
    return 0


def rotations_from_template_file(path: Path) -> list[tuple[str, Rotation]]:
    """(team key, rotation) for every team with a `rotation:` in the workflow template at `path`.

    Raises `TemplateError` with the file, the key path and the problem, like any template error.
    """
    template = load_template(path)
    return [(team.key, team.rotation) for team in template.teams if team.rotation is not None]


def _team_rows(key: str, rotation: Rotation, at: datetime, following: int) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    try:
        current = shift_at(rotation, at)
    except RotationNotStarted as exc:
        rows.append(
            (key, "now", "nobody", "", _local(rotation, exc.starts_at), _utc(exc.starts_at), "not started")
        )
        upcoming = shifts(rotation, at, following)
    else:
        rows.append(_row(key, "now", rotation, current))
        upcoming = shifts(rotation, current.end, following)
    rows.extend(_row(key, "next", rotation, shift) for shift in upcoming)
    return rows


def _row(key: str, label: str, rotation: Rotation, shift: Shift) -> tuple[str, ...]:
    person = (
        shift.lead if shift.shadow is None else f"{shift.lead} ({role_name(shift.pairing)} {shift.shadow})"
    )
    return (
        key,
        label,
        person,
        _local(rotation, shift.start),
        _local(rotation, shift.end),
        _utc(shift.end),
        shift.source,
    )


def _local(rotation: Rotation, instant: datetime) -> str:
    # the zone abbreviation (CET/CEST) makes a DST change visible in the listing
    return instant.astimezone(rotation.zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _message(error: ErrorDetails) -> str:
    message = str(error["msg"])
    # pydantic prefixes messages of ValueErrors raised in validators
    return message.removeprefix("Value error, ")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. {text}+00:00 or {text}Z")
    return value
