"""What every button and shortcut handler does around its own logic: find the channel it was clicked
in, load the ticket a button names, open a view, and tell the clicker privately when it cannot.

Telling is best effort (an ephemeral message cannot be retried usefully, and a failure must not turn
the delivery into a 5xx); a view Slack refuses to open is acknowledged too, as a retry of the same
delivery carries the same, already spent `trigger_id`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from app.domain.errors import ExternalError, PermanentError
from app.domain.ports import Chat
from app.store import tickets as ticket_store

log = logging.getLogger(__name__)

EXPIRED_TRIGGER_TEXT = (
    "Slack took too long to open the form (its trigger expires after 3 seconds). Please try again."
)
COULD_NOT_OPEN_TEXT = "Slack would not open the form for this request. Please try again."


def action_channel(payload: Mapping[str, Any]) -> str:
    """The channel of the message a button was clicked in ("" for a button in a view)."""
    return str(
        (payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get("channel_id") or ""
    )


def load_ticket(engine: Engine, ticket_id: str) -> ticket_store.Ticket | None:
    """Blocking: call it with `asyncio.to_thread`."""
    with engine.connect() as conn:
        return ticket_store.get_ticket(conn, ticket_id)


async def tell_privately(
    chat: Chat, channel: str, user: str, text: str, *, thread_ts: str | None = None
) -> None:
    """An ephemeral message to `user`, best effort (nothing without a channel)."""
    if not channel:
        return
    try:
        await chat.post_ephemeral(channel, user, text, thread_ts)
    except ExternalError as exc:  # telling the user is best effort; the log keeps the reason
        log.warning("could not post ephemeral", extra={"error": str(exc)})


async def open_view_or_tell(
    chat: Chat, trigger_id: str, view: dict[str, Any], *, user: str, channel: str | None
) -> None:
    """`views.open`; if Slack refuses the trigger (expired, used, missing or malformed), log it and
    tell the user in `channel` instead of failing the delivery."""
    try:
        await chat.open_view(trigger_id, view)
    except PermanentError as exc:
        expired = "expired_trigger_id" in str(exc) or "exchanged_trigger_id" in str(exc)
        log.warning(
            "trigger expired before views.open" if expired else "views.open refused",
            extra={"slack.user_id": user, "error": str(exc)},
        )
        await tell_privately(
            chat, channel or "", user, EXPIRED_TRIGGER_TEXT if expired else COULD_NOT_OPEN_TEXT
        )
