"""Block Kit for FAQ answers: under a redirect reply (with buttons), in a DM and for `/interrupt faq`.

Built with `slack_sdk.models.blocks` (its validators run in `to_dict()`); answers are template
mrkdwn, trimmed to Slack's limits. Button values are a signed `FaqChoice`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from app.config.faq import FaqEntry
from app.slack.blocks import mrkdwn_escape, trim_mrkdwn
from app.slack.ids import ActionId
from app.slack.metadata import Metadata

FAQ_BLOCK_PREFIX = "ib_faq"
"""Block ids of FAQ blocks start with this, so a refreshed redirect reply can replace them."""
ANSWER_TEXT_MAX = 1500


class FaqChoice(Metadata):
    """Which ticket and which FAQ entry a "This solved it" / "Still need help" button is about."""

    v: Literal[1] = 1
    kind: Literal["faq_choice"] = "faq_choice"
    ticket_id: str = Field(min_length=1, max_length=128)
    entry_id: str = Field(min_length=1, max_length=64)


def answer_text(entry: FaqEntry) -> str:
    title = mrkdwn_escape(entry.question)
    if entry.link:
        title = f"<{mrkdwn_escape(entry.link)}|{title}>"
    return trim_mrkdwn(f"*{title}*\n{entry.answer.strip()}", ANSWER_TEXT_MAX)


def faq_answer_blocks(
    entries: Sequence[FaqEntry],
    *,
    intro: str = ":bulb: *This may already answer it:*",
    solved_values: Sequence[str] | None = None,
    need_help_value: str | None = None,
) -> list[dict[str, Any]]:
    """The answers; with `solved_values` (one per entry) each gets a "This solved it" button, and
    `need_help_value` adds "Still need help" below them."""
    if not entries:
        return []
    blocks: list[Block] = [
        SectionBlock(block_id=f"{FAQ_BLOCK_PREFIX}:intro", text=MarkdownTextObject(text=intro))
    ]
    for index, entry in enumerate(entries):
        accessory = None
        if solved_values is not None:
            accessory = ButtonElement(
                text=PlainTextObject(text="This solved it", emoji=True),
                action_id=ActionId.faq_solved.value,
                value=solved_values[index],
                style="primary",
            )
        blocks.append(
            SectionBlock(
                block_id=f"{FAQ_BLOCK_PREFIX}:answer:{index}",
                text=MarkdownTextObject(text=answer_text(entry)),
                accessory=accessory,
            )
        )
    if need_help_value is not None:
        button = ButtonElement(
            text=PlainTextObject(text="Still need help", emoji=True),
            action_id=ActionId.faq_need_help.value,
            value=need_help_value,
        )
        blocks.append(ActionsBlock(block_id=f"{FAQ_BLOCK_PREFIX}:actions", elements=[button]))
    return [block.to_dict() for block in blocks]


def faq_resolved_blocks(entry: FaqEntry | None, user: str) -> list[dict[str, Any]]:
    """What replaces the answers once the requester said one solved it."""
    which = f" by *{mrkdwn_escape(entry.question)}*" if entry is not None else ""
    text = f":white_check_mark: <@{user}> marked this as answered{which} from the FAQ."
    block = ContextBlock(block_id=f"{FAQ_BLOCK_PREFIX}:resolved", elements=[MarkdownTextObject(text=text)])
    return [block.to_dict()]


def faq_command_text(entries: Sequence[FaqEntry], question: str) -> str:
    """`/interrupt faq <question>`: the best entries as one private message (mrkdwn)."""
    if not question.strip():
        return "Ask a question after `faq`, for example `/interrupt faq how do I connect to the VPN`."
    if not entries:
        return (
            f"No FAQ entry matches “{mrkdwn_escape(question.strip()[:200])}”. Ask in the team's support "
            "channel and the on-call person will help."
        )
    parts = [answer_text(e) for e in entries]
    return trim_mrkdwn("Closest FAQ answers:\n\n" + "\n\n".join(parts))
