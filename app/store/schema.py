"""Table definitions (SQLAlchemy Core). Alembic migrations under `migrations/` create them.

Times are epoch seconds (float): the same type and arithmetic on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Identity on PostgreSQL, INTEGER PRIMARY KEY (rowid) on SQLite.
_Id = BigInteger().with_variant(Integer(), "sqlite")

slack_deliveries = Table(
    "slack_deliveries",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    # event_id for Events API deliveries; a digest of the body for interactivity and commands
    Column("dedupe_key", String(128), nullable=False, unique=True),
    Column("kind", String(64), nullable=False),
    Column("received_at", Float, nullable=False),
    Column("retry_num", Integer, nullable=False, default=0),
    Column("body", Text, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    # pending -> running -> done | dead; running jobs whose lease expired are claimable again
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("run_after", Float, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Column("first_failed_at", Float),
    Column("last_error", Text),
    Column("dedupe_key", String(200), unique=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_jobs_claim", "state", "run_after"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("team", String(64), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("message_ts", String(32), nullable=False),
    Column("thread_ts", String(32)),
    Column("bucket", String(64), nullable=False),
    Column("priority", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("requester_id", String(32)),
    Column("reactor_id", String(32)),
    # pending -> created | ignored
    Column("state", String(16), nullable=False),
    Column("ignored_reason", Text),
    Column("marker", String(64), nullable=False, unique=True),
    Column("jira_key", String(64)),
    Column("jira_url", Text),
    Column("create_attempts", Integer, nullable=False, default=0),
    Column("reply_ts", String(32)),
    Column("reply_attempts", Integer, nullable=False, default=0),
    # JSON of the modal's answers (summary, description, impact, urgency, Jira fields), when a form was used
    Column("form", Text),
    # posts of the request itself, for tickets raised without a source message (global shortcut, command)
    Column("request_post_attempts", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("team", "channel_id", "message_ts", name="uq_tickets_source_message"),
    Index("ix_tickets_jira_key", "jira_key"),
)
