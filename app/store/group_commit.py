"""Group commit: the writes of concurrent requests share one transaction and one fsync.

Each request hands a *unit* (a function of a SQLAlchemy connection) to `GroupCommitWriter.submit`,
or an item of a *batch writer* to `submit_batched`, and awaits it. A writer thread takes whatever
is waiting, runs it in one transaction and commits, then resolves every waiter. There is no timer:
while one batch commits, the next one gathers, so a lone request is never delayed and a busy service
amortises the commit. If anything in a batch raises, the batch is rolled back and its units re-run
one transaction each, so one bad unit fails alone and nothing is half-written.

Consecutive items of one batch writer are written with one call (a few statements for the whole
run, not a few per item). A writer marked `one_statement_on` a dialect writes a batch made only of
its items as one self-committing statement there, without BEGIN and COMMIT.

With a durability *barrier* (SQLite on a file: `app.store.sqlite_sync.WalBarrier`) the writer
commits without waiting for the disk and a sync thread makes the commits durable before anyone is
told: one sync covers every batch committed before it started, and the next batch commits while the
disk syncs. Waiters are resolved, and `on_commit` called, only after that sync.

One writer thread is the default. It keeps one connection for its whole life (a pool checkout,
reset and pre-ping per batch would cost more than the batch's statements), and resolves a batch's
futures with one wake-up of the event loop rather than one per request: the loop and the writer
share one GIL, and on a busy core every hand-over between them is latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the item type of a batch writer
Unit = Callable[[Connection], T]
# Writes many items in the caller's transaction; must return one result per item, in order, and
# leave the database exactly as writing the items one after another would.
BatchWriter = Callable[[Connection, Sequence[I]], Sequence[T]]
WriterT = TypeVar("WriterT", bound=Callable[..., Any])

_ONE_STATEMENT = "__group_commit_one_statement__"


def one_statement_on(*dialects: str) -> Callable[[WriterT], WriterT]:
    """Mark a batch writer whose whole write is one atomic statement on these dialects.

    A batch that holds nothing but this writer's items then runs without an explicit transaction:
    the statement commits itself, durably, before the driver returns. On PostgreSQL that saves the
    BEGIN and COMMIT round trips, two of a batch's three.
    """

    def mark(writer: WriterT) -> WriterT:
        setattr(writer, _ONE_STATEMENT, frozenset(dialects))
        return writer

    return mark


log = logging.getLogger(__name__)

_STOP = object()


class DurabilityBarrier(Protocol):
    def prepare(self, dbapi_connection: Any) -> None:
        """Set up the writer's connection (called once per new connection)."""

    def begin(self, dbapi_connection: Any) -> None:
        """Start a batch's transaction on the writer's connection (inside SQLAlchemy's begin)."""

    def sync(self) -> None:
        """Make every commit that returned before this call durable; raise OSError if it cannot."""


@dataclass(slots=True)
class _Pending:
    writer: BatchWriter[Any, Any] | None  # None: `item` is a plain unit
    item: Any
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


