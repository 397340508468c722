"""Parsing the report's period from the command line (`--since 30d`, `--from/--to` dates)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from app.domain.report_models import Period

_SINCE = re.compile(r"^\s*(\d{1,4})\s*([hdw])\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


class PeriodError(ValueError):
    """An unparseable or impossible period; the message says what was expected."""


def parse_since(text: str, *, now: datetime) -> Period:
    """`30d`, `4w`, `12h` → the period ending `now`."""
    match = _SINCE.match(text)
    if match is None or int(match.group(1)) == 0:
        raise PeriodError(f"--since {text!r}: expected a positive number of hours, days or weeks, e.g. 30d")
    return Period(now - int(match.group(1)) * _UNITS[match.group(2)], now)


def parse_range(start: str | None, end: str | None, *, now: datetime) -> Period:
    """`--from 2026-10-01 --to 2026-10-31`: whole UTC days, `--to` included; `--to` defaults to now."""
    begin = _day(start, "--from")
    finish = now if end is None else datetime.combine(_day(end, "--to"), time(), UTC) + timedelta(days=1)
    opened = datetime.combine(begin, time(), UTC)
    if finish <= opened:
        raise PeriodError(f"--to {end} is before --from {start}")
    return Period(opened, finish)


def _day(text: str | None, flag: str) -> date:
    if text is None:
        raise PeriodError(f"{flag} needs a date, e.g. 2026-10-01")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{flag} {text!r}: expected a date like 2026-10-01") from None
