"""Alembic environment: runs migrations on the URL set by `app.store.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from app.store.db import create_db_engine, is_sqlite
from app.store.schema import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""


def run() -> None:
    engine = create_db_engine(url, pool_size=1)
    # One transaction around everything: the advisory lock is held until the migrations commit.
    with engine.begin() as connection:
        if not is_sqlite(url):
            # Replicas starting together must not run the same migration twice.
            connection.execute(text("SELECT pg_advisory_xact_lock(7412094311)"))
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=is_sqlite(url))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
