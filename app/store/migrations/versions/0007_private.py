"""On-call shadows: the handoff records the shadow it briefed, so a retried handoff briefs them once.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("shadow_user", sa.String(32)))
        batch.add_column(sa.Column("shadow_briefing_ts", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("shadow_briefing_ts")
        batch.drop_column("shadow_user")
