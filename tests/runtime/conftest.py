"""Fixtures for tests that run `interrupt-bridge serve` as real processes on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import migrated_postgres_schema
from tests.runtime.serve_process import ServeProcess


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated schema of the test PostgreSQL (replicas need a shared database)."""
    yield from migrated_postgres_schema()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ServeProcess]]:
    """Every process a test starts lands here and is stopped (or killed) at the end."""
    started: list[ServeProcess] = []
    yield started
    for process in started:
        process.close()
