"""The job queue: exclusive claims across workers, leases, retries, dead letters."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from app.store import jobs as job_store
from app.store.db import create_db_engine


def enqueue_many(engine: sa.Engine, n: int, *, now: float) -> None:
    with engine.begin() as conn:
        for i in range(n):
            job_store.enqueue(conn, "test.kind", {"i": i}, now=now)


def test_concurrent_claims_never_hand_out_a_job_twice(database_url: str) -> None:
    engine = create_db_engine(database_url)
    enqueue_many(engine, 300, now=1000.0)
    claimed: dict[str, list[int]] = {}

    def claim_all(owner: str) -> None:
        mine: list[int] = []
        while batch := job_store.claim(engine, owner=owner, limit=7, now=1000.0, lease_s=60):
            mine.extend(job.id for job in batch)
        claimed[owner] = mine

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [job_id for ids in claimed.values() for job_id in ids]
    assert len(every) == 300
    assert len(set(every)) == 300
    engine.dispose()


def test_lease_expiry_retry_and_dead_letter(database_url: str) -> None:
    engine = create_db_engine(database_url)
    enqueue_many(engine, 1, now=1000.0)
    [job] = job_store.claim(engine, owner="a", limit=5, now=1000.0, lease_s=60)
    assert job_store.claim(engine, owner="b", limit=5, now=1059.0, lease_s=60) == []
    [again] = job_store.claim(engine, owner="b", limit=5, now=1061.0, lease_s=60)
    assert again.id == job.id
    assert again.attempts == 2
    # "a" lost its lease: its outcome is ignored
    assert not job_store.retry_later(engine, job.id, owner="a", now=1062.0, run_after=1070.0, error="x")
    assert job_store.retry_later(engine, job.id, owner="b", now=1062.0, run_after=1070.0, error="boom")
    assert job_store.claim(engine, owner="c", limit=5, now=1069.0, lease_s=60) == []
    [third] = job_store.claim(engine, owner="c", limit=5, now=1070.0, lease_s=60)
    assert third.first_failed_at == 1062.0
    assert job_store.dead_letter(engine, job.id, owner="c", now=1071.0, error="gave up")
    record = job_store.get_job(engine, job.id)
    assert record is not None
    assert record.state == "dead"
    assert record.last_error == "gave up"
    assert job_store.requeue(engine, job.id, now=1080.0)
    [fourth] = job_store.claim(engine, owner="d", limit=5, now=1080.0, lease_s=60)
    assert fourth.attempts == 1
    assert fourth.first_failed_at is None
    engine.dispose()


def test_release_gives_jobs_back_without_counting_an_attempt(database_url: str) -> None:
    engine = create_db_engine(database_url)
    enqueue_many(engine, 2, now=1000.0)
    claimed = job_store.claim(engine, owner="a", limit=5, now=1000.0, lease_s=60)
    assert job_store.release(engine, [j.id for j in claimed], owner="a", now=1001.0) == 2
    again = job_store.claim(engine, owner="b", limit=5, now=1001.0, lease_s=60)
    assert sorted(j.attempts for j in again) == [1, 1]
    engine.dispose()


def test_dedupe_key_makes_enqueue_idempotent(database_url: str) -> None:
    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        assert job_store.enqueue(conn, "k", {}, now=1.0, dedupe_key="same")
        assert not job_store.enqueue(conn, "k", {}, now=1.0, dedupe_key="same")
    assert job_store.counts_by_state(engine)["pending"] == 1
    engine.dispose()


def test_renewing_a_lease_keeps_other_workers_off_and_only_the_holder_can(database_url: str) -> None:
    engine = create_db_engine(database_url)
    enqueue_many(engine, 2, now=1000.0)
    first, second = job_store.claim(engine, owner="a", limit=5, now=1000.0, lease_s=60)
    assert job_store.renew(engine, [first.id], owner="a", now=1050.0, lease_s=60) == 1
    assert job_store.renew(engine, [first.id], owner="b", now=1050.0, lease_s=600) == 0  # not b's
    # at 1061 the unrenewed job is claimable again, the renewed one (until 1110) is not
    assert [j.id for j in job_store.claim(engine, owner="b", limit=5, now=1061.0, lease_s=60)] == [second.id]
    assert job_store.claim(engine, owner="c", limit=5, now=1109.0, lease_s=60) == []
    # "a" lost the second job to "b": renewing it changes nothing
    assert job_store.renew(engine, [first.id, second.id], owner="a", now=1100.0, lease_s=60) == 1
    with engine.begin() as conn:
        assert job_store.complete(conn, first.id, owner="a", now=1101.0)
    assert job_store.renew(engine, [first.id], owner="a", now=1102.0, lease_s=60) == 0  # done: no lease
    assert job_store.renew(engine, [], owner="a", now=1102.0, lease_s=60) == 0
    engine.dispose()
