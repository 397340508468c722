"""The service under fuzzing: a real `serve` subprocess on the sandbox fakes (see bench/chaos.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bench.chaos import SHORT, Chaos

# The default run is CI's sample; FUZZ_CASES=10000 is the long run by hand.
CASES = int(os.environ.get("FUZZ_CASES", "300"))
JIRA_WEBHOOK_SECRET = "fuzz-jira-webhook-secret"


@pytest.fixture(scope="session")  # one service for both fuzzers
def fuzzed() -> Iterator[Chaos]:
    chaos = Chaos(SHORT, "sqlite", extra_env={"JIRA_WEBHOOK_SECRET": JIRA_WEBHOOK_SECRET})
    try:
        yield chaos
    finally:
        chaos.close()


def unhandled(chaos: Chaos) -> list[str]:
    """Log lines of the service that carry a traceback (JSON logs put it under `exc`)."""
    return [line for line in chaos.service.log_lines() if '"exc":' in line or "Traceback" in line]
