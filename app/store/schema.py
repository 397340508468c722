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

# One row per (team, shift start): the handoff's posts, recorded as they succeed so a retried or
# repeated handoff job skips them (the job's dedupe key alone would not survive a purge of old jobs).
handoffs = Table(
    "handoffs",
    metadata,
    Column("team", String(64), primary_key=True),
    Column("shift_start", Float, primary_key=True),
    Column("slack_user", String(32)),  # who took over, after skipping members who left Slack
    Column("message_ts", String(32)),
    Column("briefing_ts", String(32)),
    Column("thanks_ts", String(32)),
    Column("shadow_user", String(32)),  # who shadowed (migration 0007)
    Column("shadow_briefing_ts", String(32)),  # the shadow's briefing DM (migration 0007)
    Column("completed_at", Float),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# -- SLA clock and Jira <-> Slack sync (migration 0004) ------------------------------------------------
# Finds the ticket of a Slack thread reply (the dispatcher enqueues every human reply in a thread).
Index("ix_tickets_thread", tickets.c.channel_id, tickets.c.thread_ts)

# What happened to a ticket that its SLA clock depends on; one row per ticket, created on first need.
sla_state = Table(
    "sla_state",
    metadata,
    Column("ticket_id", String(32), primary_key=True),
    Column("first_response_at", Float),
    Column("first_response_source", String(32)),  # jira_comment | jira_transition | slack_reply
    Column("first_response_by", String(255)),
    Column("resolved_at", Float),
    Column("status", String(255)),  # the Jira status as the last webhook named it
    Column("jira_reporter", Text),  # JSON of the reporter (JiraUser), fetched once when a payload lacks it
    Column("updated_at", Float, nullable=False),
)

# One row per reminder threshold of a ticket's target: the primary key makes a reminder once-only
# across replicas and restarts, whatever happens to the jobs table.
sla_reminders = Table(
    "sla_reminders",
    metadata,
    Column("ticket_id", String(32), primary_key=True),
    Column("target", String(16), primary_key=True),  # first_response | resolution
    Column("permille", Integer, primary_key=True),  # 750 for 0.75
    Column("attempts", Integer, nullable=False, default=0),
    Column("posted_ts", String(32)),
    Column("skipped", String(64)),  # why nothing was posted: met | superseded
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Every verified Jira webhook about a tracked issue; the identifier is stable across redeliveries.
jira_deliveries = Table(
    "jira_deliveries",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("identifier", String(128), nullable=False, unique=True),
    Column("event", String(64), nullable=False),
    Column("issue_key", String(64), nullable=False),
    Column("ticket_id", String(32), nullable=False),
    Column("received_at", Float, nullable=False),
    Column("body", Text, nullable=False),
)

# Slack message <-> Jira comment pairs, both directions: edits and deletions find their counterpart,
# a retried mirror finds its earlier attempt, and neither side echoes the other's mirror back.
mirrored_comments = Table(
    "mirrored_comments",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("ticket_id", String(32), nullable=False),
    Column("origin", String(8), nullable=False),  # slack | jira: where the text was written
    Column("channel_id", String(32), nullable=False),
    Column("slack_ts", String(32)),  # the reply (origin slack) or the bot's mirror (origin jira)
    Column("jira_comment_id", String(64)),
    Column("slack_edited_ts", String(32)),  # the newest Slack edit applied to the Jira comment
    Column("attempts", Integer, nullable=False, default=0),
    Column("deleted_at", Float),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("channel_id", "slack_ts", name="uq_mirrored_comments_slack"),
    UniqueConstraint("jira_comment_id", name="uq_mirrored_comments_jira"),
)

# One row per (team, weekly digest slot): the digest message and its chart, recorded as each is
# posted, so a retried digest job posts only what is missing (the job's dedupe key makes it once a week).
digests = Table(
    "digests",
    metadata,
    Column("team", String(64), primary_key=True),
    Column("slot", String(40), primary_key=True),
    Column("channel_id", String(32), nullable=False),
    Column("message_ts", String(32)),
    Column("chart_file_id", String(32)),
    Column("updated_at", Float, nullable=False),
)
