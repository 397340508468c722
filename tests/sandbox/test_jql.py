"""The JQL subset of the fake Jira: parsing, evaluation, ordering and Jira-style errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.sandbox import jql
from app.sandbox.jql import EvalContext, JqlError, Term, parse, parse_date, search

NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
CTX = EvalContext(now=NOW, current_user=Term.of("alice"))
CUSTOM = {"cf[10042]": ("customfield_10042", "text"), "affected service": ("customfield_10042", "text")}


def record(
    key: str,
    *,
    labels: tuple[str, ...] = (),
    status: str = "To Do",
    category: str = "To Do",
    priority: tuple[str, int] = ("Medium", -3),
    assignee: str | None = None,
    summary: str = "",
    description: str | None = None,
    created: datetime = NOW,
    resolution: str | None = None,
    resolved: datetime | None = None,
    service: str | None = None,
) -> dict[str, jql.FieldValue]:
    project, number = key.split("-")
    return {
        "key": Term.of(key, order=(project, int(number))),
        "project": Term.of(project),
        "labels": tuple(Term.of(label) for label in labels),
        "status": Term.of(status),
        "statusCategory": Term.of(category),
        "priority": Term.of(priority[0], order=priority[1]),
        "issuetype": Term.of("Task"),
        "assignee": Term.of(assignee) if assignee else None,
        "reporter": Term.of("bot"),
        "summary": summary,
        "description": description,
        "text": f"{summary}\n{description or ''}",
        "created": created,
        "updated": created,
        "resolution": Term.of(resolution) if resolution else None,
        "resolutiondate": resolved,
        "customfield_10042": service,
    }


RECORDS = [
    record(
        "PLAT-1",
        labels=("interrupt", "db"),
        summary="Disk full on db-1",
        created=NOW - timedelta(days=40),
        priority=("High", -2),
        assignee="alice",
        service="postgres",
    ),
    record(
        "PLAT-2",
        labels=("interrupt",),
        summary="Deploy stuck",
        description="The pipeline HANGS at step 3",
        created=NOW - timedelta(days=3),
        status="In Progress",
        category="In Progress",
        assignee="bob",
    ),
    record(
        "PLAT-10",
        summary="Rotate certificates",
        created=datetime(2026, 1, 31, 10, 30, tzinfo=UTC),
        status="Done",
        category="Done",
        resolution="Done",
        resolved=NOW - timedelta(hours=2),
        priority=("Highest", -1),
    ),
    record(
        "NET-1", labels=("vpn",), summary="VPN flaps", created=NOW - timedelta(weeks=5), priority=("Low", -4)
    ),
]


def keys(text: str) -> list[str]:
    hits = search(parse(text, custom_fields=CUSTOM), RECORDS, CTX)
    return [sorted(h["key"].names)[0].upper() for h in hits]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("project = PLAT", ["PLAT-1", "PLAT-2", "PLAT-10"]),
        ("project = plat", ["PLAT-1", "PLAT-2", "PLAT-10"]),
        ("project != PLAT", ["NET-1"]),
        ("project in (NET, OPS)", ["NET-1"]),
        ("project not in (PLAT)", ["NET-1"]),
        ("labels = interrupt", ["PLAT-1", "PLAT-2"]),
        ("labels in (db, vpn)", ["PLAT-1", "NET-1"]),
        # Jira: != and NOT IN never match an EMPTY field.
        ("labels != interrupt", ["NET-1"]),
        ("labels not in (interrupt)", ["NET-1"]),
        ("labels is EMPTY", ["PLAT-10"]),
        ("labels is not empty", ["PLAT-1", "PLAT-2", "NET-1"]),
        ("labels = EMPTY", ["PLAT-10"]),
        ("status = 'In Progress'", ["PLAT-2"]),
        ('status in ("To Do", "In Progress")', ["PLAT-1", "PLAT-2", "NET-1"]),
        ("statusCategory = Done", ["PLAT-10"]),
        ("statusCategory != Done", ["PLAT-1", "PLAT-2", "NET-1"]),
        ("resolution = Unresolved", ["PLAT-1", "PLAT-2", "NET-1"]),
        ("resolution != Unresolved", ["PLAT-10"]),
        ("resolution = Done", ["PLAT-10"]),
        ("priority in (High, Highest)", ["PLAT-1", "PLAT-10"]),
        ("assignee = alice", ["PLAT-1"]),
        ("assignee = currentUser()", ["PLAT-1"]),
        ("assignee is EMPTY", ["PLAT-10", "NET-1"]),
        ("assignee != alice", ["PLAT-2"]),
        ("issuetype = Task AND reporter = bot", ["PLAT-1", "PLAT-2", "PLAT-10", "NET-1"]),
        ("summary ~ disk", ["PLAT-1"]),
        ("summary ~ 'DEPLOY*'", ["PLAT-2"]),
        ("description ~ hangs", ["PLAT-2"]),
        ("text ~ hangs", ["PLAT-2"]),
        ("summary !~ disk", ["PLAT-2", "PLAT-10", "NET-1"]),
        ("description is EMPTY", ["PLAT-1", "PLAT-10", "NET-1"]),
        ("cf[10042] ~ postgres", ["PLAT-1"]),
        ('"Affected service" ~ POST', ["PLAT-1"]),
        ("created >= -30d", ["PLAT-2", "PLAT-10"]),
        ("created < -4w", ["PLAT-1", "NET-1"]),
        ("created > '-4w 6d'", ["PLAT-2", "PLAT-10"]),
        ('created >= "2026-01-31" AND created <= "2026-01-31 23:59"', ["PLAT-10"]),
        ('created > "2026/01/31 10:30"', ["PLAT-2"]),
        ('created >= "2026-01-31 10:30"', ["PLAT-2", "PLAT-10"]),
        ("created >= startOfDay()", []),
        ("created <= now()", ["PLAT-1", "PLAT-2", "PLAT-10", "NET-1"]),
        ("resolutiondate >= -1d", ["PLAT-10"]),
        ("resolved is EMPTY", ["PLAT-1", "PLAT-2", "NET-1"]),
        ("key = PLAT-10", ["PLAT-10"]),
        ("issuekey in (PLAT-1, NET-1)", ["PLAT-1", "NET-1"]),
        ("key > PLAT-2", ["PLAT-10"]),
        ("key <= PLAT-2", ["PLAT-1", "PLAT-2"]),
        ("labels = interrupt OR project = NET AND priority = Low", ["PLAT-1", "PLAT-2", "NET-1"]),
        ("(labels = interrupt OR project = NET) AND priority = Low", ["NET-1"]),
        ("NOT labels = interrupt", ["PLAT-10", "NET-1"]),
        ("not (labels = interrupt and assignee = bob)", ["PLAT-1", "PLAT-10", "NET-1"]),
        ("project = PLAT && labels = db || project = NET", ["PLAT-1", "NET-1"]),
        ("", ["PLAT-1", "PLAT-2", "PLAT-10", "NET-1"]),
    ],
)
def test_clauses_select_the_right_issues(query: str, expected: list[str]) -> None:
    assert keys(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ORDER BY created", ["PLAT-1", "NET-1", "PLAT-10", "PLAT-2"]),
        ("project = PLAT ORDER BY created DESC", ["PLAT-2", "PLAT-10", "PLAT-1"]),
        ("order by key desc", ["PLAT-10", "PLAT-2", "PLAT-1", "NET-1"]),
        # Priority sorts by rank: DESC puts the most urgent first, like Jira.
        ("ORDER BY priority DESC, key ASC", ["PLAT-10", "PLAT-1", "PLAT-2", "NET-1"]),
        # EMPTY sorts last ascending and first descending.
        ("ORDER BY resolutiondate ASC, key ASC", ["PLAT-10", "NET-1", "PLAT-1", "PLAT-2"]),
        ("ORDER BY assignee, created DESC", ["PLAT-1", "PLAT-2", "PLAT-10", "NET-1"]),
        ("ORDER BY labels", ["PLAT-1", "PLAT-2", "NET-1", "PLAT-10"]),
    ],
)
def test_order_by(query: str, expected: list[str]) -> None:
    assert keys(query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "project = ",
            "Expecting either a value, list or function but got the end of the query. (line 1, character 11)",
        ),
        ("project = PLAT AND", "Expecting a field name but got the end of the query."),
        ("(project = PLAT", "Expecting ')' but got the end of the query. (line 1, character 16)"),
        ("project = PLAT labels = x", "Expecting either 'OR' or 'AND' but got 'labels'."),
        ("project PLAT", "Expecting operator but got 'PLAT'. The valid operators are"),
        ("project in PLAT", "Expecting '(' but got 'PLAT'."),
        ("project in (PLAT, NET", "Expecting ')' but got the end of the query."),
        ("project not PLAT", "Expecting 'IN' but got 'PLAT'."),
        ('summary ~ "unfinished', "The quoted string 'unfinished' has not been completed."),
        ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
        ("ORDER BY nonsense", "Field 'nonsense' does not exist"),
        ("summary = disk", "The operator '=' is not supported by the 'summary' field."),
        ("project ~ PLAT", "The operator '~' is not supported by the 'project' field."),
        ("labels > x", "The operator '>' is not supported by the 'labels' field."),
        ("labels is x", "The operator 'IS' only supports EMPTY or NULL values for the field 'labels'."),
        ('created > "31/01/2026"', "Date value '31/01/2026' for field 'created' is invalid."),
        ("updated < -3x", "Date value '-3x' for field 'updated' is invalid."),
        ("assignee = whoever()", "Unable to find JQL function 'whoever()'."),
        ("project = PLAT ORDER created", "Expecting 'by' but got 'created'."),
        ("ORDER BY text", "Field 'text' does not support sorting."),
        ("project = PLAT ;", "The character ';' is a reserved JQL character."),
        (
            "assignee = alice@example.com",
            "The character '@' is a reserved JQL character. You must enclose it",
        ),
        ("project = in", "Expecting either a value, list or function but got 'in'."),
    ],
)
def test_invalid_queries_name_the_problem(query: str, message: str) -> None:
    with pytest.raises(JqlError) as raised:
        parse(query)
    assert message in str(raised.value)


def test_multi_line_queries_report_the_line() -> None:
    with pytest.raises(JqlError, match=r"\(line 2, character 14\)"):
        parse("project = PLAT\nAND labels = ")


def test_parse_keeps_fields_operators_and_values() -> None:
    query = parse('project = PLAT and labels not in (a, "b c") ORDER BY created DESC, key')
    assert query.order_by == (jql.OrderBy("created", True), jql.OrderBy("key", False))
    assert [(c.field, c.op, c.values) for c in jql.clauses(query.where)] == [
        ("project", "=", ("PLAT",)),
        ("labels", "not in", ("a", "b c")),
    ]


def test_quoted_strings_may_escape_quotes() -> None:
    [clause] = jql.clauses(parse(r'summary ~ "say \"hi\""').where)
    assert clause.values == ('say "hi"',)


def test_relative_and_absolute_dates() -> None:
    assert parse_date("-30d", now=NOW) == NOW - timedelta(days=30)
    assert parse_date("-4w", now=NOW) == NOW - timedelta(weeks=4)
    assert parse_date("-1w 2d 3h 4m", now=NOW) == NOW - timedelta(weeks=1, days=2, hours=3, minutes=4)
    assert parse_date("2d", now=NOW) == NOW + timedelta(days=2)
    assert parse_date("2026-01-31", now=NOW) == datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_date("2026/01/31 10:00", now=NOW) == datetime(2026, 1, 31, 10, tzinfo=UTC)


def test_current_user_without_a_user_matches_nobody() -> None:
    query = parse("assignee = currentUser()")
    assert search(query, RECORDS, EvalContext(now=NOW)) == []


# -- properties ----------------------------------------------------------------------------------
LABELS = st.sampled_from(["a", "b", "c", "d"])
LABEL_SETS = st.lists(st.frozensets(LABELS, max_size=3), min_size=1, max_size=12)


def _label_records(label_sets: list[frozenset[str]]) -> list[dict[str, jql.FieldValue]]:
    return [{"labels": tuple(Term.of(x) for x in sorted(s)), "n": str(i)} for i, s in enumerate(label_sets)]


@given(LABEL_SETS, LABELS, LABELS)
def test_boolean_operators_agree_with_set_algebra(label_sets: list[frozenset[str]], x: str, y: str) -> None:
    records = _label_records(label_sets)

    def ids(text: str) -> set[str]:
        return {str(r["n"]) for r in search(parse(text), records, CTX)}

    every = {str(r["n"]) for r in records}
    with_x, with_y = ids(f"labels = {x}"), ids(f"labels = {y}")
    assert with_x == {str(i) for i, s in enumerate(label_sets) if x in s}
    assert ids(f"labels = {x} OR labels = {y}") == with_x | with_y
    assert ids(f"labels = {x} AND labels = {y}") == with_x & with_y
    assert ids(f"NOT labels = {x}") == every - with_x
    assert ids(f"labels in ({x}, {y})") == with_x | with_y
    empty = ids("labels is EMPTY")
    assert ids(f"labels != {x}") == every - with_x - empty


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=20))
def test_order_by_created_is_sorted_and_stable(offsets: list[int]) -> None:
    records = [{"created": NOW - timedelta(minutes=m), "n": str(i)} for i, m in enumerate(offsets)]
    ascending = search(parse("ORDER BY created ASC"), records, CTX)
    stamps = [r["created"] for r in ascending]
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    descending = search(parse("ORDER BY created DESC"), records, CTX)
    assert [r["created"] for r in descending] == sorted(stamps, reverse=True)  # type: ignore[type-var]
