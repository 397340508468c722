"""On-call handoffs: what each handoff posted, so a retried or repeated handoff posts nothing twice.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("team", sa.String(64), primary_key=True),
        sa.Column("shift_start", sa.Float, primary_key=True),
        sa.Column("slack_user", sa.String(32)),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("briefing_ts", sa.String(32)),
        sa.Column("thanks_ts", sa.String(32)),
        sa.Column("completed_at", sa.Float),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handoffs")
