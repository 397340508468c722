"""Migration 0007 adds exactly the handoff columns `app.store.schema` declares for shadows."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.store.schema import metadata


def test_handoffs_table_matches_the_schema(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
            assert [d for d in diffs if "handoffs" in repr(d)] == []
            columns = {c["name"] for c in sa.inspect(conn).get_columns("handoffs")}
            assert {"shadow_user", "shadow_briefing_ts"} <= columns
    finally:
        engine.dispose()
