"""What each weekly digest has posted so far (see `app.worker.digest`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from app.store.schema import digests
from app.store.tickets import insert_ignoring_conflicts


@dataclass(frozen=True)
class DigestRow:
    team: str
    slot: str
    channel_id: str
    message_ts: str | None
    chart_file_id: str | None


def claim(conn: Connection, team: str, slot: str, channel_id: str, *, now: float) -> DigestRow:
    """The digest's row, created on first use."""
    conn.execute(
        insert_ignoring_conflicts(conn, digests, ["team", "slot"]),
        {"team": team, "slot": slot, "channel_id": channel_id, "updated_at": now},
    )
    row = conn.execute(select(digests).where((digests.c.team == team) & (digests.c.slot == slot))).one()
    return DigestRow(row.team, row.slot, row.channel_id, row.message_ts, row.chart_file_id)


def record(conn: Connection, team: str, slot: str, *, now: float, **posted: str) -> None:
    """Record `message_ts=` or `chart_file_id=` once it is posted."""
    conn.execute(
        update(digests)
        .where((digests.c.team == team) & (digests.c.slot == slot))
        .values(updated_at=now, **posted)
    )
