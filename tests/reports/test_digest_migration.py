"""Migration 0005 creates the `digests` table exactly as `app.store.schema` declares it."""

from __future__ import annotations

import sqlalchemy as sa

from app.store.db import migrate
from app.store.schema import digests


def test_0005_creates_the_digests_table(database_url: str) -> None:
    migrate(database_url)
    engine = sa.create_engine(database_url)
    try:
        columns = {c["name"]: c for c in sa.inspect(engine).get_columns("digests")}
        assert set(columns) == {c.name for c in digests.columns}
        assert sa.inspect(engine).get_pk_constraint("digests")["constrained_columns"] == ["team", "slot"]
    finally:
        engine.dispose()
