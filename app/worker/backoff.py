"""Retry delays: exponential with equal jitter, never shorter than the server's Retry-After."""

from __future__ import annotations

import random

BASE_S = 2.0
CAP_S = 900.0
# After an ambiguous create, give Jira's search index a moment before looking for the marker.
AMBIGUOUS_MIN_S = 5.0


def retry_delay(attempts: int, *, retry_after_s: float | None = None, minimum_s: float = 0.0) -> float:
    """Delay before attempt `attempts + 1` (attempts counts the ones already made, >= 1)."""
    exponent = max(0, attempts - 1)
    ceiling = min(CAP_S, BASE_S * (2 ** min(exponent, 20)))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return float(max(delay, retry_after_s or 0.0, minimum_s))
