"""Count stored deliveries, to check that every acked delivery was durably written."""

from dataclasses import dataclass

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

DELIVERIES_TABLE = "slack_deliveries"


@dataclass(frozen=True)
class DeliveryCount:
    """`rows` is None when the table is missing; `method` says how the rows were counted."""

    rows: int | None
    method: str


# Columns that hold the Events API event_id, most specific first (interrupt-bridge uses dedupe_key).
_EVENT_ID_COLUMNS = ("event_id", "slack_event_id", "dedupe_key")


def _event_id_column(columns: list[str]) -> str | None:
    return next((name for name in _EVENT_ID_COLUMNS if name in columns), None)


def count_deliveries(database_url: str, event_id_prefix: str | None = None) -> DeliveryCount:
    """Rows of `slack_deliveries`; only this run's rows when an event_id-like column exists.

    The match is a substring match (`%prefix%`), so a key stored as e.g. `event:Ev...` still counts.
    Filtering by the run's event_id prefix keeps the count honest on a shared PostgreSQL database
    that other test runs may write to at the same time.
    """
    engine = create_engine(database_url)
    try:
        insp = inspect(engine)
        if not insp.has_table(DELIVERIES_TABLE):
            return DeliveryCount(None, f"table {DELIVERIES_TABLE} not found")
        column = _event_id_column([c["name"] for c in insp.get_columns(DELIVERIES_TABLE)])
        with engine.connect() as conn:
            if column is not None and event_id_prefix is not None:
                # Identifiers come from a constant and the inspector; the only value is bound.
                sql = text(f"SELECT count(*) FROM {DELIVERIES_TABLE} WHERE {column} LIKE :p")  # noqa: S608
                n = conn.execute(sql, {"p": f"%{event_id_prefix}%"}).scalar_one()
                return DeliveryCount(int(n), f"rows with {column} LIKE '%{event_id_prefix}%'")
            n = conn.execute(text(f"SELECT count(*) FROM {DELIVERIES_TABLE}")).scalar_one()  # noqa: S608
            return DeliveryCount(int(n), "all rows")
    except DBAPIError as exc:
        return DeliveryCount(None, f"count failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
