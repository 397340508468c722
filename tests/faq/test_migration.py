"""Migration 0006 creates exactly what `app.store.faq` declares."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.store import faq  # noqa: F401  (registers the FAQ tables on the metadata)
from app.store.schema import metadata

TABLES = {"faq_requests", "faq_deflections", "faq_candidates"}


def _touches_ours(diff: Any) -> bool:
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item[1:]:
            names = {getattr(getattr(part, "table", None), "name", None), getattr(part, "name", None)}
            names.add(part if isinstance(part, str) else None)
            if names & TABLES:
                return True
    return False


def test_migrated_faq_tables_match_the_schema(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
            assert [d for d in diffs if _touches_ours(d)] == []
            assert set(sa.inspect(conn).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_0006_follows_0005_on_the_single_line_to_the_head() -> None:
    from alembic.script import ScriptDirectory

    from app.store.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revision = script.get_revision("0006")
    assert revision is not None
    assert revision.down_revision == "0005"
    [head] = script.get_heads()  # later migrations (0007: shadows) build on it
    assert "0006" in {r.revision for r in script.iterate_revisions(head, "base")}
