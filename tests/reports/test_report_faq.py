"""The report's FAQ figures: the deflection rate and the open FAQ candidates, in every format.

Private tickets' candidates are counted and never quoted, whether the store knows the ticket came
in privately or Jira carries the template's private label.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.cli.main import main
from app.config.private import PrivatePath
from app.config.template import Template
from app.domain.digest import digest_text
from app.domain.faq import FAQ_DEFLECTED_LABEL
from app.domain.report_figures import InterruptReport, build_report, excerpt
from app.domain.report_models import OpenFaqCandidate, Period, ReportIssue
from app.reports.reading import ReportContext, read_issue
from app.reports.render_html import html_page
from app.reports.render_json import as_dict, json_text
from app.reports.render_text import csv_text, markdown, table
from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PAT, FakeJira
from app.store.db import create_db_engine, migrate
from app.store.faq import faq_candidates, faq_deflections
from app.store.report_facts import TicketFacts, facts_since, open_candidates
from app.store.schema import tickets
from app.worker.faq_jobs import DEFLECTED_LABEL
from tests.reports.conftest import EXAMPLE_TEMPLATE, NOW

PERIOD = Period(NOW - timedelta(days=14), NOW)
SECRET_QUESTION = "my salary slip shows the wrong bank account"
SECRET_ANSWER = "payroll fixed the IBAN for you, Alice"


def issue(key: str, days_ago: float, **kw: object) -> ReportIssue:
    return ReportIssue(key=key, created=NOW - timedelta(days=days_ago), summary="x", **kw)  # type: ignore[arg-type]


def candidate(question: str, answer: str, key: str | None, *, age_h: float, **kw: object) -> OpenFaqCandidate:
    values: dict[str, object] = {
        "question": question,
        "answer": answer,
        "jira_key": key,
        "proposed_by": "U0ONCALL",
        "team": "platform",
        "bucket": "question",
        "created_at": (NOW - timedelta(hours=age_h)).timestamp(),
        "private": False,
    }
    return OpenFaqCandidate(**{**values, **kw})  # type: ignore[arg-type]


def faq_report() -> InterruptReport:
    issues = [
        issue("A-1", 1, bucket="access", team="plat", faq_deflected=True),
        issue("A-2", 2, bucket="access", team="plat"),
        issue("A-3", 3, bucket="question", team="net", faq_deflected=True),
        issue("A-4", 4, bucket="question", team="net"),
        issue("P-1", 5, bucket="access", team="plat", private=True),
        issue("B-1", 20, bucket="access", team="plat", faq_deflected=True),  # previous period
        issue("B-2", 21, bucket="ci", team="plat"),
        issue("B-3", 22, bucket="ci", team="plat"),
        issue("B-4", 23, bucket="ci", team="plat"),
    ]
    candidates = [
        candidate("How do I rotate my API token?", "Run `vault token renew` | then retry", "A-4", age_h=5),
        candidate("Where are the deploy logs?", "In Grafana, folder Deploys", "A-2", age_h=1),
        candidate(SECRET_QUESTION, SECRET_ANSWER, "P-9", age_h=2, private=True),  # the store says private
        candidate("private by its Jira label", "labelled in Jira only", "P-1", age_h=3),
    ]
    return build_report(issues, PERIOD, candidates=candidates)


def test_deflection_rate_overall_per_bucket_and_team_with_the_change() -> None:
    report = faq_report()
    d = report.deflection
    assert (d.deflected, d.total, d.previous_deflected, d.previous_total) == (2, 5, 1, 4)
    assert d.rate == pytest.approx(0.4)
    assert d.previous_rate == pytest.approx(0.25)
    assert d.change == pytest.approx(0.15)  # percentage points, not a relative change
    buckets = {b.name: b for b in report.deflection_by_bucket}
    assert set(buckets) == {"access", "question"}  # ci never had a deflected ticket: left out
    assert (buckets["access"].deflected, buckets["access"].total) == (1, 3)
    assert (buckets["access"].previous_deflected, buckets["access"].previous_total) == (1, 1)
    assert buckets["question"].change is None  # no question tickets before
    teams = {t.name: t for t in report.deflection_by_team}
    assert (teams["net"].deflected, teams["net"].total) == (1, 2)
    assert (teams["plat"].deflected, teams["plat"].total, teams["plat"].previous_total) == (1, 3, 4)

    empty = build_report([], PERIOD)
    assert (empty.deflection.rate, empty.deflection.change, empty.deflection_by_bucket) == (None, None, ())


def test_open_candidates_are_counted_and_private_ones_never_quoted() -> None:
    found = faq_report().faq_candidates
    assert (found.open, found.private) == (4, 2)
    assert [c.jira_key for c in found.newest] == ["A-2", "A-4"]  # newest first, private ones left out
    assert found.newest[0].answer == "In Grafana, folder Deploys"
    assert found.newest[0].proposed_by == "U0ONCALL"
    assert excerpt("word " * 100).endswith("…")
    assert len(excerpt("word " * 100)) == 120
    assert excerpt("  two\n lines ") == "two lines"


def rendered(report: InterruptReport) -> dict[str, str]:
    return {
        "table": table(report),
        "markdown": markdown(report),
        "csv": csv_text(report),
        "json": json_text(report),
        "html": html_page(report),
    }


def test_every_format_shows_the_rate_and_the_candidates_but_no_private_text() -> None:
    report = faq_report()
    for fmt, text in rendered(report).items():
        assert "40%" in text or fmt == "json", fmt
        assert "Where are the deploy logs?" in text, fmt
        assert "In Grafana, folder Deploys" in text, fmt
        for secret in (SECRET_QUESTION, SECRET_ANSWER, "private by its Jira label", "labelled in Jira only"):
            assert secret not in text, (fmt, secret)
    rows = list(csv.reader(io.StringIO(csv_text(report))))
    assert ["faq answered", "all", "40% (2/5)", "25% (1/4)", "+15 pt"] in rows
    assert ["faq candidates", "open", "4", "", "2 from private tickets, not quoted"] in rows
    assert any(r[:2] == ["faq answered bucket", "access"] for r in rows)
    assert any(r[:2] == ["faq answered team", "net"] for r in rows)
    data = as_dict(report)
    assert data["deflection"]["deflected"] == 2
    assert data["deflection"]["rate"] == pytest.approx(0.4)
    assert data["deflection"]["change"] == pytest.approx(0.15)
    assert [b["name"] for b in data["deflection_by_bucket"]] == ["access", "question"]
    assert data["faq_candidates"]["open"] == 4
    assert data["faq_candidates"]["private"] == 2
    assert data["faq_candidates"]["newest"][1]["question"] == "How do I rotate my API token?"
    page = html_page(report)
    assert '<section class="faq" id="faq">' in page
    assert "Open FAQ candidates: 4 (2 from private tickets, not quoted)" in page
    assert "Run `vault token renew` | then retry" in page


def test_the_digest_headline_says_how_many_the_faq_answered() -> None:
    text = digest_text("Platform", faq_report())
    assert "• FAQ answered 2 (40%), 4 proposed answers to review" in text.splitlines()
    assert "FAQ answered" not in digest_text("Platform", build_report([issue("A-1", 1)], PERIOD))


def raw(key: str, labels: list[str]) -> dict[str, object]:
    created = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {"key": key, "fields": {"created": created, "labels": labels, "project": {"key": "PLAT"}}}


def test_reading_takes_the_label_first_the_store_as_fallback_and_the_templates_private_label(
    template: Template,
) -> None:
    assert (
        DEFLECTED_LABEL == FAQ_DEFLECTED_LABEL == "faq-deflected"
    )  # the resolve job's label is the one read
    ctx = ReportContext.of(template)
    facts = {"PLAT-2": TicketFacts("C0PLATSUP", None, faq_deflected=True)}
    labelled = read_issue(raw("PLAT-1", ["interrupt", FAQ_DEFLECTED_LABEL]), ctx, {}, now=NOW)
    stored = read_issue(raw("PLAT-2", ["interrupt"]), ctx, facts, now=NOW)
    neither = read_issue(raw("PLAT-3", ["interrupt"]), ctx, facts, now=NOW)
    assert labelled is not None
    assert labelled.faq_deflected
    assert stored is not None
    assert stored.faq_deflected
    assert neither is not None
    assert not neither.faq_deflected

    custom = ReportContext.of(template.model_copy(update={"private": PrivatePath(label="ask-quietly")}))
    assert ctx.private_label == template.private.label
    quiet = read_issue(raw("PLAT-4", ["interrupt", "ask-quietly"]), custom, {}, now=NOW)
    old = read_issue(raw("PLAT-5", ["interrupt", "private-request"]), custom, {}, now=NOW)
    assert quiet is not None
    assert quiet.private
    assert old is not None
    assert not old.private


# -- the store, on both databases ------------------------------------------------------------------


def add_ticket(conn: sa.Connection, ticket_id: str, key: str, *, source: str = "reaction") -> None:
    created = (NOW - timedelta(days=1)).timestamp()
    conn.execute(
        sa.insert(tickets).values(
            id=ticket_id,
            team="platform",
            channel_id="D0ALICE" if source == "private" else "C0PLATSUP",
            message_ts=f"1.{ticket_id}",
            bucket="question",
            priority="Low",
            source=source,
            state="created",
            marker=f"ib-{ticket_id}",
            jira_key=key,
            created_at=created,
            updated_at=created,
        )
    )


def add_candidate(
    conn: sa.Connection, ticket_id: str, key: str, question: str, answer: str, **kw: str
) -> None:
    values = {
        "ticket_id": ticket_id,
        "channel_id": "C0PLATSUP",
        "reply_ts": f"2.{ticket_id}",
        "question": question,
        "answer": answer,
        "answered_by": "U0ONCALL",
        "proposed_by": "U0LEAD",
        "team": "platform",
        "bucket": "question",
        "jira_key": key,
        "state": "open",
        "created_at": (NOW - timedelta(hours=1)).timestamp(),
    }
    conn.execute(sa.insert(faq_candidates).values({**values, **kw}))


@pytest.fixture
def store(database_url: str) -> Iterator[sa.Engine]:
    migrate(database_url)
    engine = create_db_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_the_store_marks_private_candidates_and_knows_this_solved_it(store: sa.Engine) -> None:
    since = (NOW - timedelta(days=30)).timestamp()
    with store.begin() as conn:
        add_ticket(conn, "t1", "PLAT-1")
        add_ticket(conn, "t2", "PLAT-2", source="private")
        add_ticket(conn, "t3", "NET-3")
        add_candidate(conn, "t1", "PLAT-1", "How do I rotate my token?", "vault token renew")
        add_candidate(conn, "t2", "PLAT-2", SECRET_QUESTION, SECRET_ANSWER)
        add_candidate(conn, "t3", "NET-3", "dns?", "ask net", team="networking")
        add_candidate(conn, "t1", "PLAT-1", "done", "reviewed", reply_ts="3.t1", state="accepted")
        add_candidate(conn, "gone", "PLAT-9", "ticket row gone", "unknown origin", reply_ts="4.x")
        now = NOW.timestamp()
        conn.execute(
            sa.insert(faq_deflections).values(
                ticket_id="t1", entry_id="rotate-token", user_id="U0ALICE", created_at=now, updated_at=now
            )
        )
    with store.connect() as conn:
        facts = facts_since(conn, since)
        platform = open_candidates(conn, team="platform")
        everyone = open_candidates(conn)
    assert facts["PLAT-1"].faq_deflected
    assert not facts["PLAT-2"].faq_deflected
    assert {c.jira_key: c.private for c in platform} == {"PLAT-1": False, "PLAT-2": True, "PLAT-9": True}
    assert len(everyone) == 4  # the accepted one is not open
    report = build_report([], PERIOD, candidates=platform)
    assert (report.faq_candidates.open, report.faq_candidates.private) == (3, 2)
    assert [c.question for c in report.faq_candidates.newest] == ["How do I rotate my token?"]


def test_cli_json_has_the_rate_and_the_candidates(
    seeded: FakeJira,
    store: sa.Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("JIRA_URL", seeded.base_url)
    if seeded.deployment == "cloud":
        monkeypatch.setenv("JIRA_EMAIL", DEFAULT_EMAIL)
        monkeypatch.setenv("JIRA_API_TOKEN", DEFAULT_API_TOKEN)
    else:
        monkeypatch.setenv("JIRA_PAT", DEFAULT_PAT)
    monkeypatch.setenv("BRIDGE_CONFIG", str(EXAMPLE_TEMPLATE))
    monkeypatch.setenv("DATABASE_URL", database_url)
    start = datetime(2026, 10, 28, tzinfo=UTC)
    with seeded.lock:
        in_period = [i for i in seeded.state.issues_by_key.values() if i.created >= start]
        labelled = sum(FAQ_DEFLECTED_LABEL in i.labels for i in in_period)
        unlabelled = next(i.key for i in in_period if FAQ_DEFLECTED_LABEL not in i.labels)
    assert labelled > 0  # the seed labels some resolved tickets
    with store.begin() as conn:
        add_ticket(conn, "t1", unlabelled)
        add_ticket(conn, "t2", "PLAT-999", source="private")
        add_candidate(conn, "t1", unlabelled, "How do I rotate my token?", "vault token renew")
        add_candidate(conn, "t2", "PLAT-999", SECRET_QUESTION, SECRET_ANSWER)
        now = NOW.timestamp()
        conn.execute(
            sa.insert(faq_deflections).values(
                ticket_id="t1", entry_id="rotate-token", user_id="U0ALICE", created_at=now, updated_at=now
            )
        )
    assert main(["report", "--from", "2026-10-28", "--format", "json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["deflection"]["deflected"] == labelled + 1  # the store fills in the missing label
    assert data["deflection"]["total"] == len(in_period)
    assert data["deflection"]["previous_total"] > 0
    assert data["faq_candidates"]["open"] == 2
    assert data["faq_candidates"]["private"] == 1
    assert [c["jira_key"] for c in data["faq_candidates"]["newest"]] == [unlabelled]
    assert SECRET_QUESTION not in out
    assert SECRET_ANSWER not in out
