"""The durable job queue: enqueue in the caller's transaction, claim with a lease, finish or retry.

Claims are safe across processes: `FOR UPDATE SKIP LOCKED` on PostgreSQL, and on SQLite a single
`UPDATE ... WHERE id IN (SELECT ...) RETURNING` that runs under SQLite's one writer lock. A job whose
lease expired (its worker died) is claimable again. Completion and retry only apply while the
caller still holds the lease, so a worker that lost its lease cannot overwrite a newer outcome.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from app.observability.logging import redact
from app.store.schema import jobs

PENDING = "pending"
RUNNING = "running"
DONE = "done"
DEAD = "dead"
STATES = (PENDING, RUNNING, DONE, DEAD)


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    first_failed_at: float | None


@dataclass(frozen=True)
class JobRecord:
    """A job as operators see it (`interrupt-bridge jobs`)."""

    id: int
    kind: str
    state: str
    attempts: int
    run_after: float
    last_error: str | None
    created_at: float
    updated_at: float
    payload: str
    lease_owner: str | None
    lease_until: float | None


def enqueue(
    conn: Connection,
    kind: str,
    payload: Mapping[str, Any],
    *,
    now: float,
    run_after: float | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Add a job inside the caller's transaction. With a `dedupe_key`, a second enqueue is a no-op.

    Returns whether a job was added.
    """
    values = {
        "kind": kind,
        "payload": encode_payload(payload),
        "state": PENDING,
        "attempts": 0,
        "run_after": now if run_after is None else run_after,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "updated_at": now,
    }
    if dedupe_key is None:
        conn.execute(jobs.insert(), values)
        return True
    insert = postgresql.insert(jobs) if conn.dialect.name == "postgresql" else sqlite.insert(jobs)
    result = conn.execute(
        insert.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(jobs.c.id), values
    )
    return result.first() is not None


def encode_payload(payload: Mapping[str, Any]) -> str:
    """The stored form of a job payload (compact JSON), shared by `enqueue` and batched writers."""
    return json.dumps(payload, separators=(",", ":"))


_CLAIM_SQLITE = text(
    """
    UPDATE jobs SET state = 'running', lease_owner = :owner, lease_until = :lease_until,
                    attempts = attempts + 1, updated_at = :now
    WHERE id IN (
        SELECT id FROM jobs
        WHERE (state = 'pending' AND run_after <= :now) OR (state = 'running' AND lease_until < :now)
        ORDER BY run_after LIMIT :limit
    )
    RETURNING id, kind, payload, attempts, first_failed_at
    """
)

_CLAIM_POSTGRES = text(
    """
    UPDATE jobs SET state = 'running', lease_owner = :owner, lease_until = :lease_until,
                    attempts = attempts + 1, updated_at = :now
    WHERE id IN (
        SELECT id FROM jobs
        WHERE (state = 'pending' AND run_after <= :now) OR (state = 'running' AND lease_until < :now)
        ORDER BY run_after LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, kind, payload, attempts, first_failed_at
    """
)


