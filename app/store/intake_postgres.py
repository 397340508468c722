"""Batched intake writes on PostgreSQL: the whole batch in one statement, so one round trip.

The records travel as one JSON parameter (orjson builds it in microseconds; psycopg's array
adaptation of the same values costs about a millisecond a batch, on the core the event loop needs).
Data-modifying CTEs then do what `IntakeRecord.__call__` does per record:
store the delivery unless its key is taken, open the ticket for the first fresh delivery of each
source message, and enqueue either the create job or the "already tracked" job. The caller passes
only the first record of each dedupe key; later copies are duplicates whatever the database holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from app.store import jobs as job_store
from app.store import tickets as ticket_store

if TYPE_CHECKING:
    from app.store.intake_batch import IntakeRecord

# One JSON object per record; `ord` is the record's index in the batch (insertion order, and which
# delivery of a message comes first). The columns a record without a ticket claim lacks are NULL.
_INPUT = """
    SELECT * FROM json_to_recordset(%(records)s::json) AS i(
        ord int, dedupe_key text, kind text, received_at float8, retry_num int, body text,
        ticket_id text, team text, channel_id text, message_ts text, bucket text, priority text,
        source text, reactor_id text, marker text, opened_kind text, opened_payload text,
        opened_dedupe_key text, tracked_kind text, tracked_payload text, tracked_dedupe_key text
    )
"""

WRITE_BATCH = f"""
WITH input AS ({_INPUT}),
delivered AS (
    INSERT INTO slack_deliveries (dedupe_key, kind, received_at, retry_num, body)
    SELECT dedupe_key, kind, received_at, retry_num, body FROM input ORDER BY ord
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING dedupe_key
),
fresh AS (
    SELECT input.* FROM input JOIN delivered USING (dedupe_key)
),
opened AS (
    INSERT INTO tickets (id, team, channel_id, message_ts, bucket, priority, source, reactor_id,
                         state, marker, create_attempts, reply_attempts, created_at, updated_at)
    SELECT DISTINCT ON (team, channel_id, message_ts)
           ticket_id, team, channel_id, message_ts, bucket, priority, source, reactor_id,
           %(ticket_state)s, marker, 0, 0, received_at, received_at
    FROM fresh WHERE ticket_id IS NOT NULL
    ORDER BY team, channel_id, message_ts, ord
    ON CONFLICT (team, channel_id, message_ts) DO NOTHING
    RETURNING id
),
claims AS (
    SELECT fresh.*, opened.id IS NOT NULL AS won
    FROM fresh LEFT JOIN opened ON opened.id = fresh.ticket_id
    WHERE fresh.ticket_id IS NOT NULL
),
queued AS (
    INSERT INTO jobs (kind, payload, state, attempts, run_after, dedupe_key, created_at, updated_at)
    SELECT CASE WHEN won THEN opened_kind ELSE tracked_kind END,
           CASE WHEN won THEN opened_payload ELSE tracked_payload END,
           %(job_state)s, 0, received_at,
           CASE WHEN won THEN opened_dedupe_key ELSE tracked_dedupe_key END,
           received_at, received_at
    FROM claims ORDER BY ord
    ON CONFLICT (dedupe_key) DO NOTHING
)
SELECT fresh.ord, claims.won FROM fresh LEFT JOIN claims USING (ord)
"""  # noqa: S608 - no input reaches the text: values are bound, names are constants


def write_batch(cursor: Any, records: Sequence[IntakeRecord], ords: Sequence[int]) -> dict[int, bool | None]:
    """Write `records[i]` for each `i` in `ords` (distinct dedupe keys, in order).

    Returns, for each fresh delivery's index, whether it opened its ticket (None: it claims none).
    """
    rows: list[dict[str, Any]] = []
    for i in ords:
        r = records[i]
        row: dict[str, Any] = {
            "ord": i,
            "dedupe_key": r.dedupe_key,
            "kind": r.kind,
            "received_at": r.now,
            "retry_num": r.retry_num,
            "body": r.body,
        }
        c = r.ticket
        if c is not None:
            opened, tracked = c.if_opened, c.if_tracked
            row.update(
                ticket_id=c.ticket_id,
                team=c.team,
                channel_id=c.channel_id,
                message_ts=c.message_ts,
                bucket=c.bucket,
                priority=c.priority,
                source=c.source,
                reactor_id=c.reactor_id,
                marker=ticket_store.marker_for(c.ticket_id),
                opened_kind=opened.kind,
                opened_payload=job_store.encode_payload(opened.payload),
                opened_dedupe_key=opened.dedupe_key,
                tracked_kind=tracked.kind,
                tracked_payload=job_store.encode_payload(tracked.payload),
                tracked_dedupe_key=tracked.dedupe_key,
            )
        rows.append(row)
    params = {
        # Text, not bytes: psycopg would send bytes as bytea.
        "records": orjson.dumps(rows).decode(),
        "ticket_state": ticket_store.PENDING,
        "job_state": job_store.PENDING,
    }
    cursor.execute(WRITE_BATCH, params)
    return {int(ord_): won for ord_, won in cursor.fetchall()}
