"""Group commit: the writes of concurrent requests share one transaction and one fsync.

Each request hands a *unit* (a function of a SQLAlchemy connection) to `GroupCommitWriter.submit`
and awaits it. A dedicated thread takes whatever units are waiting, runs them in one transaction
and commits, then resolves every waiter. There is no timer: while one batch commits, the next one
gathers, so a lone request is never delayed and a busy service amortises the commit.
If a unit raises, the batch is rolled back and its units re-run one transaction each, so one bad
unit fails alone and nothing is half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
Unit = Callable[[Connection], T]

log = logging.getLogger(__name__)

_STOP = object()


@dataclass
class _Pending(Generic[T]):
    unit: Unit[T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop


class GroupCommitWriter:
    def __init__(
        self, engine: Engine, *, max_batch: int = 256, on_commit: Callable[[], None] | None = None
    ) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.units = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finish what was submitted, then stop the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    async def submit(self, unit: Unit[T]) -> T:
        """Run `unit` in a committed transaction; returns its result once the commit is durable."""
        if self._thread is None:
            raise RuntimeError("GroupCommitWriter is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Pending(unit, future, loop))
        return await future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Pending[Any]] = [first]
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
            self._commit(batch)
            if stop_after:
                return

    def _commit(self, batch: list[_Pending[Any]]) -> None:
        try:
            with self._engine.begin() as conn:
                results = [p.unit(conn) for p in batch]
        except Exception as exc:
            if len(batch) == 1:
                log.exception("durable write failed", extra={"error": type(exc).__name__})
                _resolve(batch[0], None, exc)
                return
            for pending in batch:  # isolate the unit that failed: one transaction each
                self._settle_one(pending)
            return
        self.batches += 1
        self.units += len(batch)
        for pending, result in zip(batch, results, strict=True):
            _resolve(pending, result, None)
        self._notify()

    def _settle_one(self, pending: _Pending[Any]) -> None:
        try:
            with self._engine.begin() as conn:
                result = pending.unit(conn)
        except Exception as exc:
            log.exception("durable write failed", extra={"error": type(exc).__name__})
            _resolve(pending, None, exc)
            return
        _resolve(pending, result, None)
        self._notify()

    def _notify(self) -> None:
        if self._on_commit is not None:
            try:
                self._on_commit()
            except Exception:
                log.exception("on_commit callback failed")


def _resolve(pending: _Pending[Any], result: Any, error: BaseException | None) -> None:
    def settle() -> None:
        if pending.future.done():  # the request was cancelled (client went away)
            return
        if error is not None:
            pending.future.set_exception(error)
        else:
            pending.future.set_result(result)

    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        pending.loop.call_soon_threadsafe(settle)
