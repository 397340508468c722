"""`interrupt-bridge faq candidates [--team T] [--export yaml]`: proposed FAQ answers, for review.

A candidate is a reply someone marked with the candidate emoji (`:book:`) in a ticket's thread. The
table lists them oldest first; `--export yaml` prints them as FAQ entries in the shape of the
template's `faq.entries` (and of the FAQ file), to edit and paste after review.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import yaml

from app.store import faq as faq_store
from app.store.faq import Candidate

HEADERS = ("ID", "TICKET", "TEAM", "BUCKET", "PROPOSED", "QUESTION", "ANSWER")
_NOT_KEY = re.compile(r"[^a-z0-9]+")


def add_faq_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("faq", help="FAQ candidates proposed from ticket threads")
    sub = parser.add_subparsers(dest="faq_command", required=True)
    listing = sub.add_parser("candidates", help="list (or export) the proposed answers")
    listing.add_argument("--team", help="only this team (its key in the workflow template)")
    listing.add_argument("--export", choices=["yaml"], help="print them as FAQ entries for the template")


def run(args: argparse.Namespace) -> int:
    from app.cli.commands import known_team_or_fail, load_settings, load_template_or_fail, read_database

    settings = load_settings()
    known_team_or_fail(load_template_or_fail(settings), args.team)
    found = read_database(settings, lambda conn: faq_store.candidates(conn, team=args.team))
    if args.export == "yaml":
        print(export_yaml(found), end="")
    else:
        print_table(found)
    return 0


def print_table(found: Sequence[Candidate], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if not found:
        print("No open FAQ candidates.", file=out)
        return
    rows = [
        (
            str(c.id),
            c.jira_key or c.ticket_id,
            c.team,
            c.bucket,
            datetime.fromtimestamp(c.created_at, UTC).strftime("%Y-%m-%d %H:%M"),
            _short(c.question, 50),
            _short(c.answer, 60),
        )
        for c in found
    ]
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    for row in [HEADERS, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out)


def export_yaml(found: Sequence[Candidate]) -> str:
    """FAQ entries (`entries:`) that validate as the template's; ids are unique, keywords left to fill."""
    entries: list[dict[str, Any]] = []
    for candidate in found:
        question = " ".join(candidate.question.split())[:300] or f"Question of {candidate.jira_key}"
        entries.append(
            {
                "id": f"candidate-{candidate.id}-{_slug(question)}"[:64].rstrip("-"),
                "question": question,
                "answer": candidate.answer.strip()[:2500] or "(empty reply)",
                "keywords": [],
                "buckets": [candidate.bucket],
                "team": candidate.team,
            }
        )
    header = (
        f"# {len(entries)} FAQ candidate(s) proposed in ticket threads; review, edit and add keywords,\n"
        "# then paste the entries into the FAQ file (or the template's faq.entries).\n"
    )
    return header + yaml.safe_dump({"entries": entries}, sort_keys=False, allow_unicode=True, width=100)


def _slug(text: str) -> str:
    return _NOT_KEY.sub("-", text.lower()).strip("-")[:40]


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
