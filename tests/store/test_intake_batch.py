"""Batched intake writes leave the database exactly as writing each record in order would."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.store.db import create_db_engine
from app.store.intake_batch import IntakeOutcome, IntakeRecord, JobSpec, TicketClaim, write_intake

CREATE = "ticket.create"
TRACKED = "ticket.already_tracked"


def record(
    event_id: str, message_ts: str | None, *, n: int, user: str = "U0BOB", tracked_key: str | None = None
) -> IntakeRecord:
    """A delivery; with `message_ts` it claims a ticket for that message (ids unique per `n`)."""
    claim = None
    if message_ts is not None:
        ticket_id = f"{n:04d}{event_id}".ljust(32, "0")[:32]
        claim = TicketClaim(
            ticket_id=ticket_id,
            team="platform",
            channel_id="C0PLATSUP",
            message_ts=message_ts,
            bucket="question",
            priority="Low",
            source="reaction",
            reactor_id=user,
            if_opened=JobSpec(CREATE, {"ticket_id": ticket_id}),
            if_tracked=JobSpec(
                TRACKED,
                {"team": "platform", "channel": "C0PLATSUP", "ts": message_ts, "user": user},
                dedupe_key=f"{TRACKED}:{tracked_key or event_id}",
            ),
        )
    kind = "event:reaction_added" if claim is not None else "command"
    return IntakeRecord(event_id, kind, f'{{"n": {n}}}', n % 3, 1000.0 + n, claim)


def snapshot(conn: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of the intake tables, without generated ids, in insertion order."""
    tables = {}
    for table in ("slack_deliveries", "tickets", "jobs"):
        order = "created_at, id" if table == "tickets" else "id"
        rows = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {order}")).mappings()  # noqa: S608
        tables[table] = [{k: v for k, v in r.items() if not (k == "id" and table != "tickets")} for r in rows]
    return tables


def written(
    conn: sa.Connection, seed: list[IntakeRecord], records: list[IntakeRecord], *, batched: bool
) -> Any:
    """Write `seed` then `records` in a transaction that is rolled back; what it wrote and returned."""
    with conn.begin() as tx:
        for r in seed:
            r(conn)
        outcomes = write_intake(conn, records) if batched else [r(conn) for r in records]
        state = snapshot(conn)
        tx.rollback()
    return outcomes, state


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def test_outcomes_of_a_mixed_batch(engine: sa.Engine) -> None:
    seed = [record("EvOld", "1.1", n=0)]
    batch = [
        record("EvOld", "1.1", n=1),  # retried delivery: stored before
        record("EvA", "1.1", n=2),  # message already has a ticket
        record("EvB", "2.2", n=3),  # new message
        record("EvC", "2.2", n=4),  # same new message, second reactor in the same batch
        record("EvB", "2.2", n=5),  # retry of EvB inside the batch
        record("EvD", None, n=6),  # a delivery that asks for no ticket
    ]
    with engine.connect() as conn:
        outcomes, state = written(conn, seed, batch, batched=True)
    assert outcomes == [
        IntakeOutcome.DUPLICATE,
        IntakeOutcome.TRACKED,
        IntakeOutcome.OPENED,
        IntakeOutcome.TRACKED,
        IntakeOutcome.DUPLICATE,
        IntakeOutcome.RECORDED,
    ]
    assert [d["dedupe_key"] for d in state["slack_deliveries"]] == ["EvOld", "EvA", "EvB", "EvC", "EvD"]
    assert [t["message_ts"] for t in state["tickets"]] == ["1.1", "2.2"]
    assert [(j["kind"], j["dedupe_key"]) for j in state["jobs"]] == [
        (CREATE, None),
        (TRACKED, f"{TRACKED}:EvA"),
        (CREATE, None),
        (TRACKED, f"{TRACKED}:EvC"),
    ]


_event_ids = st.sampled_from(["Ev1", "Ev2", "Ev3", "Ev4", "Ev5"])
_messages = st.one_of(st.none(), st.sampled_from(["1.1", "2.2", "3.3"]))
# The tracked job's key normally follows the event id; drawing it apart also covers a key that is taken.
_plans = st.lists(st.tuples(_event_ids, _messages, _event_ids), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed_plan=_plans, batch_plan=_plans)
def test_batch_equals_records_written_one_by_one(
    engine: sa.Engine,
    seed_plan: list[tuple[str, str | None, str]],
    batch_plan: list[tuple[str, str | None, str]],
) -> None:
    seed = [record(e, m, n=n, tracked_key=k) for n, (e, m, k) in enumerate(seed_plan)]
    batch = [record(e, m, n=100 + n, tracked_key=k) for n, (e, m, k) in enumerate(batch_plan)]
    with engine.connect() as conn:
        assert written(conn, seed, batch, batched=True) == written(conn, seed, batch, batched=False)
