"""Weekly interrupt digests: one row per (team, week slot), its posts recorded as they succeed.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("team", sa.String(64), primary_key=True),
        sa.Column("slot", sa.String(40), primary_key=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("chart_file_id", sa.String(32)),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("digests")
