"""SLA clock and Jira <-> Slack sync: SLA state, reminders, Jira deliveries, mirrored comments.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_index("ix_tickets_thread", "tickets", ["channel_id", "thread_ts"])
    op.create_table(
        "sla_state",
        sa.Column("ticket_id", sa.String(32), primary_key=True),
        sa.Column("first_response_at", sa.Float),
        sa.Column("first_response_source", sa.String(32)),
        sa.Column("first_response_by", sa.String(255)),
        sa.Column("resolved_at", sa.Float),
        sa.Column("status", sa.String(255)),
        sa.Column("jira_reporter", sa.Text),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "sla_reminders",
        sa.Column("ticket_id", sa.String(32), primary_key=True),
        sa.Column("target", sa.String(16), primary_key=True),
        sa.Column("permille", sa.Integer, primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("posted_ts", sa.String(32)),
        sa.Column("skipped", sa.String(64)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "jira_deliveries",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("identifier", sa.String(128), nullable=False, unique=True),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("issue_key", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "mirrored_comments",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("slack_ts", sa.String(32)),
        sa.Column("jira_comment_id", sa.String(64)),
        sa.Column("slack_edited_ts", sa.String(32)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("deleted_at", sa.Float),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("channel_id", "slack_ts", name="uq_mirrored_comments_slack"),
        sa.UniqueConstraint("jira_comment_id", name="uq_mirrored_comments_jira"),
    )


def downgrade() -> None:
    op.drop_table("mirrored_comments")
    op.drop_table("jira_deliveries")
    op.drop_table("sla_reminders")
    op.drop_table("sla_state")
    op.drop_index("ix_tickets_thread", table_name="tickets")
