"""A one-line progress bar for a terminal (the CLI shows it only when standard error is a TTY)."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO, *, label: str = "issues", min_interval_s: float = 0.1) -> None:
        self._stream = stream
        self._label = label
        self._min_interval_s = min_interval_s
        self._last = 0.0
        self._shown = False

    def update(self, done: int, total: int | None) -> None:
        """`total` None: Jira Cloud's search says no total; the count is shown without a bar."""
        now = time.monotonic()
        if now - self._last < self._min_interval_s and (total is None or done < total):
            return
        self._last = now
        if total:
            filled = min(WIDTH, WIDTH * done // total)
            line = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {done:,}/{total:,} {self._label}"
        else:
            line = f"{done:,} {self._label} read"
        self._stream.write("\r" + line)
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