class GroupCommitWriter:
    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 256,
        on_commit: Callable[[], None] | None = None,
        writers: int = 1,
        barrier: DurabilityBarrier | None = None,
    ) -> None:
        """`writers` threads commit batches, each on its own connection.

        More than one only helps a server database far enough away that a round trip costs more
        than the batch (a second writer then runs the next batch while the first waits). On SQLite
        (one write lock) and on a database on the same small machine, batches would just get
        smaller: measured on the 2-core bench, a second PostgreSQL writer raised p99.
        """
        self._engine = engine
        self._max_batch = max_batch
        self._on_commit = on_commit
        self._writers = writers
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._barrier = barrier
        self._synced: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._syncer: threading.Thread | None = None
        self._counts = threading.Lock()
        self.batches = 0
        self.units = 0

    def start(self) -> None:
        if not self._threads:
            self._threads = [
                threading.Thread(target=self._run, name=f"group-commit-{n}", daemon=True)
                for n in range(self._writers)
            ]
            for thread in self._threads:
                thread.start()
            if self._barrier is not None:
                self._syncer = threading.Thread(target=self._sync_run, name="group-commit-sync", daemon=True)
                self._syncer.start()

    def stop(self) -> None:
        """Finish what was submitted, then stop the threads."""
        if self._threads:
            for _ in self._threads:  # queued after every submitted unit: each thread takes one
                self._queue.put(_STOP)
            for thread in self._threads:
                thread.join()
            self._threads = []
        if self._syncer is not None:  # after the writers: every committed batch is synced first
            self._synced.put(_STOP)
            self._syncer.join()
            self._syncer = None

    @property
    def alive(self) -> bool:
        return bool(self._threads) and all(thread.is_alive() for thread in self._threads)

    async def submit(self, unit: Unit[T]) -> T:
        """Run `unit` in a committed transaction; returns its result once the commit is durable."""
        result: T = await self._submit(None, unit)
        return result

    async def submit_batched(self, writer: BatchWriter[I, T], item: I) -> T:
        """Write `item` with `writer`, together with the other waiting items of the same writer.

        Returns the item's result once the commit is durable. Consecutive items of one writer in
        a batch are written with one call; if the batch fails, the item is retried alone.
        """
        result: T = await self._submit(writer, item)
        return result

    async def _submit(self, writer: BatchWriter[Any, Any] | None, item: Any) -> Any:
        if not self._threads:
            raise RuntimeError("GroupCommitWriter is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put(_Pending(writer, item, future, loop))
        return await future

    # -- the writer threads -----------------------------------------------------------------------
    def _run(self) -> None:
        session = _Session(self._engine, self._barrier)
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch: list[_Pending] = [first]
                stop_after = False
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop_after = True
                        break
                    batch.append(item)
                self._commit(session, batch)
                if stop_after:
                    return
        finally:
            session.discard()

    def _commit(self, session: _Session, batch: list[_Pending]) -> None:
        try:
            conn = session.connection()
            writer = batch[0].writer
            if writer is not None and _one_statement(writer, conn, batch):
                results = _execute_self_committing(conn, writer, batch)
            else:
                with conn.begin():
                    session.begin_write(conn)
                    results = _execute(conn, batch)
        except Exception as exc:
            session.discard()
            if len(batch) == 1:
                log.exception("durable write failed", extra={"error": type(exc).__name__})
                _resolve([(batch[0].future, None, exc)], batch[0].loop)
                return
            self._settle_each(session, batch)  # isolate the unit that failed: one transaction each
            return
        self._count(1, len(batch))
        self._committed(batch, [(p.future, r, None) for p, r in zip(batch, results, strict=True)])

    def _settle_each(self, session: _Session, batch: list[_Pending]) -> None:
        outcomes: list[_Outcome] = []
        committed = 0
        for pending in batch:
            try:
                conn = session.connection()
                with conn.begin():
                    session.begin_write(conn)
                    [result] = _execute(conn, [pending])
            except Exception as exc:
                session.discard()
                log.exception("durable write failed", extra={"error": type(exc).__name__})
                outcomes.append((pending.future, None, exc))
                continue
            committed += 1
            outcomes.append((pending.future, result, None))
        self._count(committed, committed)
        if committed:
            self._committed(batch, outcomes)
        else:
            _resolve_by_loop(batch, outcomes)

    def _committed(self, batch: list[_Pending], outcomes: list[_Outcome]) -> None:
        """Tell the waiters once the commit is durable: now, or after the barrier's next sync."""
        if self._barrier is None:
            _resolve_by_loop(batch, outcomes)
            self._notify()
        else:
            self._synced.put((batch, outcomes))

    def _sync_run(self) -> None:
        assert self._barrier is not None
        while True:
            first = self._synced.get()
            if first is _STOP:
                return
            rounds = [first]
            stop_after = False
            while True:
                try:
                    item = self._synced.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop_after = True
                    break
                rounds.append(item)
            failure: BaseException | None = None
            try:
                self._barrier.sync()
            except Exception as exc:  # the disk refused: nobody may be told their write is durable
                log.exception("durability sync failed", extra={"error": type(exc).__name__})
                failure = exc
            if failure is None:
                self._notify()
            for batch, outcomes in rounds:
                if failure is not None:
                    outcomes = [(future, None, error or failure) for future, _, error in outcomes]
                _resolve_by_loop(batch, outcomes)
            if stop_after:
                return

    def _count(self, batches: int, units: int) -> None:
        with self._counts:
            self.batches += batches
            self.units += units

    def _notify(self) -> None:
        if self._on_commit is not None:
            try:
                self._on_commit()
            except Exception:
                log.exception("on_commit callback failed")


class _Session:
    """A writer thread's connection, kept across batches and replaced after a failure."""

    def __init__(self, engine: Engine, barrier: DurabilityBarrier | None = None) -> None:
        self._engine = engine
        self._barrier = barrier
        self._conn: Connection | None = None

    def connection(self) -> Connection:
        if self._conn is None:
            conn = self._engine.connect()
            if self._barrier is not None:
                try:
                    self._barrier.prepare(conn.connection.dbapi_connection)
                except Exception:
                    conn.invalidate()
                    raise
            self._conn = conn
        return self._conn

    def begin_write(self, conn: Connection) -> None:
        if self._barrier is not None:
            self._barrier.begin(conn.connection.dbapi_connection)

    def discard(self) -> None:
        # After a failure the connection may be broken; the pool hands out a checked one next time.
        # A connection prepared for the barrier never goes back to the pool: nobody else syncs for it.
        if self._conn is not None:
            with contextlib.suppress(Exception):
                if self._barrier is not None:
                    self._conn.invalidate()
                self._conn.close()
            self._conn = None


def _execute(conn: Connection, batch: Sequence[_Pending]) -> list[Any]:
    """Run the batch in order; consecutive items of one batch writer go to it in one call."""
    results: list[Any] = []
    i, n = 0, len(batch)
    while i < n:
        writer = batch[i].writer
        if writer is None:
            results.append(batch[i].item(conn))
            i += 1
            continue
        j = i + 1
        while j < n and batch[j].writer is writer:
            j += 1
        written = writer(conn, [p.item for p in batch[i:j]])
        if len(written) != j - i:
            raise RuntimeError(f"batch writer returned {len(written)} results for {j - i} items")
        results.extend(written)
        i = j
    return results


def _one_statement(writer: BatchWriter[Any, Any], conn: Connection, batch: Sequence[_Pending]) -> bool:
    dialects: frozenset[str] = getattr(writer, _ONE_STATEMENT, frozenset())
    return conn.dialect.name in dialects and all(p.writer is writer for p in batch)


def _execute_self_committing(
    conn: Connection, writer: BatchWriter[Any, Any], batch: Sequence[_Pending]
) -> list[Any]:
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("connection was closed")
    conn.dialect.set_isolation_level(dbapi, "AUTOCOMMIT")
    try:
        written = list(writer(conn, [p.item for p in batch]))
    finally:
        conn.dialect.reset_isolation_level(dbapi)
    if len(written) != len(batch):
        raise RuntimeError(f"batch writer returned {len(written)} results for {len(batch)} items")
    return written


def _resolve_by_loop(batch: list[_Pending], outcomes: list[_Outcome]) -> None:
    loop = batch[0].loop
    if all(p.loop is loop for p in batch):  # the usual case: one event loop, one wake-up
        _resolve(outcomes, loop)
        return
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for pending, outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(pending.loop, []).append(outcome)
    for each_loop, each in by_loop.items():
        _resolve(each, each_loop)


def _resolve(outcomes: list[_Outcome], loop: asyncio.AbstractEventLoop) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[_Outcome]) -> None:
    for future, result, error in outcomes:
        if future.done():  # the request was cancelled (client went away)
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
