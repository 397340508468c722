"""Deferred durability on SQLite: waiters hear of a commit only after the WAL is synced to disk."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.store.db import create_db_engine, migrate
from app.store.group_commit import GroupCommitWriter
from app.store.intake_batch import IntakeRecord, write_intake
from app.store.sqlite_sync import WalBarrier
from app.store.tickets import record_delivery


class HeldBarrier:
    """A barrier whose sync waits until the test releases it; counts syncs and can fail."""

    def __init__(self, inner: WalBarrier) -> None:
        self.inner = inner
        self.release = threading.Event()
        self.syncing = threading.Event()
        self.fail: OSError | None = None
        self.syncs = 0

    def prepare(self, dbapi_connection: Any) -> None:
        self.inner.prepare(dbapi_connection)

    def begin(self, dbapi_connection: Any) -> None:
        self.inner.begin(dbapi_connection)

    def sync(self) -> None:
        self.syncing.set()
        assert self.release.wait(10)
        if self.fail is not None:
            raise self.fail
        self.inner.sync()
        self.syncs += 1


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bridge.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture
def engine(sqlite_file: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(sqlite_file)
    yield engine
    engine.dispose()


def synchronous_of(conn: sa.Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())


def record(key: str) -> IntakeRecord:
    return IntakeRecord(key, "command", "{}", 0, 1.0)


def stored(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT dedupe_key FROM slack_deliveries ORDER BY id")).scalars())


def test_a_barrier_only_for_a_sqlite_file(engine: sa.Engine, database_url: str) -> None:
    assert isinstance(WalBarrier.for_engine(engine), WalBarrier)
    memory = sa.create_engine("sqlite://")
    assert WalBarrier.for_engine(memory) is None
    if database_url.startswith("postgresql"):
        other = create_db_engine(database_url)
        assert WalBarrier.for_engine(other) is None
        other.dispose()


async def test_waiters_are_told_only_after_the_sync(engine: sa.Engine) -> None:
    barrier = HeldBarrier(WalBarrier.for_engine(engine))  # type: ignore[arg-type]
    commits: list[int] = []
    writer = GroupCommitWriter(engine, barrier=barrier, on_commit=lambda: commits.append(1))
    writer.start()
    try:
        pending = asyncio.ensure_future(writer.submit_batched(write_intake, record("Ev1")))
        assert await asyncio.to_thread(barrier.syncing.wait, 10)
        assert stored(engine) == ["Ev1"]  # committed (visible), but not yet known durable
        await asyncio.sleep(0.05)
        assert not pending.done()
        assert commits == []  # the worker is not woken for a record that may still vanish
        barrier.release.set()
        await asyncio.wait_for(pending, 10)
        assert commits == [1]
        assert barrier.syncs == 1
    finally:
        barrier.release.set()
        writer.stop()


async def test_one_sync_covers_every_batch_committed_before_it(engine: sa.Engine) -> None:
    barrier = HeldBarrier(WalBarrier.for_engine(engine))  # type: ignore[arg-type]
    writer = GroupCommitWriter(engine, barrier=barrier)
    writer.start()
    try:
        first = asyncio.ensure_future(writer.submit_batched(write_intake, record("Ev0")))
        assert await asyncio.to_thread(barrier.syncing.wait, 10)
        # while the disk "syncs", the writer goes on committing the next batches
        rest = [
            asyncio.ensure_future(writer.submit_batched(write_intake, record(f"Ev{i}"))) for i in range(1, 30)
        ]
        for _ in range(200):
            if len(stored(engine)) == 30:
                break
            await asyncio.sleep(0.01)
        assert len(stored(engine)) == 30
        assert not any(f.done() for f in [first, *rest])
        barrier.release.set()
        await asyncio.wait_for(asyncio.gather(first, *rest), 10)
        assert barrier.syncs <= 2  # the first batch's sync, then one for everything committed meanwhile
    finally:
        barrier.release.set()
        writer.stop()


async def test_a_failed_sync_fails_the_waiters(engine: sa.Engine) -> None:
    barrier = HeldBarrier(WalBarrier.for_engine(engine))  # type: ignore[arg-type]
    barrier.fail = OSError(5, "Input/output error")
    commits: list[int] = []
    writer = GroupCommitWriter(engine, barrier=barrier, on_commit=lambda: commits.append(1))
    writer.start()
    try:
        barrier.release.set()
        with pytest.raises(OSError, match="Input/output"):
            await writer.submit_batched(write_intake, record("Ev1"))
        assert commits == []
    finally:
        writer.stop()


async def test_only_the_writers_connection_skips_the_fsync(engine: sa.Engine) -> None:
    writer = GroupCommitWriter(engine, barrier=WalBarrier.for_engine(engine))
    writer.start()
    try:
        seen = await writer.submit(synchronous_of)
        assert seen == 1  # NORMAL: the barrier syncs for it

        def boom(conn: sa.Connection) -> None:
            record_delivery(conn, dedupe_key="x", kind="c", body="{}", retry_num=0, now=1.0)
            raise RuntimeError("a unit failed")

        with pytest.raises(RuntimeError):
            await writer.submit(boom)  # the writer's connection is discarded, never pooled
        with engine.connect() as conn:
            assert synchronous_of(conn) == 2  # FULL everywhere else
        assert await writer.submit(synchronous_of) == 1
    finally:
        writer.stop()
    for _ in range(3):
        with engine.connect() as conn:
            assert synchronous_of(conn) == 2


def test_sync_falls_back_to_the_database_file_without_a_wal(tmp_path: Path) -> None:
    database = tmp_path / "only.sqlite3"
    database.write_bytes(b"")
    barrier = WalBarrier(str(database))
    barrier.sync()
    assert barrier.syncs == 1
    missing = WalBarrier(str(tmp_path / "missing.sqlite3"))
    with pytest.raises(FileNotFoundError):
        missing.sync()


def hold_write_lock(sqlite_file: str) -> sqlite3.Connection:
    """Another connection (a worker's, say) in the middle of a write transaction."""
    other = sqlite3.connect(sa.engine.make_url(sqlite_file).database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_the_writer_waits_for_the_write_lock_and_takes_it_once_free(
    engine: sa.Engine, sqlite_file: str
) -> None:
    writer = GroupCommitWriter(engine, barrier=WalBarrier.for_engine(engine))
    writer.start()
    other = hold_write_lock(sqlite_file)
    try:
        pending = asyncio.ensure_future(writer.submit_batched(write_intake, record("Ev1")))
        await asyncio.sleep(0.3)  # far beyond its first retries: it keeps trying, it does not fail
        assert not pending.done()
        other.rollback()
        await asyncio.wait_for(pending, 10)
        assert stored(engine) == ["Ev1"]
    finally:
        other.close()
        writer.stop()


def test_begin_gives_up_after_its_wait_like_a_busy_timeout(engine: sa.Engine, sqlite_file: str) -> None:
    barrier = WalBarrier.for_engine(engine)
    assert barrier is not None
    other = hold_write_lock(sqlite_file)
    mine = sqlite3.connect(sa.engine.make_url(sqlite_file).database or "")
    try:
        barrier.prepare(mine)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            barrier.begin(mine, wait_s=0.05)
        other.rollback()
        barrier.begin(mine, wait_s=0.05)
        assert mine.in_transaction
        mine.rollback()
    finally:
        mine.close()
        other.close()


async def test_a_failing_unit_leaves_nothing_of_its_batch_half_written(engine: sa.Engine) -> None:
    """The writer begins its transactions itself now (BEGIN IMMEDIATE): a batch is still atomic."""
    writer = GroupCommitWriter(engine, barrier=WalBarrier.for_engine(engine))
    writer.start()
    gate = threading.Event()

    def blocker(conn: sa.Connection) -> None:
        gate.wait(10)  # holds the writer so that the next three land in one batch

    def half(conn: sa.Connection) -> None:
        record_delivery(conn, dedupe_key="half", kind="c", body="{}", retry_num=0, now=1.0)
        raise RuntimeError("fails after its first statement")

    try:
        first = asyncio.ensure_future(writer.submit(blocker))
        await asyncio.sleep(0.05)
        batch = [
            asyncio.ensure_future(writer.submit_batched(write_intake, record("Ev1"))),
            asyncio.ensure_future(writer.submit(half)),
            asyncio.ensure_future(writer.submit_batched(write_intake, record("Ev2"))),
        ]
        gate.set()
        await first
        outcomes = await asyncio.gather(*batch, return_exceptions=True)
        assert isinstance(outcomes[1], RuntimeError)
        assert not isinstance(outcomes[0], BaseException)
        assert not isinstance(outcomes[2], BaseException)
        assert stored(engine) == ["Ev1", "Ev2"]  # "half" rolled back, the others re-run alone
        assert writer.batches >= 2
    finally:
        gate.set()
        writer.stop()
