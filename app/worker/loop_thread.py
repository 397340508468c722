"""The worker and the scheduler on their own event loop, in a thread of the serving process.

Sharing the HTTP server's event loop with the worker puts every acknowledgement and every
`views.open` in one queue with the worker's job steps: under a burst of queued tickets the loop is
busy with job bookkeeping when a shortcut arrives, and its 3-second `trigger_id` waits behind it.
On their own loop the worker's callbacks never sit in front of a request's; the two loops share the
interpreter (and its CPU time), so on Linux the loop's thread runs at a lower CPU priority
(`WORKER_NICE`): threads it starts (its database threads, the Jira client's pool) inherit it. When
the machine's cores are contended, the kernel then runs the request path first and the worker in
the time left; the worker loses no work, only waits. Measured with `bench/modal_bench.py`
(500 ticket reactions/s queueing work, shortcuts every 50 ms): `views.open` p99 about 190 ms with
the worker on the request loop, 100-130 ms on its own loop at the same priority, 56-68 ms niced.

The loop owns its own resources (the worker's Slack session): aiohttp sessions belong to the loop
that made them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[None]]
Service = Callable[[], Coroutine[Any, Any, None]]


class LoopThread:
    """Runs services (the worker, the scheduler) on a private event loop until stopped."""

    def __init__(
        self,
        name: str,
        *,
        services: list[Service],
        open_resources: Step,
        close_resources: Step,
        nice: int = 0,
    ) -> None:
        self._name = name
        self._nice = nice
        self._services = services
        self._open = open_resources
        self._close = close_resources
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._started = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._finished: asyncio.Event | None = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, *, timeout_s: float = 30.0) -> None:
        """Start the thread and wait until its loop runs the services."""
        # Not a daemon: threads inherit that flag, and the Jira pool's threads, started from this one,
        # must stay visible to `leave_abandoned_calls`, which ends a stopping `serve` rather than
        # wait for a Jira call whose job was given back. Runtime.stop() always ends this thread.
        self._thread = threading.Thread(target=self._main, name=self._name, daemon=False)
        self._thread.start()
        if not self._started.wait(timeout_s):
            raise RuntimeError(f"{self._name}: the loop did not start within {timeout_s:.0f} s")
        if self._failure is not None:
            raise RuntimeError(f"{self._name} could not start: {self._failure!r}") from self._failure

    async def stop(self, shutdown: Step, *, timeout_s: float) -> None:
        """Run `shutdown()` on the thread's loop (it asks the services to finish), cancel what is
        still running, then wait for the thread to close its resources and end."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return

        async def finish() -> None:
            try:
                await shutdown()
            finally:
                for task in self._tasks:
                    task.cancel()
                if self._finished is not None:
                    self._finished.set()

        if thread.is_alive():
            # RuntimeError: the loop ended on its own meanwhile; TimeoutError: shutdown() hung
            with contextlib.suppress(RuntimeError, TimeoutError):
                done = asyncio.run_coroutine_threadsafe(finish(), loop)
                await asyncio.wait_for(asyncio.wrap_future(done), timeout=timeout_s)
        await asyncio.to_thread(thread.join, timeout_s)
        if thread.is_alive():
            log.warning("the worker loop did not end in time", extra={"worker.loop": self._name})

    def _main(self) -> None:
        lower_priority(self._nice)
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # reported to start(), or logged: never lost
            self._failure = exc
            log.exception("the worker loop crashed", extra={"worker.loop": self._name})
        finally:
            self._started.set()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        finished = self._finished = asyncio.Event()
        await self._open()
        try:
            self._tasks = [
                asyncio.create_task(service(), name=f"{self._name}-{i}")
                for i, service in enumerate(self._services)
            ]
            for task in self._tasks:
                task.add_done_callback(self._report_failure)
            self._started.set()
            # the loop lives until stop()'s shutdown has run to its end (a worker's grace period),
            # even when the services return as soon as they are asked to stop
            await finished.wait()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            await self._close()

    def _report_failure(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("a worker-loop service failed: %r", task.exception(), extra={"worker.loop": self._name})


def lower_priority(nice: int) -> bool:
    """Raise the calling thread's nice value by `nice` (Linux: nice is per thread, and threads
    started from it inherit it). Elsewhere nice is per process, so nothing changes; False then."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return False
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError as exc:  # a sandbox that forbids it: run at the same priority, say so
        log.warning("could not lower the worker's CPU priority: %s", exc)
        return False
    return True
