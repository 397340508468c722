"""A job that outlives its lease keeps it while its worker runs it: no second worker starts it."""

from __future__ import annotations

import asyncio
import time

from app.store import jobs as job_store
from app.store.db import create_db_engine
from app.store.jobs import Job
from app.worker.runner import Worker, WorkerConfig

LEASE_S = 0.6


async def test_a_slow_job_keeps_its_lease_while_it_runs(database_url: str) -> None:
    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        job_store.enqueue(conn, "test.slow", {"n": 1}, now=0.0)
    started: list[int] = []
    began, release = asyncio.Event(), asyncio.Event()

    async def slow(job: Job) -> None:
        started.append(job.id)
        began.set()
        await release.wait()  # a Jira call queued behind others, far longer than the lease

    config = WorkerConfig(concurrency=2, lease_s=LEASE_S, poll_s=0.05)
    first = Worker(engine, {"test.slow": slow}, config=config, owner="first")
    running = asyncio.create_task(first.run())
    try:
        await asyncio.wait_for(began.wait(), timeout=10)
        for _ in range(5):  # over three leases long, a rival worker finds nothing to claim
            await asyncio.sleep(LEASE_S / 2)
            stolen = await asyncio.to_thread(
                job_store.claim, engine, owner="rival", limit=5, now=time.time(), lease_s=60
            )
            assert stolen == []
        release.set()
        for _ in range(500):
            if job_store.counts_by_state(engine).get("done") == 1:
                break
            await asyncio.sleep(0.02)
        assert job_store.counts_by_state(engine).get("done") == 1
        assert len(started) == 1  # it ran once, by the first worker
    finally:
        await first.stop(grace_s=1)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        engine.dispose()
