"""Deliveries, jobs and tickets.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "slack_deliveries",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(128), nullable=False, unique=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("retry_num", sa.Integer, nullable=False, server_default="0"),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("run_after", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("first_failed_at", sa.Float),
        sa.Column("last_error", sa.Text),
        sa.Column("dedupe_key", sa.String(200), unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_jobs_claim", "jobs", ["state", "run_after"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("requester_id", sa.String(32)),
        sa.Column("reactor_id", sa.String(32)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("ignored_reason", sa.Text),
        sa.Column("marker", sa.String(64), nullable=False, unique=True),
        sa.Column("jira_key", sa.String(64)),
        sa.Column("jira_url", sa.Text),
        sa.Column("create_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reply_ts", sa.String(32)),
        sa.Column("reply_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("team", "channel_id", "message_ts", name="uq_tickets_source_message"),
    )
    op.create_index("ix_tickets_jira_key", "tickets", ["jira_key"])


def downgrade() -> None:
    op.drop_table("tickets")
    op.drop_table("jobs")
    op.drop_table("slack_deliveries")
