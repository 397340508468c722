"""Group commit: concurrent writes share transactions, a failing unit fails alone, order is kept."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence

import pytest
import sqlalchemy as sa

from app.store.db import create_db_engine
from app.store.group_commit import GroupCommitWriter
from app.store.intake_batch import IntakeOutcome, IntakeRecord, write_intake
from app.store.tickets import record_delivery


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def writer(engine: sa.Engine) -> Iterator[GroupCommitWriter]:
    writer = GroupCommitWriter(engine, writers=1)  # one thread: batches form deterministically
    writer.start()
    yield writer
    writer.stop()


def delivery(key: str) -> IntakeRecord:
    return IntakeRecord(key, "command", "{}", 0, 1000.0)


def keys(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT dedupe_key FROM slack_deliveries ORDER BY id")).scalars())


class Gate:
    """Holds the writer thread inside its first unit until released, so later submits queue up."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, conn: sa.Connection) -> str:
        record_delivery(conn, dedupe_key="gate", kind="command", body="{}", retry_num=0, now=1.0)
        self.entered.set()
        assert self.release.wait(10)
        return "gate"


async def test_waiting_writes_share_one_commit(writer: GroupCommitWriter, engine: sa.Engine) -> None:
    gate = Gate()
    first = asyncio.ensure_future(writer.submit(gate))
    assert await asyncio.to_thread(gate.entered.wait, 10)
    rest = [asyncio.ensure_future(writer.submit_batched(write_intake, delivery(f"Ev{i}"))) for i in range(20)]
    await asyncio.sleep(0.05)  # all twenty are queued behind the gate
    gate.release.set()
    assert await first == "gate"
    assert await asyncio.gather(*rest) == [IntakeOutcome.RECORDED] * 20
    assert writer.units == 21
    assert writer.batches == 2
    assert keys(engine) == ["gate", *(f"Ev{i}" for i in range(20))]


async def test_a_failing_unit_fails_alone_and_leaves_nothing(
    writer: GroupCommitWriter, engine: sa.Engine
) -> None:
    def half_then_fail(conn: sa.Connection) -> None:
        record_delivery(conn, dedupe_key="half", kind="command", body="{}", retry_num=0, now=1.0)
        raise ValueError("unit failed after writing")

    gate = Gate()
    first = asyncio.ensure_future(writer.submit(gate))
    assert await asyncio.to_thread(gate.entered.wait, 10)
    before = asyncio.ensure_future(writer.submit_batched(write_intake, delivery("EvBefore")))
    bad = asyncio.ensure_future(writer.submit(half_then_fail))
    after = asyncio.ensure_future(writer.submit_batched(write_intake, delivery("EvAfter")))
    await asyncio.sleep(0.05)
    gate.release.set()
    await first
    assert await before == IntakeOutcome.RECORDED
    with pytest.raises(ValueError, match="unit failed"):
        await bad
    assert await after == IntakeOutcome.RECORDED
    assert keys(engine) == ["gate", "EvBefore", "EvAfter"]  # no "half"
    # the writer goes on with a fresh connection
    assert await writer.submit_batched(write_intake, delivery("EvLater")) == IntakeOutcome.RECORDED


async def test_units_and_batched_items_keep_their_order(writer: GroupCommitWriter, engine: sa.Engine) -> None:
    def plain(key: str) -> Callable[[sa.Connection], bool]:
        def unit(conn: sa.Connection) -> bool:
            return record_delivery(conn, dedupe_key=key, kind="command", body="{}", retry_num=0, now=1.0)

        return unit

    gate = Gate()
    first = asyncio.ensure_future(writer.submit(gate))
    assert await asyncio.to_thread(gate.entered.wait, 10)
    futures: list[Awaitable[object]] = [
        writer.submit(plain("Ev1")),
        writer.submit_batched(write_intake, delivery("Ev1")),  # after the plain unit: a duplicate
        writer.submit_batched(write_intake, delivery("Ev2")),
        writer.submit(plain("Ev2")),
    ]
    tasks = [asyncio.ensure_future(f) for f in futures]
    await asyncio.sleep(0.05)
    gate.release.set()
    await first
    assert await asyncio.gather(*tasks) == [True, IntakeOutcome.DUPLICATE, IntakeOutcome.RECORDED, False]
    assert writer.batches == 2


async def test_a_batch_writer_with_the_wrong_result_count_fails_its_items(writer: GroupCommitWriter) -> None:
    def short(conn: sa.Connection, items: Sequence[str]) -> list[str]:
        return []

    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        await writer.submit_batched(short, "x")


async def test_stop_finishes_what_was_submitted(engine: sa.Engine) -> None:
    writer = GroupCommitWriter(engine)
    writer.start()
    tasks = [asyncio.ensure_future(writer.submit_batched(write_intake, delivery(f"Ev{i}"))) for i in range(5)]
    await asyncio.sleep(0)  # let the tasks enqueue
    await asyncio.to_thread(writer.stop)
    assert not writer.alive
    assert await asyncio.gather(*tasks) == [IntakeOutcome.RECORDED] * 5
    with pytest.raises(RuntimeError, match="not running"):
        await writer.submit_batched(write_intake, delivery("EvLate"))


async def test_a_bad_record_in_a_batched_write_fails_alone(
    writer: GroupCommitWriter, engine: sa.Engine
) -> None:
    # On PostgreSQL the batch is one self-committing statement; on SQLite rows in a transaction.
    # Either way the failing statement leaves nothing and the other records are written again alone.
    bad = IntakeRecord("EvBad", "command", None, 0, 1000.0)  # type: ignore[arg-type]  # body is NOT NULL
    gate = Gate()
    first = asyncio.ensure_future(writer.submit(gate))
    assert await asyncio.to_thread(gate.entered.wait, 10)
    tasks = [
        asyncio.ensure_future(writer.submit_batched(write_intake, record))
        for record in (delivery("EvGood1"), bad, delivery("EvGood2"))
    ]
    await asyncio.sleep(0.05)
    gate.release.set()
    await first
    good1, failed, good2 = await asyncio.gather(*tasks, return_exceptions=True)
    assert (good1, good2) == (IntakeOutcome.RECORDED, IntakeOutcome.RECORDED)
    assert isinstance(failed, sa.exc.IntegrityError)
    assert keys(engine) == ["gate", "EvGood1", "EvGood2"]


async def test_concurrent_writers_store_each_delivery_once(engine: sa.Engine) -> None:
    writer = GroupCommitWriter(engine, writers=2)
    writer.start()
    try:
        records = [delivery(f"Ev{i % 10}") for i in range(60)]
        outcomes = []
        for chunk in range(0, 60, 15):  # waves, so batches overlap between the two threads
            wave = [writer.submit_batched(write_intake, r) for r in records[chunk : chunk + 15]]
            outcomes += await asyncio.gather(*wave)
    finally:
        await asyncio.to_thread(writer.stop)
    assert outcomes.count(IntakeOutcome.RECORDED) == 10
    assert outcomes.count(IntakeOutcome.DUPLICATE) == 50
    assert sorted(keys(engine)) == sorted(f"Ev{i}" for i in range(10))
