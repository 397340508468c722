from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from app.sandbox.http_fake import FakeRequest
from app.slack.blocks import (
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    already_tracked_blocks,
    mrkdwn_escape,
    redirect_blocks,
    redirect_fallback_text,
    trim_mrkdwn,
)
from app.slack.ids import ActionId, CallbackId
from app.slack.metadata import TicketRef, encode
from tests.specs.slack_spec import slack_checker_or_none

URL = "https://acme.atlassian.net/browse/OPS-123"
TEXT = f":ticket: Thanks <@U1>! This is tracked as *<{URL}|OPS-123>* (Network, priority High)."
EDIT_VALUE = encode(
    TicketRef(ticket_id="7", channel="C0123ABCD", message_ts="1714557600.000100"), key=b"k" * 32
)


def redirect(**overrides: Any) -> list[dict[str, Any]]:
    args: dict[str, Any] = {
        "text": TEXT,
        "ticket_key": "OPS-123",
        "ticket_url": URL,
        "bucket_name": "Network",
        "priority": "High",
        "edit_value": EDIT_VALUE,
    }
    args.update(overrides)
    return redirect_blocks(**args)


def assert_slack_shaped(blocks: list[dict[str, Any]]) -> None:
    """What chat.postMessage accepts: a JSON list of at most 50 objects with a `type`,
    each of which slack_sdk parses back into the same block."""
    assert isinstance(blocks, list)
    assert 0 < len(blocks) <= MESSAGE_BLOCKS_MAX
    for block in blocks:
        assert isinstance(block, dict)
        assert isinstance(block["type"], str)
        parsed = Block.parse(block)
        assert parsed is not None
        assert parsed.to_dict() == block
    assert json.loads(json.dumps(blocks)) == blocks


class TestRedirectBlocks:
    def test_shape(self) -> None:
        blocks = redirect()
        assert_slack_shaped(blocks)
        assert [b["type"] for b in blocks] == ["section", "context", "actions"]
        assert blocks[0]["text"] == {"type": "mrkdwn", "text": TEXT}
        assert blocks[1]["elements"] == [{"type": "mrkdwn", "text": "*Bucket:* Network · *Priority:* High"}]
        (button,) = blocks[2]["elements"]
        assert button["type"] == "button"
        assert button["action_id"] == ActionId.edit_details.value == "ib_edit_details"
        assert button["value"] == EDIT_VALUE
        assert button["text"] == {"type": "plain_text", "text": "Edit details", "emoji": True}

    def test_context_data_is_escaped(self) -> None:
        blocks = redirect(bucket_name="R&D <ops>", priority="<!here>")
        assert blocks[1]["elements"][0]["text"] == "*Bucket:* R&amp;D &lt;ops&gt; · *Priority:* &lt;!here&gt;"

    def test_extra_context_lines(self) -> None:
        blocks = redirect(extra_context=["On call: <@U2>", "  ", "SLA: 4h"])
        texts = [e["text"] for e in blocks[1]["elements"]]
        assert texts == ["*Bucket:* Network · *Priority:* High", "On call: <@U2>", "SLA: 4h"]
        assert_slack_shaped(blocks)

    def test_context_elements_split_at_ten(self) -> None:
        blocks = redirect(extra_context=[f"line {i}" for i in range(9)])
        assert [b["type"] for b in blocks] == ["section", "context", "actions"]
        assert len(blocks[1]["elements"]) == 10
        blocks = redirect(extra_context=[f"line {i}" for i in range(25)])
        assert [b["type"] for b in blocks] == ["section", "context", "context", "context", "actions"]
        assert [len(b["elements"]) for b in blocks[1:4]] == [10, 10, 6]
        assert_slack_shaped(blocks)

    def test_fifty_block_limit(self) -> None:
        most = (MESSAGE_BLOCKS_MAX - 2) * 10 - 1  # extra lines that still fit in 48 context blocks
        assert len(redirect(extra_context=["x"] * most)) == MESSAGE_BLOCKS_MAX
        with pytest.raises(ValueError, match="50"):
            redirect(extra_context=["x"] * (most + 1))

    def test_long_text_trimmed_but_keeps_the_ticket_link(self) -> None:
        text = "word " * 1000 + f"tracked as <{URL}|OPS-123>"
        section = redirect(text=text)[0]["text"]["text"]
        assert len(section) <= SECTION_TEXT_MAX
        assert section.endswith(f"… <{URL}|OPS-123>")

    def test_long_text_with_link_early_is_just_trimmed(self) -> None:
        text = f"tracked as <{URL}|OPS-123> " + "word " * 1000
        section = redirect(text=text)[0]["text"]["text"]
        assert len(section) <= SECTION_TEXT_MAX
        assert section.startswith(f"tracked as <{URL}|OPS-123> word")
        assert section.endswith("word…")
        assert section.count(URL) == 1

    def test_text_at_limit_untouched(self) -> None:
        text = "x" * SECTION_TEXT_MAX
        assert redirect(text=text)[0]["text"]["text"] == text

    def test_blank_text_falls_back_to_the_link(self) -> None:
        assert redirect(text="  ")[0]["text"]["text"] == f"Tracked as <{URL}|OPS-123>."

    def test_edit_value_limit(self) -> None:
        assert redirect(edit_value="v" * 2000)[2]["elements"][0]["value"] == "v" * 2000
        with pytest.raises(ValueError, match="2000"):
            redirect(edit_value="v" * 2001)

    def test_passes_the_chat_post_message_spec(self) -> None:
        checker = slack_checker_or_none()
        if checker is None:
            pytest.skip("shared Slack specs missing")
        blocks = redirect(extra_context=["SLA: 4h"])
        body = {
            "channel": "C0123ABCD",
            "thread_ts": "1714557600.000100",
            "text": redirect_fallback_text(text=TEXT, ticket_key="OPS-123", ticket_url=URL),
            "blocks": blocks,
        }
        request = FakeRequest(
            method="POST",
            path="/api/chat.postMessage",
            query={},
            headers={"content-type": "application/json; charset=utf-8"},
            body=json.dumps(body).encode(),
        )
        assert checker(request) == []


