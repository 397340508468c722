"""Migration 0006 creates exactly what `app.store.faq` declares."""

from __future__ import annotations

import sqlalchemy as sa

from app.store import faq  # noqa: F401  (registers the FAQ tables on the metadata)
from tests.store.migration_checks import assert_on_the_line_to_the_head, drift_touching

TABLES = {"faq_requests", "faq_deflections", "faq_candidates"}


def test_migrated_faq_tables_match_the_schema(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert drift_touching(conn, TABLES) == []
            assert set(sa.inspect(conn).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_0006_follows_0005_on_the_single_line_to_the_head() -> None:
    assert_on_the_line_to_the_head("0006", "0005")
