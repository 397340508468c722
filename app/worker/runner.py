"""The worker: claims jobs, runs their handlers, records the outcome, retries or dead-letters.

Runs inside `serve` (default) or alone as `interrupt-bridge worker`. Database calls run in threads,
handlers are coroutines, Jira calls go through the Jira adapter's bounded thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from app.domain.errors import AmbiguousError, NotReadyError, PermanentError, RetryableError
from app.observability import metrics
from app.observability.logging import job_log_ids
from app.store import jobs as job_store
from app.store.jobs import Job
from app.worker.backoff import AMBIGUOUS_MIN_S, retry_delay

log = logging.getLogger(__name__)

Handler = Callable[[Job], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class WorkerConfig:
    concurrency: int = 16
    lease_s: float = 120.0
    retry_window_s: float = 24 * 3600.0
    poll_s: float = 1.0
    # A job given back at shutdown may have left a call in flight (a Jira create that lands after
    # we are gone); it runs again only once that call has timed out, so the retry finds its result.
    release_delay_s: float = 0.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(
        self,
        engine: Engine,
        handlers: Mapping[str, Handler],
        *,
        config: WorkerConfig,
        clock: Clock = time.time,
        owner: str | None = None,
    ) -> None:
        self._engine = engine
        self._handlers = dict(handlers)
        self._config = config
        self._clock = clock
        self.owner = owner or worker_id()
        self._wake = asyncio.Event()
        self._stopping = False
        self._running: dict[int, asyncio.Task[None]] = {}
        self.last_loop_at = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- control -----------------------------------------------------------------------------
    def wake_threadsafe(self) -> None:
        """Called by the group-commit thread after it committed new jobs."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    def alive(self, *, now: float | None = None) -> bool:
        current = time.monotonic() if now is None else now
        return not self._stopping and current - self.last_loop_at < max(10.0, 5 * self._config.poll_s)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        log.info("worker started", extra={"worker.owner": self.owner})
        renewing = asyncio.create_task(self._renew_leases(), name="worker-lease-renewal")
        try:
            await self._claim_loop()
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _claim_loop(self) -> None:
        while not self._stopping:
            self.last_loop_at = time.monotonic()
            # Cleared before claiming, so a commit or a finished job during the claim wakes us at once.
            self._wake.clear()
            free = self._config.concurrency - len(self._running)
            claimed: list[Job] = []
            if free > 0:
                try:
                    claimed = await asyncio.to_thread(
                        job_store.claim,
                        self._engine,
                        owner=self.owner,
                        limit=free,
                        now=self._clock(),
                        lease_s=self._config.lease_s,
                    )
                except Exception:
                    log.exception("claiming jobs failed; retrying")
            if self._stopping:  # stop() came while we were claiming: give these back untouched
                await self._release([job.id for job in claimed], delay_s=0.0)
                break
            for job in claimed:
                task = asyncio.create_task(self._execute(job), name=f"job-{job.id}")
                self._running[job.id] = task
                task.add_done_callback(self._on_done(job.id))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._config.poll_s)

    async def _renew_leases(self) -> None:
        """Every third of the lease, extend the leases of the jobs still running here."""
        every = max(0.05, self._config.lease_s / 3)
        while True:
            await asyncio.sleep(every)
            ids = list(self._running)
            if not ids:
                continue
            try:
                held = await asyncio.to_thread(
                    job_store.renew,
                    self._engine,
                    ids,
                    owner=self.owner,
                    now=self._clock(),
                    lease_s=self._config.lease_s,
                )
            except Exception:  # the database is briefly away: the next round tries again
                log.exception("renewing job leases failed")
                continue
            if held < len(ids):  # finished meanwhile, or lost (this worker was silent past a lease)
                log.info("job leases renewed", extra={"jobs.renewed": held, "jobs.running": len(ids)})

    def _on_done(self, job_id: int) -> Callable[[asyncio.Task[None]], None]:
        def finished(_: asyncio.Task[None]) -> None:
            self._running.pop(job_id, None)
            self._wake.set()  # a slot is free

        return finished

    async def stop(self, *, grace_s: float = 10.0) -> None:
        """Stop claiming; let running jobs finish within `grace_s`, then give the rest back.

        A job given back is pending again (its attempt not counted) but runs only after
        `release_delay_s`, the time its abandoned call may still take to land.
        """
        self._stopping = True
        self._wake.set()
        running = list(self._running.values())
        if not running:
            return
        log.info("worker stopping", extra={"jobs.running": len(running), "worker.grace_s": grace_s})
        _, pending = await asyncio.wait(running, timeout=grace_s)
        ids = [job_id for job_id, task in self._running.items() if task in pending]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self._release(ids, delay_s=self._config.release_delay_s)

    async def _release(self, ids: list[int], *, delay_s: float) -> None:
        if not ids:
            return
        now = self._clock()
        released = await asyncio.to_thread(
            job_store.release, self._engine, ids, owner=self.owner, now=now, run_after=now + delay_s
        )
        log.info("released unfinished jobs", extra={"jobs.released": released, "jobs.ids": ids})

    async def run_once(self) -> int:
        """Claim and run what is runnable now, to completion. Tests and `jobs drain` use it."""
        self._loop = asyncio.get_running_loop()
        claimed = await asyncio.to_thread(
            job_store.claim,
            self._engine,
            owner=self.owner,
            limit=self._config.concurrency,
            now=self._clock(),
            lease_s=self._config.lease_s,
        )
        await asyncio.gather(*(self._execute(job) for job in claimed))
        return len(claimed)

    # -- one job -----------------------------------------------------------------------------
    async def _execute(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        extra = {"job.id": job.id, "job.kind": job.kind, "job.attempt": job.attempts}
        extra.update(job_log_ids(job.payload))
        if handler is None:
            await self._dead(job, f"no handler for job kind {job.kind!r}", extra)
            return
        started = time.perf_counter()
        try:
            await handler(job)
        except NotReadyError as exc:
            await self._retry(job, str(exc), exc.delay_s, extra, count_failure=False)
        except PermanentError as exc:
            await self._dead(job, f"permanent: {exc}", extra)
        except AmbiguousError as exc:
            delay = retry_delay(job.attempts, retry_after_s=exc.retry_after_s, minimum_s=AMBIGUOUS_MIN_S)
            _count_retry_after(exc, delay)
            await self._retry_or_dead(job, f"ambiguous: {exc}", delay, extra)
        except RetryableError as exc:
            delay = retry_delay(job.attempts, retry_after_s=exc.retry_after_s)
            _count_retry_after(exc, delay)
            await self._retry_or_dead(job, f"retryable: {exc}", delay, extra)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: keep the job, retry, and make it visible
            log.exception("job crashed", extra=extra)
            await self._retry_or_dead(
                job, f"crash: {type(exc).__name__}: {exc}", retry_delay(job.attempts), extra
            )
        else:
            await asyncio.to_thread(self._complete, job.id)
            metrics.JOBS_FINISHED.labels(job.kind, "done").inc()
            log.info("job done", extra=extra)
        finally:
            metrics.JOB_DURATION.labels(job.kind).observe(time.perf_counter() - started)

    def _complete(self, job_id: int) -> None:
        with self._engine.begin() as conn:
            job_store.complete(conn, job_id, owner=self.owner, now=self._clock())

    async def _retry_or_dead(self, job: Job, error: str, delay: float, extra: dict[str, object]) -> None:
        now = self._clock()
        first_failed = job.first_failed_at if job.first_failed_at is not None else now
        if now - first_failed >= self._config.retry_window_s:
            await self._dead(job, f"gave up after {job.attempts} attempts: {error}", extra)
            return
        await self._retry(job, error, delay, extra, count_failure=True)

    async def _retry(
        self, job: Job, error: str, delay: float, extra: dict[str, object], *, count_failure: bool
    ) -> None:
        now = self._clock()
        metrics.JOBS_FINISHED.labels(job.kind, "retry").inc()
        log.warning("job will retry", extra={**extra, "job.delay_s": round(delay, 2), "error": error})
        await asyncio.to_thread(
            job_store.retry_later,
            self._engine,
            job.id,
            owner=self.owner,
            now=now,
            run_after=now + delay,
            error=error,
            count_failure=count_failure,
        )

    async def _dead(self, job: Job, error: str, extra: dict[str, object]) -> None:
        log.error("job dead-lettered", extra={**extra, "error": error})
        metrics.JOBS_FINISHED.labels(job.kind, "dead").inc()
        metrics.DEAD_LETTERS.labels(job.kind).inc()
        await asyncio.to_thread(
            job_store.dead_letter, self._engine, job.id, owner=self.owner, now=self._clock(), error=error
        )


def _count_retry_after(error: RetryableError, delay: float) -> None:
    """A Retry-After from Slack or Jira puts the job back for (at least) that long: count the wait."""
    if error.retry_after_s is not None:
        metrics.rate_limit_wait("job", delay)
