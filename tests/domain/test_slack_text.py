from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.slack_text import (
    mentioned_channel_ids,
    mentioned_user_ids,
    summary_from_text,
    to_plain_text,
    unescape,
    utf16_len,
)

USERS = {"U1": "Alice Liddell", "W2": "Bob Builder"}
CHANNELS = {"C2": "random"}


def plain(text: str) -> str:
    return to_plain_text(text, user_names=USERS, channel_names=CHANNELS)


class TestMentions:
    def test_user_ids_with_and_without_label(self) -> None:
        text = "hi <@U1> and <@W2|bob>, cc <@U1> and <@U3ABC|carol>"
        assert mentioned_user_ids(text) == {"U1", "W2", "U3ABC"}

    def test_user_ids_ignore_non_mentions(self) -> None:
        assert mentioned_user_ids("<#C1> <!here> <https://x> @U1 <@lowercase> <@U1") == set()

    def test_channel_ids_only_without_label(self) -> None:
        assert mentioned_channel_ids("<#C1|general> <#C2> <#G3|> <#D4>") == {"C2", "G3", "D4"}

    def test_no_mentions_in_empty_text(self) -> None:
        assert mentioned_user_ids("") == set()
        assert mentioned_channel_ids("") == set()


class TestToPlainText:
    @pytest.mark.parametrize(
        ("mrkdwn", "expected"),
        [
            ("<@U1> please", "@Alice Liddell please"),
            ("<@U9>", "@U9"),
            ("<@U9|carol>", "@carol"),
            ("<@W2|bob>", "@Bob Builder"),
            ("<#C1|general>", "#general"),
            ("<#C2>", "#random"),
            ("<#C2|>", "#random"),
            ("<#C7>", "#C7"),
            ("<!subteam^S1|@platform-oncall>", "@platform-oncall"),
            ("<!subteam^S1|ops>", "@ops"),
            ("<!subteam^S1>", "@S1"),
            ("<!here>", "@here"),
            ("<!here|here>", "@here"),
            ("<!channel>", "@channel"),
            ("<!everyone>", "@everyone"),
            ("<!date^1392734382^{date} at {time}|Feb 18, 2014>", "Feb 18, 2014"),
            ("<!date^1392734382^{date}^https://x.io|Feb 18>", "Feb 18"),
            ("<!date^1392734382^{date}>", "2014-02-18 14:39 UTC"),
            ("<https://x.io|the docs>", "the docs (https://x.io)"),
            ("<https://x.io>", "https://x.io"),
            ("<https://x.io|https://x.io>", "https://x.io"),
            ("<mailto:a@b.io|a@b.io>", "a@b.io"),
            ("<mailto:a@b.io>", "a@b.io"),
            ("<mailto:a@b.io|write to us>", "write to us (a@b.io)"),
            ("<https://x.io/?a=1&amp;b=2|A &amp; B>", "A & B (https://x.io/?a=1&b=2)"),
        ],
    )
    def test_tokens(self, mrkdwn: str, expected: str) -> None:
        assert plain(mrkdwn) == expected

    def test_names_are_inserted_verbatim(self) -> None:
        # A display name is not mrkdwn: its `&amp;` must not be unescaped.
        assert to_plain_text("<@U1>", user_names={"U1": "R&amp;D"}) == "@R&amp;D"

    def test_entities_unescaped_after_links(self) -> None:
        # What the user typed as `<https://evil|x>` arrives escaped and must stay literal text.
        assert plain("&lt;https://evil|click&gt;") == "<https://evil|click>"
        assert plain("a &amp;&amp; b &lt; c &gt; d") == "a && b < c > d"

    def test_unescape_is_single_pass(self) -> None:
        assert unescape("&amp;lt;") == "&lt;"
        assert plain("&amp;lt;@U1&amp;gt;") == "&lt;@U1&gt;"

    @pytest.mark.parametrize(
        ("mrkdwn", "expected"),
        [
            ("<<@U1>>", "<@Alice Liddell>"),
            ("<@U1", "<@U1"),
            ("@U1>", "@U1>"),
            ("<>", "<>"),
            ("<not a token>", "<not a token>"),
            ("<|label>", "<|label>"),
            ("<@>", "<@>"),
            ("<#>", "<#>"),
            ("<!unknown|fallback>", "fallback"),
            ("<!unknown>", "unknown"),
            ("a <b <@U1> c> d", "a <b @Alice Liddell c> d"),
        ],
    )
    def test_malformed_and_nested(self, mrkdwn: str, expected: str) -> None:
        assert plain(mrkdwn) == expected

    def test_unicode_and_multiline_text_preserved(self) -> None:
        text = "Grüße <@U1> 🎉\n\n日本語 <#C2>\n"
        assert plain(text) == "Grüße @Alice Liddell 🎉\n\n日本語 #random\n"

    def test_empty(self) -> None:
        assert plain("") == ""

    @given(st.text(alphabet=st.sampled_from("ab &;<>|@#!^:/ltgamp\n"), max_size=60))
    def test_never_raises_and_never_invents_tokens(self, text: str) -> None:
        out = to_plain_text(text, user_names={})
        # Text without angle brackets has nothing to parse; only entities change.
        if "<" not in text:
            assert out == unescape(text)