def claim(engine: Engine, *, owner: str, limit: int, now: float, lease_s: float) -> list[Job]:
    """Take up to `limit` runnable jobs for `owner` until `now + lease_s`."""
    if limit <= 0:
        return []
    statement = _CLAIM_POSTGRES if engine.dialect.name == "postgresql" else _CLAIM_SQLITE
    params = {"owner": owner, "lease_until": now + lease_s, "now": now, "limit": limit}
    with engine.begin() as conn:
        rows = conn.execute(statement, params).all()
    claimed = [
        Job(
            id=r.id,
            kind=r.kind,
            payload=json.loads(r.payload),
            attempts=r.attempts,
            first_failed_at=r.first_failed_at,
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda job: job.id)


def _held(job_id: int, owner: str) -> Any:
    return _all_held([job_id], owner)


def _all_held(job_ids: Sequence[int], owner: str) -> Any:
    """The jobs among these that `owner` still holds the lease of."""
    return jobs.c.id.in_(job_ids) & (jobs.c.state == RUNNING) & (jobs.c.lease_owner == owner)


def complete(conn: Connection, job_id: int, *, owner: str, now: float) -> bool:
    """Mark the job done (in the caller's transaction, with the job's own writes)."""
    result = conn.execute(
        update(jobs)
        .where(_held(job_id, owner))
        .values(state=DONE, lease_owner=None, lease_until=None, updated_at=now, last_error=None)
    )
    return result.rowcount == 1


def renew(engine: Engine, job_ids: Sequence[int], *, owner: str, now: float, lease_s: float) -> int:
    """Extend the leases `owner` still holds on these jobs to `now + lease_s`; how many it held.

    A running job's worker renews while the handler runs, so a job slower than the lease (Jira calls
    queued behind JIRA_CONCURRENCY, each up to JIRA_TIMEOUT_SECONDS) is not claimed by a second worker
    while the first still works on it: that would create the ticket twice."""
    if not job_ids:
        return 0
    with engine.begin() as conn:
        result = conn.execute(update(jobs).where(_all_held(job_ids, owner)).values(lease_until=now + lease_s))
    return result.rowcount


def retry_later(
    engine: Engine,
    job_id: int,
    *,
    owner: str,
    now: float,
    run_after: float,
    error: str,
    count_failure: bool = True,
) -> bool:
    """Put the job back to pending until `run_after`, remembering when it first failed."""
    values: dict[str, Any] = {
        "state": PENDING,
        "lease_owner": None,
        "lease_until": None,
        "run_after": run_after,
        "last_error": redact(error)[:4000],
        "updated_at": now,
    }
    if count_failure:
        values["first_failed_at"] = func.coalesce(jobs.c.first_failed_at, now)
    with engine.begin() as conn:
        result = conn.execute(update(jobs).where(_held(job_id, owner)).values(**values))
    return result.rowcount == 1


def dead_letter(engine: Engine, job_id: int, *, owner: str, now: float, error: str) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            update(jobs)
            .where(_held(job_id, owner))
            .values(
                state=DEAD,
                lease_owner=None,
                lease_until=None,
                last_error=redact(error)[:4000],
                updated_at=now,
            )
        )
    return result.rowcount == 1


def release(
    engine: Engine, job_ids: Sequence[int], *, owner: str, now: float, run_after: float | None = None
) -> int:
    """Give jobs back without counting an attempt (graceful shutdown), runnable from `run_after`."""
    if not job_ids:
        return 0
    with engine.begin() as conn:
        result = conn.execute(
            update(jobs)
            .where(_all_held(job_ids, owner))
            .values(
                state=PENDING,
                lease_owner=None,
                lease_until=None,
                attempts=jobs.c.attempts - 1,
                run_after=now if run_after is None else run_after,
                updated_at=now,
            )
        )
    return result.rowcount


def requeue(engine: Engine, job_id: int, *, now: float) -> bool:
    """Operator action: run a dead (or pending) job again now, with a fresh retry window."""
    with engine.begin() as conn:
        result = conn.execute(
            update(jobs)
            .where((jobs.c.id == job_id) & jobs.c.state.in_([DEAD, PENDING]))
            .values(state=PENDING, run_after=now, first_failed_at=None, attempts=0, updated_at=now)
        )
    return result.rowcount == 1


def list_jobs(engine: Engine, *, state: str | None = None, limit: int = 50) -> list[JobRecord]:
    query = select(jobs).order_by(jobs.c.id.desc()).limit(limit)
    if state is not None:
        query = query.where(jobs.c.state == state)
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(query).mappings()]


def get_job(engine: Engine, job_id: int) -> JobRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    return _record(row) if row is not None else None


def counts_by_state(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all()
    counts = dict.fromkeys(STATES, 0)
    counts.update(dict(rows))
    return counts


def _record(row: Any) -> JobRecord:
    return JobRecord(
        id=row["id"],
        kind=row["kind"],
        state=row["state"],
        attempts=row["attempts"],
        run_after=row["run_after"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        payload=row["payload"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
    )
