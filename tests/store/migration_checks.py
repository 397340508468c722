"""Checks shared by the tests of each migration: no drift from the declared schema, one line of revisions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.store.schema import metadata


def drift_touching(conn: sa.Connection, names: set[str]) -> list[Any]:
    """Autogenerate's differences between the migrated database and `metadata` that name one of
    these tables or indexes (differences elsewhere belong to other migrations' tests)."""

    def touches(diff: Any) -> bool:
        for item in diff if isinstance(diff, list) else [diff]:
            for part in item[1:]:
                found = {getattr(getattr(part, "table", None), "name", None), getattr(part, "name", None)}
                found.add(part if isinstance(part, str) else None)
                if found & names:
                    return True
        return False

    return [d for d in compare_metadata(MigrationContext.configure(conn), metadata) if touches(d)]


def assert_on_the_line_to_the_head(revision: str, down_revision: str) -> None:
    """`revision` follows `down_revision` and lies on the single line of migrations to the head."""
    from alembic.script import ScriptDirectory

    from app.store.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    found = script.get_revision(revision)
    assert found is not None
    assert found.down_revision == down_revision
    [head] = script.get_heads()  # one line of migrations; later ones build on this one
    assert revision in {r.revision for r in script.iterate_revisions(head, "base")}
