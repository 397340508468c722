"""Fixtures for tests that run `interrupt-bridge serve` as real processes on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.store.db import migrate
from tests.conftest import POSTGRES_URL, _postgres_or_skip
from tests.runtime.serve_process import ServeProcess


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated schema of the test PostgreSQL (replicas need a shared database)."""
    _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    migrate(url)
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ServeProcess]]:
    """Every process a test starts lands here and is stopped (or killed) at the end."""
    started: list[ServeProcess] = []
    yield started
    for process in started:
        process.close()
