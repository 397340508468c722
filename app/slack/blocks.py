"""Block Kit for the bridge's thread replies, built and validated with `slack_sdk.models.blocks`.

Builders return plain dicts ready for `chat.postMessage(blocks=...)`. Slack rejects a whole message
when one limit is exceeded, so texts from the workflow template are trimmed here, and values that
cannot be trimmed (signed button values) raise ValueError before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from app.slack.ids import ActionId
from app.slack.metadata import BUTTON_VALUE_MAX

SECTION_TEXT_MAX = 3000
"""Slack's limit on a section's text (and on any text object)."""
CONTEXT_ELEMENTS_MAX = 10
MESSAGE_BLOCKS_MAX = 50
ELLIPSIS = "…"

_LINK = re.compile(r"<((?:https?|mailto):[^|<>]*)(?:\|([^<>]*))?>")


def mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves, for names and other data."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def trim_mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> str:
    """Shorten mrkdwn to `limit` characters with `…`, never inside a `<...>` token or an entity."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    token_start = head.rfind("<")
    if token_start > head.rfind(">"):
        head = head[:token_start]
    entity_start = head.rfind("&")
    if entity_start != -1 and ";" not in head[entity_start:] and len(head) - entity_start < len("&amp;"):
        head = head[:entity_start]
    space = head.rfind(" ")
    # Prefer a word boundary, unless it would throw away more than a fifth of the room.
    if space >= len(head) * 4 // 5:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def redirect_blocks(
    *,
    text: str,
    ticket_key: str,
    ticket_url: str,
    bucket_name: str,
    priority: str,
    edit_value: str,
    extra_context: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The reply that points a requester to their ticket.

    `text` is the formatted template message (mrkdwn); `extra_context` items are mrkdwn lines shown
    under it, next to the bucket and priority. `edit_value` is the signed `TicketRef` for the
    "Edit details" button.
    """
    if len(edit_value) > BUTTON_VALUE_MAX:
        raise ValueError(f"edit_value is {len(edit_value)} characters; Slack allows {BUTTON_VALUE_MAX}")
    link = f"<{mrkdwn_escape(ticket_url)}|{mrkdwn_escape(ticket_key)}>"
    if not text.strip():
        text = f"Tracked as {link}."
    elif len(text) > SECTION_TEXT_MAX and ticket_url in text:
        # The link to the ticket is the point of the reply: keep it when the text must be cut.
        trimmed = trim_mrkdwn(text, SECTION_TEXT_MAX - len(link) - 1)
        text = trimmed if ticket_url in trimmed else f"{trimmed} {link}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=trim_mrkdwn(text)))]
    context = [f"*Bucket:* {mrkdwn_escape(bucket_name)} · *Priority:* {mrkdwn_escape(priority)}"]
    context.extend(line for line in extra_context if line.strip())
    for start in range(0, len(context), CONTEXT_ELEMENTS_MAX):
        chunk = context[start : start + CONTEXT_ELEMENTS_MAX]
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=trim_mrkdwn(line)) for line in chunk]))
    button = ButtonElement(
        text=PlainTextObject(text="Edit details", emoji=True),
        action_id=ActionId.edit_details.value,
        value=edit_value,
    )
    blocks.append(ActionsBlock(elements=[button]))
    return _to_dicts(blocks)


def redirect_fallback_text(*, text: str, ticket_key: str, ticket_url: str) -> str:
    """The message's top-level `text`: shown in notifications and read by screen readers.

    Links become their labels (a notification shows no link targets); mentions are kept, Slack
    renders them. The ticket key is always present.
    """
    plain = _LINK.sub(lambda m: m.group(2) or m.group(1), text).strip()
    if not plain:
        return f"Tracked as {ticket_key}: {ticket_url}"
    if ticket_key not in plain:
        plain = f"{plain} ({ticket_key})"
    return trim_mrkdwn(plain)


def already_tracked_blocks(text: str) -> list[dict[str, Any]]:
    """The reply when a message that already has a ticket is raised again."""
    if not text.strip():
        text = "This message is already tracked."
    return _to_dicts([SectionBlock(text=MarkdownTextObject(text=trim_mrkdwn(text)))])


def _to_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        raise ValueError(f"{len(blocks)} blocks; Slack allows {MESSAGE_BLOCKS_MAX} in a message")
    # to_dict() runs slack_sdk's own validators (lengths, required fields) and raises on violations.
    return [block.to_dict() for block in blocks]
