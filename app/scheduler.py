"""The scheduler: turns the pure on-call schedule into due jobs in the durable job table.

Every tick (once at start-up, then every `interval_s`) enqueues, for each team with a rotation, the
handoff job of the current shift and of the next one, each due at its shift's start and carrying a
dedupe key per (team, shift start). So:

- any number of replicas may tick: the second enqueue of a key is a no-op, and one worker claims it;
- a handoff missed while the service was down is caught up at start-up: the current shift's job is
  due in the past and runs at once (a job for a shift that has since ended skips itself);
- the next handoff is in the table before it is due, so it runs on time even if the scheduler is
  slow or the process restarts right before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from app.config.template import Template
from app.domain.oncall import shifts
from app.worker.digest import enqueue_digests
from app.worker.handoff import enqueue_handoff
from app.worker.sla_jobs import enqueue_sla_scan

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 30.0


class Scheduler:
    def __init__(
        self,
        engine: Engine,
        template: Callable[[], Template],
        *,
        clock: Callable[[], float] = time.time,
        interval_s: float = DEFAULT_INTERVAL_S,
        on_enqueue: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._template = template
        self._clock = clock
        self._interval_s = interval_s
        self._on_enqueue = on_enqueue  # wakes the worker when a job is already due
        self._stopping = asyncio.Event()

    async def tick(self, now: float | None = None) -> int:
        """Enqueue the handoffs of the current and the next shift of every rotation, and this minute's
        SLA scan; returns how many handoff jobs were new."""
        at = self._clock() if now is None else now
        instant = datetime.fromtimestamp(at, UTC)
        due = [
            (team.key, shift)
            for team in self._template().teams
            if team.rotation is not None
            for shift in shifts(team.rotation, instant, 2)
        ]

        template = self._template()

        def write() -> tuple[int, bool]:
            with self._engine.begin() as conn:
                added = sum(enqueue_handoff(conn, team, shift, now=at) for team, shift in due)
                # each team's weekly digest (current and next slot, once across replicas)
                added += enqueue_digests(conn, template, now=at)
                # the SLA reminder scan of this minute (once across replicas)
                return added, enqueue_sla_scan(conn, now=at)

        added, scan = await asyncio.to_thread(write)
        if added:
            log.info("handoffs scheduled", extra={"jobs.added": added})
        if (added or scan) and self._on_enqueue is not None:
            self._on_enqueue()
        return added

    async def run(self) -> None:
        """Tick now and then every `interval_s` until `stop()`; a failed tick is logged and retried."""
        self._stopping.clear()
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduling handoffs failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval_s)

    def stop(self) -> None:
        self._stopping.set()