class TestSummary:
    def test_first_non_blank_line_with_whitespace_collapsed(self) -> None:
        assert summary_from_text("\n  \n  VPN   is\tdown  \nsecond line") == "VPN is down"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("*Deploy* is _stuck_ on ~staging~", "Deploy is stuck on staging"),
            ("run `make deploy` please", "run make deploy please"),
            ("```\nkubectl get pods\n```", "kubectl get pods"),
            ("```kubectl get pods```", "kubectl get pods"),
            ("_*urgent*_ fix", "urgent fix"),
            ("*_urgent_* fix", "urgent fix"),
            ("snake_case_name stays", "snake_case_name stays"),
            ("2 * 3 * 4 = 24", "2 * 3 * 4 = 24"),
            ("a*b*c", "a*b*c"),
            ("~/path/to ~ file", "~/path/to ~ file"),
            ("* not bold *", "* not bold *"),
        ],
    )
    def test_markers_stripped_only_where_they_wrap_words(self, text: str, expected: str) -> None:
        assert summary_from_text(text) == expected

    @pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n", "``````", "```\n```"])
    def test_empty_becomes_placeholder(self, text: str) -> None:
        assert summary_from_text(text) == "(no text)"

    def test_exactly_at_limit_is_untouched(self) -> None:
        text = "word " * 50 + "abcd"  # 254 characters
        text = text + "e"
        assert len(text) == 255
        assert summary_from_text(text) == text

    def test_one_over_limit_is_cut_at_word_boundary(self) -> None:
        text = "word " * 51 + "x"  # 256 characters
        out = summary_from_text(text)
        assert out == ("word " * 51).rstrip() + "…"
        assert len(out) == 255

    def test_cut_inside_a_word_backs_off_to_the_previous_word(self) -> None:
        out = summary_from_text("abcdefg " * 40)  # the 255th character is inside a word
        assert out == ("abcdefg " * 31).rstrip() + "…"

    def test_single_long_word_cut_hard(self) -> None:
        out = summary_from_text("x" * 1000)
        assert out == "x" * 254 + "…"

    def test_long_word_after_short_prefix_is_cut_hard(self) -> None:
        out = summary_from_text("see " + "y" * 1000)
        assert out == ("see " + "y" * 1000)[:254] + "…"

    def test_custom_limit(self) -> None:
        assert summary_from_text("alpha beta gamma", limit=12) == "alpha beta…"
        assert summary_from_text("alpha beta gamma", limit=1) == "…"
        with pytest.raises(ValueError, match="limit"):
            summary_from_text("x", limit=0)

    def test_astral_characters_count_as_jira_counts_them(self) -> None:
        out = summary_from_text("🎉" * 300)
        assert utf16_len(out) <= 255
        assert out == "🎉" * 127 + "…"

    @given(st.text(max_size=600), st.integers(min_value=1, max_value=300))
    def test_never_exceeds_limit_and_is_one_line(self, text: str, limit: int) -> None:
        out = summary_from_text(text, limit=limit)
        assert 0 < utf16_len(out) <= limit
        assert "\n" not in out
        assert out == out.strip() or out == "…"
