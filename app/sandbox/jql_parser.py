"""Tokenizer and recursive-descent parser of the JQL subset (see `app.sandbox.jql`).

Error messages copy the wording of Jira's own so that code which shows them to people reads the
same against the fake as against a real site; each names the offending token and its position.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

KINDS_OPERATORS: Final[dict[str, frozenset[str]]] = {
    "term": frozenset({"=", "!=", "in", "not in", "is", "is not"}),
    "user": frozenset({"=", "!=", "in", "not in", "is", "is not"}),
    "text": frozenset({"~", "!~", "is", "is not"}),
    "date": frozenset({"=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not"}),
    "key": frozenset({"=", "!=", ">", ">=", "<", "<=", "in", "not in"}),
}

# clause name (lower case) -> (canonical record field, kind)
SYSTEM_FIELDS: Final[dict[str, tuple[str, str]]] = {
    "project": ("project", "term"),
    "labels": ("labels", "term"),
    "status": ("status", "term"),
    "statuscategory": ("statusCategory", "term"),
    "priority": ("priority", "term"),
    "issuetype": ("issuetype", "term"),
    "type": ("issuetype", "term"),
    "resolution": ("resolution", "term"),
    "assignee": ("assignee", "user"),
    "reporter": ("reporter", "user"),
    "summary": ("summary", "text"),
    "description": ("description", "text"),
    "comment": ("comment", "text"),
    "text": ("text", "text"),
    "created": ("created", "date"),
    "createddate": ("created", "date"),
    "updated": ("updated", "date"),
    "updateddate": ("updated", "date"),
    "resolutiondate": ("resolutiondate", "date"),
    "resolved": ("resolutiondate", "date"),
    "key": ("key", "key"),
    "issuekey": ("key", "key"),
    "issue": ("key", "key"),
}
FUNCTIONS: Final[frozenset[str]] = frozenset({"currentuser", "now", "startofday", "endofday"})
_KEYWORDS: Final[frozenset[str]] = frozenset(
    {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
)
_OPERATORS_TEXT = "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'"


class JqlError(ValueError):
    """An invalid query; the message is the text Jira would put in `errorMessages`."""


_ABSOLUTE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_PERIOD = re.compile(r"^([+-]?)((?:\d+[wdhm]\s*)+)$")
_PERIOD_PART = re.compile(r"(\d+)([wdhm])")
_UNIT = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


def parse_date(text: str, *, now: datetime, tz: tzinfo = UTC, field_name: str = "created") -> datetime:
    """Parse a JQL date literal (absolute or relative to `now`) into an aware datetime."""
    literal = text.strip()
    for fmt in _ABSOLUTE_FORMATS:
        try:
            return datetime.strptime(literal, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    period = _PERIOD.match(literal)
    if period:
        delta = sum((int(n) * _UNIT[u] for n, u in _PERIOD_PART.findall(period.group(2))), timedelta())
        return now - delta if period.group(1) == "-" else now + delta
    raise JqlError(
        f"Date value '{text}' for field '{field_name}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
        "or a period format e.g. '-5d', '4w 2d'."
    )


class _Empty:
    def __repr__(self) -> str:
        return "EMPTY"


EMPTY: Final = _Empty()


@dataclass(frozen=True)
class FunctionCall:
    name: str


Value = str | FunctionCall | _Empty


@dataclass(frozen=True)
class Clause:
    field: str  # canonical record field, e.g. "statusCategory" or "customfield_10042"
    name: str  # as written in the query, for error messages
    kind: str
    op: str  # lower case: "=", "not in", "is not", ...
    values: tuple[Value, ...]


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class OrderBy:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[OrderBy, ...] = ()


@dataclass(frozen=True)
class _Token:
    kind: str  # word, string, op, (, ), ",", eof
    text: str
    pos: int

    @property
    def keyword(self) -> str | None:
        return self.text.lower() if self.kind == "word" and self.text.lower() in _KEYWORDS else None


_TOKEN = re.compile(
    r"\s*(?:(?P<op>!=|!~|>=|<=|&&|\|\||[=~<>&|!])|(?P<punct>[(),])|(?P<quote>[\"'])|(?P<word>[^\s=!~<>(),\"'&|;?#%^$@+]+))"
)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while True:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            rest = text[pos:].strip()
            if rest:
                raise JqlError(
                    f"Error in the JQL Query: The character '{rest[0]}' is a reserved JQL character. "
                    f"You must enclose it in a string or use the escape '\\u{ord(rest[0]):04x}' instead. "
                    f"{_where(text, len(text) - len(text[pos:].lstrip()))}"
                )
            tokens.append(_Token("eof", "", len(text)))
            return tokens
        start = match.start(match.lastgroup or 0)
        if match.group("quote"):
            quote = match.group("quote")
            end, value = _read_quoted(text, start, quote)
            tokens.append(_Token("string", value, start))
            pos = end
            continue
        if match.group("op"):
            op = {"&&": "and", "&": "and", "||": "or", "|": "or", "!": "not"}.get(match.group("op"))
            tokens.append(_Token("word", op, start) if op else _Token("op", match.group("op"), start))
        elif match.group("punct"):
            tokens.append(_Token(match.group("punct"), match.group("punct"), start))
        else:
            tokens.append(_Token("word", match.group("word"), start))
        pos = match.end()


def _read_quoted(text: str, start: int, quote: str) -> tuple[int, str]:
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == quote:
            return i + 1, "".join(out)
        out.append(char)
        i += 1
    raise JqlError(
        f"Error in the JQL Query: The quoted string '{text[start + 1 :]}' has not been completed. "
        f"{_where(text, start)}"
    )


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"(line {line}, character {column})"


class _Parser:
    def __init__(self, text: str, fields: Mapping[str, tuple[str, str]]) -> None:
        self.text = text
        self.fields = fields
        self.tokens = _tokenize(text)
        self.i = 0

    # -- token helpers ---------------------------------------------------------------------
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def _advance(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def _fail(self, expecting: str, token: _Token | None = None) -> JqlError:
        token = token or self.tok
        got = "the end of the query" if token.kind == "eof" else f"'{token.text}'"
        return JqlError(
            f"Error in the JQL Query: Expecting {expecting} but got {got}. {_where(self.text, token.pos)}"
        )

    def _at_keyword(self, *words: str) -> bool:
        return self.tok.keyword in words

    # -- grammar -----------------------------------------------------------------------------
    def query(self) -> Query:
        where = None if self._at_keyword("order") or self.tok.kind == "eof" else self._or()
        order: list[OrderBy] = []
        if self._at_keyword("order"):
            self._advance()
            if not self._at_keyword("by"):
                raise self._fail("'by'")
            self._advance()
            order.append(self._order_item())
            while self.tok.kind == ",":
                self._advance()
                order.append(self._order_item())
        if self.tok.kind != "eof":
            raise self._fail(
                "either 'OR' or 'AND'" if where is not None and not order else "end of the query"
            )
        return Query(where, tuple(order))

    def _order_item(self) -> OrderBy:
        token = self._advance()
        if token.kind not in ("word", "string") or token.keyword:
            raise self._fail("a field name", token)
        canonical, kind = self._field(token)
        if kind == "text" and canonical in ("text", "comment"):
            raise JqlError(f"Field '{token.text}' does not support sorting.")
        descending = False
        if self._at_keyword("asc", "desc"):
            descending = self._advance().text.lower() == "desc"
        return OrderBy(canonical, descending)

    def _or(self) -> Node:
        parts = [self._and()]
        while self._at_keyword("or"):
            self._advance()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _and(self) -> Node:
        parts = [self._not()]
        while self._at_keyword("and"):
            self._advance()
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _not(self) -> Node:
        if self._at_keyword("not"):
            self._advance()
            return Not(self._not())
        if self.tok.kind == "(":
            self._advance()
            node = self._or()
            if self.tok.kind != ")":
                raise self._fail("')'")
            self._advance()
            return node
        return self._clause()

    def _field(self, token: _Token) -> tuple[str, str]:
        name = token.text.lower()
        if name in self.fields:
            return self.fields[name]
        if name in SYSTEM_FIELDS:
            return SYSTEM_FIELDS[name]
        raise JqlError(f"Field '{token.text}' does not exist or you do not have permission to view it.")

    def _clause(self) -> Clause:
        token = self._advance()
        if token.kind not in ("word", "string") or token.keyword:
            raise self._fail("a field name", token)
        canonical, kind = self._field(token)
        op = self._operator()
        if op not in KINDS_OPERATORS[kind]:
            raise JqlError(f"The operator '{op.upper()}' is not supported by the '{token.text}' field.")
        values = self._operand(op)
        if kind == "date":
            for value in values:
                if isinstance(value, str):  # fail early, even when no issue would be compared
                    parse_date(value, now=datetime.now(UTC), field_name=token.text)
        if op in ("is", "is not") and values != (EMPTY,):
            raise JqlError(
                f"The operator '{op.upper()}' only supports EMPTY or NULL values "
                f"for the field '{token.text}'."
            )
        return Clause(canonical, token.text, kind, op, values)

    def _operator(self) -> str:
        token = self.tok
        if token.kind == "op" and token.text in ("=", "!=", "~", "!~", ">", ">=", "<", "<="):
            self._advance()
            return token.text
        if token.keyword == "in":
            self._advance()
            return "in"
        if token.keyword == "not":
            self._advance()
            if not self._at_keyword("in"):
                raise self._fail("'IN'")
            self._advance()
            return "not in"
        if token.keyword == "is":
            self._advance()
            if self._at_keyword("not"):
                self._advance()
                return "is not"
            return "is"
        got = "the end of the query" if token.kind == "eof" else f"'{token.text}'"
        raise JqlError(
            f"Error in the JQL Query: Expecting operator but got {got}. "
            f"The valid operators are {_OPERATORS_TEXT}. {_where(self.text, token.pos)}"
        )

    def _operand(self, op: str) -> tuple[Value, ...]:
        if op in ("in", "not in"):
            if self.tok.kind != "(":
                raise self._fail("'('")
            self._advance()
            values = [self._value()]
            while self.tok.kind == ",":
                self._advance()
                values.append(self._value())
            if self.tok.kind != ")":
                raise self._fail("')'")
            self._advance()
            return tuple(values)
        return (self._value(),)

    def _value(self) -> Value:
        token = self.tok
        if token.keyword in ("empty", "null"):
            self._advance()
            return EMPTY
        if token.kind == "string":
            self._advance()
            return token.text
        if token.kind != "word" or token.keyword:
            raise self._fail("either a value, list or function", token)
        self._advance()
        if self.tok.kind == "(":
            return self._function(token)
        return token.text

    def _function(self, name: _Token) -> FunctionCall:
        self._advance()
        if self.tok.kind != ")":
            raise self._fail("')'")
        self._advance()
        if name.text.lower() not in FUNCTIONS:
            raise JqlError(f"Unable to find JQL function '{name.text}()'.")
        return FunctionCall(name.text)


def parse(text: str, *, custom_fields: Mapping[str, tuple[str, str]] | None = None) -> Query:
    """Parse a JQL string.

    `custom_fields` maps extra clause names (lower case, e.g. `"cf[10042]"`, `"affected service"`)
    to `(record field, kind)`. Raises `JqlError` with a Jira-style message naming the problem.
    """
    return _Parser(text, custom_fields or {}).query()
