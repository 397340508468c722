"""The worker's own event loop in a thread of `serve`: isolation from the request loop, priority, stop."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from app.worker.loop_thread import LoopThread, lower_priority

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="nice is per thread on Linux only"
)


class Probe:
    """A service that records where it ran and runs until asked to stop."""

    def __init__(self) -> None:
        self.thread: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.events: list[str] = []
        self._stop: asyncio.Event | None = None

    async def run(self) -> None:
        self.thread = threading.get_native_id()
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.events.append("ran")
        await self._stop.wait()
        self.events.append("finished")

    async def shutdown(self) -> None:
        assert self._stop is not None
        assert asyncio.get_running_loop() is self.loop  # shutdown runs on the service's loop
        self.events.append("asked to stop")
        self._stop.set()
        await asyncio.sleep(0)

    async def forever(self) -> None:
        await asyncio.Event().wait()  # never returns unless cancelled

    async def opened(self) -> None:
        self.events.append("opened")

    async def closed(self) -> None:
        self.events.append("closed")


async def test_services_run_on_their_own_loop_and_stop_in_order() -> None:
    probe = Probe()
    loop_thread = LoopThread(
        "test-worker-loop",
        services=[probe.run, probe.forever],
        open_resources=probe.opened,
        close_resources=probe.closed,
    )
    await asyncio.to_thread(loop_thread.start)
    assert loop_thread.alive
    assert probe.loop is not None
    assert probe.loop is not asyncio.get_running_loop()
    assert probe.thread != threading.get_native_id()
    # the request loop stays free while the worker loop is busy with its own work
    blocker = asyncio.run_coroutine_threadsafe(asyncio.sleep(0.2), probe.loop)
    started = asyncio.get_running_loop().time()
    await asyncio.sleep(0.01)
    assert asyncio.get_running_loop().time() - started < 0.15
    await asyncio.wrap_future(blocker)

    await loop_thread.stop(probe.shutdown, timeout_s=5)
    assert not loop_thread.alive
    # the service that never ends on its own was cancelled; resources closed last
    assert probe.events == ["opened", "ran", "asked to stop", "finished", "closed"]


async def test_a_failure_to_open_is_reported_by_start_not_swallowed() -> None:
    async def broken() -> None:
        raise ConnectionError("no Slack session for you")

    probe = Probe()
    loop_thread = LoopThread(
        "test-broken-loop", services=[probe.run], open_resources=broken, close_resources=probe.closed
    )
    with pytest.raises(RuntimeError, match="no Slack session for you"):
        await asyncio.to_thread(loop_thread.start)
    assert probe.events == []  # nothing ran, nothing to close
    await loop_thread.stop(probe.shutdown, timeout_s=1)  # stopping what never started is a no-op


async def test_a_crashed_service_does_not_take_the_others_down() -> None:
    async def crash() -> None:
        raise ValueError("bug in one service")

    probe = Probe()
    loop_thread = LoopThread(
        "test-crash-loop",
        services=[crash, probe.run],
        open_resources=probe.opened,
        close_resources=probe.closed,
    )
    await asyncio.to_thread(loop_thread.start)
    await asyncio.sleep(0.05)
    assert loop_thread.alive
    await loop_thread.stop(probe.shutdown, timeout_s=5)
    assert probe.events[-2:] == ["finished", "closed"]


@linux_only
async def test_the_loop_thread_and_the_threads_it_starts_run_at_a_lower_priority() -> None:
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: dict[str, int] = {}

    async def service() -> None:
        seen["loop"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        # a database call through to_thread, as the worker makes them
        seen["executor"] = await asyncio.to_thread(
            lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        )

    probe = Probe()
    loop_thread = LoopThread(
        "test-nice-loop",
        services=[service, probe.run],
        open_resources=probe.opened,
        close_resources=probe.closed,
        nice=5,
    )
    await asyncio.to_thread(loop_thread.start)
    for _ in range(100):
        if "executor" in seen:
            break
        await asyncio.sleep(0.01)
    await loop_thread.stop(probe.shutdown, timeout_s=5)
    expected = min(19, base + 5)
    assert seen == {"loop": expected, "executor": expected}
    # the caller's own priority is untouched
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base


def test_no_increment_changes_nothing() -> None:
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert lower_priority(0) is False
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base
