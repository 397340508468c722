"""A small, pure JQL subset: tokenizer, parser and evaluator for the fake Jira.

Supported: `field = value`, `!=`, `in (...)`, `not in (...)`, `~` / `!~` (case-insensitive
substring), `>`, `>=`, `<`, `<=` on dates and keys, `is [not] EMPTY`, `AND` / `OR` / `NOT` with
parentheses, `ORDER BY field [ASC|DESC], ...`, and the functions `currentUser()`, `now()`,
`startOfDay()`, `endOfDay()`. Dates are `"2026-01-31"`, `"2026-01-31 10:00"` (also with `/`)
or relative periods such as `-30d`, `-4w 2d`, `-3h`.

Records are plain mappings from canonical field name to a `FieldValue`: `None` (EMPTY), a `str`
(text fields), a `datetime`, a `Term`, or a tuple of `Term`s (multi-valued fields like labels).
Keeping the record format this small lets the fake cache one record per issue and keeps this
module free of any knowledge of how issues are stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from app.sandbox.jql_parser import (
    EMPTY,
    And,
    Clause,
    FunctionCall,
    JqlError,
    Node,
    Not,
    Or,
    OrderBy,
    Query,
    Value,
    parse,
    parse_date,
)

__all__ = [
    "EMPTY",
    "And",
    "Clause",
    "EvalContext",
    "FieldValue",
    "FunctionCall",
    "JqlError",
    "Not",
    "Or",
    "OrderBy",
    "Query",
    "Term",
    "clauses",
    "matches",
    "parse",
    "parse_date",
    "search",
    "sort_records",
]


@dataclass(frozen=True)
class Term:
    """A value of a field as JQL sees it: every name it answers to (lower-case) and its sort order."""

    names: frozenset[str]
    order: Any = ""

    @staticmethod
    def of(*names: str | None, order: Any = None) -> Term:
        clean = frozenset(n.lower() for n in names if n)
        first = next((n for n in names if n), "")
        return Term(clean, first.lower() if order is None else order)


FieldValue = None | str | datetime | Term | tuple[Term, ...]
Record = Mapping[str, FieldValue]
T = TypeVar("T")


@dataclass(frozen=True)
class EvalContext:
    """What a query needs besides the record: the clock and who `currentUser()` is."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    current_user: Term | None = None
    tz: tzinfo = UTC


def clauses(node: Node | None) -> Iterator[Clause]:
    """Every clause of a query tree, left to right (the fake validates their values)."""
    if node is None:
        return
    if isinstance(node, Clause):
        yield node
    elif isinstance(node, Not):
        yield from clauses(node.part)
    else:
        for part in node.parts:
            yield from clauses(part)


def matches(node: Node | None, record: Record, ctx: EvalContext) -> bool:
    """Whether `record` satisfies the WHERE part of a query (`None` matches everything)."""
    if node is None:
        return True
    if isinstance(node, And):
        return all(matches(p, record, ctx) for p in node.parts)
    if isinstance(node, Or):
        return any(matches(p, record, ctx) for p in node.parts)
    if isinstance(node, Not):
        return not matches(node.part, record, ctx)
    return _clause(node, record.get(node.field), ctx)


def search(query: Query, records: Sequence[Record], ctx: EvalContext) -> list[Record]:
    """Filter and sort `records` (in their given order when the query has no ORDER BY)."""
    hits = [r for r in records if matches(query.where, r, ctx)]
    return sort_records(hits, query.order_by, lambda r: r)


def sort_records(
    items: Sequence[T], order_by: Sequence[OrderBy], record_of: Callable[[T], Record]
) -> list[T]:
    """Sort `items` by ORDER BY keys read from their records (stable: ties keep their order)."""
    # Stable sorts applied from the last key to the first give a multi-key sort with
    # per-key direction; EMPTY values go last ascending and first descending, like Jira.
    result = list(items)
    for item in reversed(order_by):
        name = item.field
        result.sort(key=lambda i: _sort_key(record_of(i).get(name)), reverse=item.descending)
    return result


