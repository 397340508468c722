"""Durable SQLite commits without holding the write lock during the fsync.

With `synchronous=FULL` a WAL commit writes its frames and fsyncs the WAL file while it still holds
SQLite's single write lock, so the next batch of the group-commit writer waits for the disk. Here the
writer's own connection commits with `synchronous=NORMAL` (frames written, no fsync; the lock is
released at once) and, before any waiter is told its write is durable, `WalBarrier.sync` fdatasyncs
the WAL file. One fdatasync covers every commit that returned before it started, so while the disk
syncs one round the writer already commits the next batch, and the two overlap.

Why this is as durable as FULL for what is acknowledged: a committed transaction is in the WAL file
(in the OS page cache) when `commit()` returns; fdatasync of that file puts it on disk, header and
all. A checkpoint moves frames into the database file only after syncing the WAL, and syncs the
database file before the WAL is restarted (SQLite's rules for NORMAL), so frames covered by an
earlier fdatasync are never lost by a WAL reset. If the WAL file is gone (the last connection closed
and checkpointed it), the database file itself is synced instead.

Every other connection keeps `synchronous=FULL`; the writer's connection is never returned to the
pool (it is invalidated when discarded), so NORMAL cannot leak to a connection without the barrier.

The writer also takes the write lock differently. SQLite's own busy handler, which every other
connection uses, sleeps in growing steps (up to 100 ms) while another connection holds the lock, so
a waiter wakes up long after the lock came free: with the worker committing job updates all the
time, acks waited up to a second for it (bench/README.md, intake-modal results). The writer's
connection begins each batch with `BEGIN IMMEDIATE` and no busy timeout, and retries every 0.2-2 ms
(for up to `LOCK_WAIT_S`), so it takes the lock within a couple of milliseconds of its release.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from typing import Any, Final

from sqlalchemy import Engine

LOCK_WAIT_S: Final = 30.0  # as the busy_timeout of every other connection
_FIRST_RETRY_S: Final = 0.0002
_LAST_RETRY_S: Final = 0.002


class WalBarrier:
    def __init__(self, database_path: str) -> None:
        self._database = database_path
        self._wal = database_path + "-wal"
        self.syncs = 0

    @classmethod
    def for_engine(cls, engine: Engine) -> WalBarrier | None:
        """A barrier for a file-backed SQLite engine; None for PostgreSQL or an in-memory database."""
        if engine.dialect.name != "sqlite":
            return None
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(os.path.abspath(database))

    def prepare(self, dbapi_connection: Any) -> None:
        """Make the writer's connection commit without fsync (this barrier then does it), and leave
        beginning its transactions to `begin` (the driver would begin them lazily, deferred)."""
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        dbapi_connection.execute("PRAGMA busy_timeout=0")
        dbapi_connection.isolation_level = None

    def begin(self, dbapi_connection: Any, *, wait_s: float = LOCK_WAIT_S) -> None:
        """Take the write lock now (`BEGIN IMMEDIATE`), retrying briskly while another connection
        holds it; raises sqlite3.OperationalError after `wait_s`, as a busy timeout would."""
        deadline = time.monotonic() + wait_s
        pause = _FIRST_RETRY_S
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, _LAST_RETRY_S)

    def sync(self) -> None:
        """Put every commit that returned before this call on disk (raises OSError if it cannot)."""
        try:
            fd = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:
            fd = os.open(self._database, os.O_RDONLY)
        try:
            _fdatasync(fd)
        finally:
            os.close(fd)
        self.syncs += 1


def _fdatasync(fd: int) -> None:
    if sys.platform == "darwin":  # fsync on macOS does not reach the platter; F_FULLFSYNC does
        import fcntl

        fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
    elif hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # pragma: no cover - Windows
        os.fsync(fd)
