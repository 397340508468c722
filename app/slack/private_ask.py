"""The "Ask privately" button under the answer to a DM, and the intake modal context it opens.

The button's value is a signed `PrivateAsk` naming the DM and the message the requester wrote, so the
modal (and the ticket) stay bound to that DM thread whatever the payload around the button says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field
from slack_sdk.models.blocks import ButtonElement

from app.slack.ids import ActionId
from app.slack.metadata import Metadata, MetadataError, decode, encode
from app.slack.modal import ModalMode
from app.slack.modal_metadata import IntakeModalMeta, IntakeSource

ASK_PRIVATELY_LABEL = "Ask privately"


class PrivateAsk(Metadata):
    """The DM (`channel`, `message_ts`) a private request is raised from, and who wrote it."""

    v: Literal[1] = 1
    kind: Literal["private_ask"] = "private_ask"
    requester: str = Field(pattern=r"^[UW][A-Z0-9]{2,}$")
    channel: str = Field(pattern=r"^D[A-Z0-9]{2,}$")
    message_ts: str = Field(pattern=r"^\d{1,12}\.\d{1,9}$")


def ask_privately_button(*, requester: str, channel: str, message_ts: str, key: bytes) -> dict[str, Any]:
    """The button, ready for an actions block."""
    value = encode(PrivateAsk(requester=requester, channel=channel, message_ts=message_ts), key=key)
    button = ButtonElement(text=ASK_PRIVATELY_LABEL, action_id=ActionId.ask_privately, value=value)
    return button.to_dict()


def private_modal_meta(
    payload: Mapping[str, Any], value: str, *, key: bytes, team: str | None, enabled: bool = True
) -> IntakeModalMeta:
    """The intake modal's context for a click on "Ask privately"; raises `MetadataError` (safe to show)
    for a tampered value or a click by someone other than the person who wrote the DM."""
    ask = decode(value, PrivateAsk, key=key)  # first: a forged value learns nothing from the next check
    if not enabled:
        raise MetadataError(
            "Private requests are turned off; please ask in the team's channel.", reason="invalid"
        )
    clicked_by = str((payload.get("user") or {}).get("id") or "")
    if clicked_by != ask.requester:
        raise MetadataError("This button belongs to someone else's conversation.", reason="invalid")
    return IntakeModalMeta(
        source="private",
        requester=ask.requester,
        channel=ask.channel,
        message_ts=ask.message_ts,
        team=team,
    )


def modal_mode(source: IntakeSource) -> ModalMode:
    """How the intake modal presents itself for what opened it."""
    if source == "edit":
        return "edit"
    return "private" if source == "private" else "raise"
