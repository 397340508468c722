"""Migration 0004 creates exactly what `app.store.schema` declares for the SLA clock and the sync."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.store.db import alembic_config
from app.store.schema import metadata

TABLES = {"sla_state", "sla_reminders", "jira_deliveries", "mirrored_comments"}


def _touches_ours(diff: Any) -> bool:
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item[1:]:
            names = {getattr(getattr(part, "table", None), "name", None), getattr(part, "name", None)}
            names.add(part if isinstance(part, str) else None)
            if names & (TABLES | {"ix_tickets_thread"}):
                return True
    return False


def test_migrated_tables_match_the_schema(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
            assert [d for d in diffs if _touches_ours(d)] == []
            assert set(sa.inspect(conn).get_table_names()) >= TABLES
            assert "ix_tickets_thread" in {i["name"] for i in sa.inspect(conn).get_indexes("tickets")}
    finally:
        engine.dispose()


def test_0004_follows_0003_and_leads_to_every_head() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revision = script.get_revision("0004")
    assert revision is not None
    assert revision.down_revision == "0003"
    for head in script.get_heads():  # 0004 itself, or a later revision built on it (0005_reports)
        assert "0004" in {r.revision for r in script.iterate_revisions(head, "base")}