class TestTrimMrkdwn:
    def test_short_text_untouched(self) -> None:
        assert trim_mrkdwn("hello", 5) == "hello"

    def test_never_cuts_inside_a_token(self) -> None:
        text = "a" * 90 + f" <{URL}|OPS-123> tail"
        out = trim_mrkdwn(text, 100)
        assert out == "a" * 90 + "…"

    def test_never_cuts_inside_an_entity(self) -> None:
        out = trim_mrkdwn("abcdefgh &amp; more text", 12)
        assert "&am" not in out
        assert out == "abcdefgh…"

    def test_prefers_word_boundary(self) -> None:
        assert trim_mrkdwn("alpha beta gamma delta", 19) == "alpha beta gamma…"

    def test_long_word_cut_hard(self) -> None:
        assert trim_mrkdwn("x" * 50, 10) == "x" * 9 + "…"

    def test_mrkdwn_escape(self) -> None:
        assert mrkdwn_escape("a & <b> &amp;") == "a &amp; &lt;b&gt; &amp;amp;"


class TestFallbackText:
    def test_links_become_labels_and_mentions_stay(self) -> None:
        assert redirect_fallback_text(text=TEXT, ticket_key="OPS-123", ticket_url=URL) == (
            ":ticket: Thanks <@U1>! This is tracked as *OPS-123* (Network, priority High)."
        )

    def test_key_added_when_missing(self) -> None:
        out = redirect_fallback_text(text="Thanks! <https://x.io>", ticket_key="OPS-1", ticket_url=URL)
        assert out == "Thanks! https://x.io (OPS-1)"

    def test_blank(self) -> None:
        assert (
            redirect_fallback_text(text="", ticket_key="OPS-1", ticket_url=URL) == f"Tracked as OPS-1: {URL}"
        )

    def test_long(self) -> None:
        out = redirect_fallback_text(text="OPS-1 " + "y" * 10_000, ticket_key="OPS-1", ticket_url=URL)
        assert len(out) <= SECTION_TEXT_MAX


class TestAlreadyTracked:
    def test_shape(self) -> None:
        text = f"This message is already tracked as <{URL}|OPS-123>."
        blocks = already_tracked_blocks(text)
        assert blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        assert_slack_shaped(blocks)

    def test_trimmed_and_blank(self) -> None:
        assert len(already_tracked_blocks("z " * 4000)[0]["text"]["text"]) <= SECTION_TEXT_MAX
        assert already_tracked_blocks(" ")[0]["text"]["text"] == "This message is already tracked."


class TestIds:
    @pytest.mark.parametrize("enum", [ActionId, CallbackId])
    def test_values_unique_and_within_slack_limits(self, enum: type[ActionId] | type[CallbackId]) -> None:
        values = [member.value for member in enum]
        assert len(set(values)) == len(values)
        assert all(0 < len(v) <= 255 for v in values)

    def test_published_values(self) -> None:
        # These are stored in old messages and the app manifest: changing one breaks them.
        assert ActionId.edit_details.value == "ib_edit_details"
        assert CallbackId.raise_interrupt_message.value == "raise_interrupt"
        assert CallbackId.raise_interrupt_global.value == "raise_interrupt_global"
        assert CallbackId.intake_modal.value == "ib_intake_modal"
        assert CallbackId.edit_modal.value == "ib_edit_modal"
        assert f"{ActionId.faq_solved}" == ActionId.faq_solved.value