def _sort_key(value: FieldValue) -> tuple[int, Any]:
    if value is None or value == ():
        return (1, 0)
    if isinstance(value, datetime):
        return (0, value.timestamp())
    if isinstance(value, Term):
        return (0, value.order)
    if isinstance(value, tuple):
        return (0, min(str(t.order) for t in value))
    return (0, value.lower())


# -- clause evaluation -----------------------------------------------------------------------
def _is_empty(value: FieldValue) -> bool:
    return value is None or value == () or value == ""


def _clause(clause: Clause, value: FieldValue, ctx: EvalContext) -> bool:
    op = clause.op
    if op in ("is", "is not"):
        return _is_empty(value) == (op == "is")
    if clause.kind == "text":
        return _text(clause, value, ctx)
    if op in ("=", "in"):
        return any(_equals(clause, value, v, ctx) for v in clause.values)
    if op in ("!=", "not in"):
        # Jira: "!=" and "not in" never match an issue whose field is EMPTY.
        if _is_empty(value):
            return False
        return not any(_equals(clause, value, v, ctx) for v in clause.values)
    return _compare(clause, value, ctx)


def _text(clause: Clause, value: FieldValue, ctx: EvalContext) -> bool:
    needle = _literal(clause.values[0], clause, ctx)
    if not isinstance(needle, str):
        raise JqlError(f"The field '{clause.name}' does not support searching for EMPTY values with '~'.")
    # Jira treats a trailing '*' as a prefix wildcard; a substring match already covers that.
    needle = needle.strip().rstrip("*").lower()
    haystack = value.lower() if isinstance(value, str) else ""
    found = needle in haystack
    return found if clause.op == "~" else (not found and not _is_empty(value))


def _literal(raw: Value, clause: Clause, ctx: EvalContext) -> str | datetime | Term | None:
    if raw is EMPTY:
        return None
    if isinstance(raw, FunctionCall):
        name = raw.name.lower()
        if name == "currentuser":  # anonymous: a user nobody is
            return ctx.current_user or Term(frozenset())
        if name == "now":
            return ctx.now
        local = ctx.now.astimezone(ctx.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        return local if name == "startofday" else local + timedelta(days=1) - timedelta(microseconds=1)
    assert isinstance(raw, str)
    if clause.kind == "date":
        return parse_date(raw, now=ctx.now, tz=ctx.tz, field_name=clause.name)
    return raw


def _equals(clause: Clause, value: FieldValue, raw: Value, ctx: EvalContext) -> bool:
    literal = _literal(raw, clause, ctx)
    if literal is None:
        return _is_empty(value)
    if isinstance(literal, str) and clause.field == "resolution" and literal.lower() == "unresolved":
        return _is_empty(value)
    if _is_empty(value):
        return False
    if isinstance(value, datetime):
        return isinstance(literal, datetime) and value == literal
    terms = value if isinstance(value, tuple) else (value,)
    if isinstance(literal, Term):
        return any(t.names & literal.names for t in terms if isinstance(t, Term))
    if isinstance(literal, datetime):
        return False
    wanted = literal.lower()
    return any(wanted in t.names if isinstance(t, Term) else wanted == str(t).lower() for t in terms)


def _compare(clause: Clause, value: FieldValue, ctx: EvalContext) -> bool:
    literal = _literal(clause.values[0], clause, ctx)
    if _is_empty(value) or literal is None:
        return False
    left: Any
    right: Any
    if clause.kind == "date":
        if not isinstance(value, datetime) or not isinstance(literal, datetime):
            return False
        left, right = value, literal
    else:  # issue keys: compare within the project by number, like Jira
        if not isinstance(value, Term) or not isinstance(literal, str):
            return False
        right = _key_order(literal, clause)
        left = value.order
        if left[0] != right[0]:
            return False
    outcome: bool = {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[
        clause.op
    ]
    return outcome


def _key_order(literal: str, clause: Clause) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Za-z][A-Za-z0-9_]*)-(\d+)", literal.strip())
    if not match:
        raise JqlError(f"The issue key '{literal}' for field '{clause.name}' is invalid.")
    return match.group(1).upper(), int(match.group(2))
