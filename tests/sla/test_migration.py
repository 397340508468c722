"""Migration 0004 creates exactly what `app.store.schema` declares for the SLA clock and the sync."""

from __future__ import annotations

import sqlalchemy as sa

from tests.store.migration_checks import assert_on_the_line_to_the_head, drift_touching

TABLES = {"sla_state", "sla_reminders", "jira_deliveries", "mirrored_comments"}


def test_migrated_tables_match_the_schema(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert drift_touching(conn, TABLES | {"ix_tickets_thread"}) == []
            assert set(sa.inspect(conn).get_table_names()) >= TABLES
            assert "ix_tickets_thread" in {i["name"] for i in sa.inspect(conn).get_indexes("tickets")}
    finally:
        engine.dispose()


def test_0004_follows_0003_and_leads_to_the_head() -> None:
    assert_on_the_line_to_the_head("0004", "0003")
