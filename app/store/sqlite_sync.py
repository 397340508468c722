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
"""

from __future__ import annotations

import os
import sys
from typing import Any

from sqlalchemy import Engine


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
        """Make the writer's connection commit without fsync (this barrier then does it)."""
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

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
