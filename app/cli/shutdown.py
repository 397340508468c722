"""How `serve` ends on SIGTERM/SIGINT: one graceful path, a clean exit code, no thread left waiting.

uvicorn catches SIGTERM, shuts down gracefully (the lifespan stops the runtime: scheduler, worker
with its grace period, writer) and then raises the signal again so that the default action ends
the process. That default action would skip `serve`'s own clean-up (stopping the sandbox fakes)
and report death by signal. `graceful_signals` installs handlers that turn the re-raised signal
into nothing more than "should exit", so `serve` returns normally.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Protocol

log = logging.getLogger("interrupt_bridge")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stoppable(Protocol):
    should_exit: bool


@contextlib.contextmanager
def graceful_signals(server: Stoppable) -> Iterator[None]:
    """While inside, SIGTERM/SIGINT ask `server` to exit; uvicorn's re-raise lands here, harmless.

    A signal that arrives before uvicorn installs its own handlers still makes it shut down at once
    (it checks `should_exit` when its startup is done).
    """

    def ask_to_exit(signum: int, _: FrameType | None) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, ask_to_exit) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def leave_abandoned_calls(*, join_s: float = 0.5) -> None:
    """End the process now if a worker thread is still blocked in a call whose job was given back.

    The `jira` client is synchronous: a call cannot be interrupted, and Python waits for its pool
    threads at exit, so a Jira request hanging until its timeout would hold the process past the
    grace period. Its job is already back in the queue (and retried only after that timeout), so
    nothing is lost by not waiting.
    """
    deadline = time.monotonic() + join_s
    for thread in _busy_threads():
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = _busy_threads()
    if not stuck:
        return
    log.warning(
        "exiting with calls still in flight; their jobs were released",
        extra={"threads": [t.name for t in stuck]},
    )
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _busy_threads() -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t is not threading.current_thread() and not t.daemon and t.is_alive()
    ]
