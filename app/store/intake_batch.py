"""The ack path's writes, batched: deliveries, the tickets they open and the jobs they enqueue.

An `IntakeRecord` is one verified delivery and what it asks for. Called with a connection it is an
ordinary group-commit unit (`record_delivery`, then `open_ticket`, then `enqueue`). `write_intake`
writes many records with pre-built statements on the driver's own cursor, skipping SQLAlchemy's
per-statement work (on SQLite three statements a record, on PostgreSQL one for the whole batch,
see `intake_postgres`), and gives exactly the result of calling each record in order:

- a delivery whose dedupe key is stored (or came earlier in the batch) is a duplicate and writes nothing;
- the first fresh delivery for a source message opens its ticket and enqueues `create`;
- a later fresh delivery for the same message enqueues `tracked` (deduplicated on its own key).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from app.store import intake_postgres
from app.store import jobs as job_store
from app.store import tickets as ticket_store
from app.store.group_commit import one_statement_on

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPIModule


class IntakeOutcome(StrEnum):
    DUPLICATE = "duplicate"  # this delivery was stored before: nothing written
    RECORDED = "recorded"  # a delivery that asks for no ticket
    OPENED = "opened"  # a new ticket and its create job
    TRACKED = "tracked"  # the message already has a ticket: the "already tracked" job


# NamedTuples rather than frozen dataclasses: one of each is built per request on the event loop,
# and a tuple is several times cheaper to build.
class JobSpec(NamedTuple):
    kind: str
    payload: Mapping[str, str]
    dedupe_key: str | None = None


class TicketClaim(NamedTuple):
    """The ticket a fresh delivery opens, and the job for either answer."""

    ticket_id: str
    team: str
    channel_id: str
    message_ts: str
    bucket: str
    priority: str
    source: str
    reactor_id: str | None
    if_opened: JobSpec
    if_tracked: JobSpec


class IntakeRecord(NamedTuple):
    dedupe_key: str
    kind: str
    body: str
    retry_num: int
    now: float
    ticket: TicketClaim | None = None

    def __call__(self, conn: Connection) -> IntakeOutcome:
        """Write this record alone through the store functions (the reference for `write_intake`)."""
        fresh = ticket_store.record_delivery(
            conn,
            dedupe_key=self.dedupe_key,
            kind=self.kind,
            body=self.body,
            retry_num=self.retry_num,
            now=self.now,
        )
        claim = self.ticket
        if not fresh:
            return IntakeOutcome.DUPLICATE
        if claim is None:
            return IntakeOutcome.RECORDED
        opened = ticket_store.open_ticket(
            conn,
            ticket_id=claim.ticket_id,
            team=claim.team,
            channel_id=claim.channel_id,
            message_ts=claim.message_ts,
            bucket=claim.bucket,
            priority=claim.priority,
            source=claim.source,
            reactor_id=claim.reactor_id,
            now=self.now,
        )
        job = claim.if_opened if opened else claim.if_tracked
        job_store.enqueue(conn, job.kind, job.payload, now=self.now, dedupe_key=job.dedupe_key)
        return IntakeOutcome.OPENED if opened else IntakeOutcome.TRACKED


def new_ticket_id() -> str:
    """32 hex digits: milliseconds since the epoch, then 80 random bits (ordered like a UUIDv7).

    Time-ordered ids make the ticket id and marker indexes grow at their right edge: a batch dirties
    one leaf page of each instead of one per ticket, which keeps every commit's WAL write small.
    The bits need to be unique, not secret: `random` (reseeded in forked children) spares the
    event loop a system call per ticket.
    """
    return f"{time.time_ns() // 1_000_000:012x}{random.getrandbits(80):020x}"


@one_statement_on("postgresql")
def write_intake(conn: Connection, records: Sequence[IntakeRecord]) -> list[IntakeOutcome]:
    """Write `records` in the caller's transaction; outcomes as if each were written in order.

    On PostgreSQL the write is one statement, so the group-commit writer may run it on its own.
    Driver errors are raised as SQLAlchemy's (`IntegrityError`, ...), as `conn.execute` would.
    """
    if not records:
        return []
    dialect = conn.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        return [record(conn) for record in records]
    dbapi = conn.connection.driver_connection
    driver_error: type[Exception] = dialect.loaded_dbapi.Error
    try:
        if dialect.name == "postgresql":
            return _write_postgresql(dbapi, records)
        return _write_sqlite(dbapi, records)
    except driver_error as exc:
        lost = dialect.is_disconnect(cast("DBAPIModule.Error", exc), conn.connection.dbapi_connection, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            "write_intake", None, exc, driver_error, connection_invalidated=lost, dialect=dialect
        ) from exc


# -- statements ---------------------------------------------------------------------------------
_DELIVERY_COLUMNS = ("dedupe_key", "kind", "received_at", "retry_num", "body")
_TICKET_COLUMNS = (
    "id",
    "team",
    "channel_id",
    "message_ts",
    "bucket",
    "priority",
    "source",
    "reactor_id",
    "state",
    "marker",
    "create_attempts",
    "reply_attempts",
    "created_at",
    "updated_at",
)
_JOB_COLUMNS = ("kind", "payload", "state", "attempts", "run_after", "dedupe_key", "created_at", "updated_at")


# Table and column names below are module constants, never input: the S608 warnings do not apply.
def _sqlite_insert(table: str, columns: tuple[str, ...], conflict: str) -> str:
    marks = ", ".join("?" * len(columns))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO NOTHING"
    )


_SQLITE_DELIVERY = _sqlite_insert("slack_deliveries", _DELIVERY_COLUMNS, "dedupe_key")
_SQLITE_TICKET = _sqlite_insert("tickets", _TICKET_COLUMNS, "team, channel_id, message_ts")
_SQLITE_JOB = _sqlite_insert("jobs", _JOB_COLUMNS, "dedupe_key")


def _ticket_row(claim: TicketClaim, now: float) -> tuple[Any, ...]:
    return (
        claim.ticket_id,
        claim.team,
        claim.channel_id,
        claim.message_ts,
        claim.bucket,
        claim.priority,
        claim.source,
        claim.reactor_id,
        ticket_store.PENDING,
        ticket_store.marker_for(claim.ticket_id),
        0,
        0,
        now,
        now,
    )


def _job_row(job: JobSpec, now: float) -> tuple[Any, ...]:
    return (
        job.kind,
        job_store.encode_payload(job.payload),
        job_store.PENDING,
        0,
        now,
        job.dedupe_key,
        now,
        now,
    )


# -- SQLite: row by row on the raw cursor (in-process, so a statement costs microseconds) ----------
def _write_sqlite(dbapi: Any, records: Sequence[IntakeRecord]) -> list[IntakeOutcome]:
    cursor = dbapi.cursor()
    execute = cursor.execute
    outcomes: list[IntakeOutcome] = []
    try:
        for r in records:
            execute(_SQLITE_DELIVERY, (r.dedupe_key, r.kind, r.now, r.retry_num, r.body))
            if cursor.rowcount != 1:
                outcomes.append(IntakeOutcome.DUPLICATE)
                continue
            claim = r.ticket
            if claim is None:
                outcomes.append(IntakeOutcome.RECORDED)
                continue
            execute(_SQLITE_TICKET, _ticket_row(claim, r.now))
            opened = cursor.rowcount == 1
            execute(_SQLITE_JOB, _job_row(claim.if_opened if opened else claim.if_tracked, r.now))
            outcomes.append(IntakeOutcome.OPENED if opened else IntakeOutcome.TRACKED)
    finally:
        cursor.close()
    return outcomes


# -- PostgreSQL: one statement for the batch (a round trip costs more than a row) ------------------
def _write_postgresql(dbapi: Any, records: Sequence[IntakeRecord]) -> list[IntakeOutcome]:
    # Later copies of a dedupe key in the batch are duplicates whatever the database holds.
    first: dict[str, int] = {}
    for i, r in enumerate(records):
        first.setdefault(r.dedupe_key, i)
    with dbapi.cursor() as cursor:
        fresh = intake_postgres.write_batch(cursor, records, list(first.values()))
    outcomes = [IntakeOutcome.DUPLICATE] * len(records)
    for i, won in fresh.items():
        if won is None:
            outcomes[i] = IntakeOutcome.RECORDED
        else:
            outcomes[i] = IntakeOutcome.OPENED if won else IntakeOutcome.TRACKED
    return outcomes
