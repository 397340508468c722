from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.description import JIRA_TEXT_LIMIT, WIKI_SPECIAL, ThreadEntry, build_description, wiki_escape
from app.domain.slack_text import utf16_len

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
ZWSP = "\u200b"
# The same bare-URL shape the escaper leaves alone; everything else must be inert.
URL_RUN = re.compile(r"(?:(?:https?|ftp)://|mailto:)[A-Za-z0-9\-._~:/?#@$&'*+,;=%]*[A-Za-z0-9\-_~/#@$&+=%]")


def literal(escaped: str) -> str:
    """What Jira shows for escaped text: `\\X` is X for special X; the zero-width spaces are invisible."""
    return re.sub(r"\\([" + re.escape("".join(WIKI_SPECIAL)) + "])", r"\1", escaped).replace(ZWSP, "")


def live_markup(escaped: str) -> list[str]:
    """Problems Jira's renderer would turn into markup, following its escape rule.

    Atlassian's rule: a backslash escapes the next special character unless the backslash itself
    follows a backslash; and `\\\\` is a forced line break.
    """
    problems: list[str] = []
    masked = URL_RUN.sub(lambda m: "u" * len(m.group(0)), escaped)
    for i, ch in enumerate(masked):
        if ch in WIKI_SPECIAL:
            escaped_here = i >= 1 and masked[i - 1] == "\\" and (i < 2 or masked[i - 2] != "\\")
            if not escaped_here:
                problems.append(f"live {ch!r} at {i}")
    if "\\\\" in escaped:
        problems.append("forced line break")
    if re.search(r"^[ \t]*(h[1-6]\.|bq\.)", escaped, re.MULTILINE):
        problems.append("block keyword at line start")
    return problems


def describe(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "message_text": "The VPN is down for everyone in Berlin.",
        "thread": [],
        "requester_name": "Alice Liddell",
        "requester_email": "alice@example.com",
        "reporter_is_requester": True,
        "channel_name": "platform-help",
        "posted_at": T0,
        "permalink": "https://acme.slack.com/archives/C0123ABC/p1714557600000100",
        "bucket_name": "Network",
        "reactor_name": "Bob Builder",
        "source": "reaction",
    }
    args.update(overrides)
    return build_description(**args)


def live_macros(description: str, name: str) -> int:
    return len(re.findall(r"(?<!\\)\{" + name + r"\}", description))


class TestWikiEscape:
    @pytest.mark.parametrize(
        "attack",
        [
            "{quote}\nh1. owned\n{quote}",
            "{html}<script>alert(1)</script>{html}",
            "{code}x{code} {noformat} {panel:title=x}",
            "[click me|https://evil.example/login]",
            "[~accountid:5b10ac8d82e05b22cc7d4ef5]",
            "!https://evil.example/pixel.png!",
            "||head||\n|cell|cell|",
            "h1. Heading\n  h3. indented\nbq. quote",
            "---- \n* bullet\n# numbered\n- dash",
            "*bold* _it_ +ins+ -del- ^sup^ ~sub~ ??cite?? {{mono}}",
            "\\{quote}",
            "\\\\{quote}",
            "line\\\\break",
            "ends with backslash \\",
            "\\[x|https://evil]",
            "(x) (!) :) {color:red}red{color}",
        ],
    )
    def test_attacks_are_inert(self, attack: str) -> None:
        escaped = wiki_escape(attack)
        assert live_markup(escaped) == []
        assert literal(escaped) == attack

    def test_urls_stay_linkable(self) -> None:
        url = "https://example.com/a_b-c/~d?e=1&f=%20+g#frag-1"
        assert wiki_escape(f"see {url} now") == f"see {url} now"
        assert wiki_escape("mail mailto:ops@example.com") == "mail mailto:ops@example.com"

    def test_url_runs_stop_at_markup_characters(self) -> None:
        escaped = wiki_escape("https://x.io/a|b]c{d}!e(f)")
        assert escaped == "https://x.io/a\\|b\\]c\\{d\\}\\!e\\(f\\)"
        assert live_markup(escaped) == []

    def test_trailing_punctuation_is_not_part_of_the_url(self) -> None:
        assert wiki_escape("(see https://x.io/docs)?") == "\\(see https://x.io/docs\\)\\?"

    def test_backslash_before_url_is_harmless(self) -> None:
        escaped = wiki_escape("\\https://x.io")
        assert literal(escaped) == "\\https://x.io"

    def test_newlines_normalised_and_control_characters_dropped(self) -> None:
        assert wiki_escape("a\r\nb\rc\x00d\x07e\tf\x7f") == "a\nb\ncde\tf"

    def test_plain_text_untouched(self) -> None:
        assert wiki_escape("Grüße 日本語 🎉 ok.") == "Grüße 日本語 🎉 ok."
        assert wiki_escape("") == ""

    @given(st.text(alphabet=st.sampled_from(sorted(WIKI_SPECIAL) + list("\\ \nabh1q.:/s")), max_size=80))
    def test_anything_round_trips_and_stays_inert(self, text: str) -> None:
        escaped = wiki_escape(text)
        assert live_markup(escaped) == []
        assert literal(escaped) == text

    @given(st.text(max_size=200))
    def test_arbitrary_unicode_round_trips(self, text: str) -> None:
        text = text.replace(ZWSP, "")  # the oracle cannot tell the user's from ours
        expected = re.sub(
            r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text.replace("\r\n", "\n").replace("\r", "\n")
        )
        assert literal(wiki_escape(text)) == expected


class TestBuildDescription:
    def test_message_is_quoted_and_escaped(self) -> None:
        text = describe(message_text="Please fix {quote}this{quote} [now|https://evil]")
        assert text.startswith(
            "{quote}\nPlease fix \\{quote\\}this\\{quote\\} \\[now\\|https://evil\\]\n{quote}"
        )
        assert live_macros(text, "quote") == 2

    def test_details(self) -> None:
        text = describe()
        assert "h3. Details" in text
        assert "||Requester|Alice Liddell \\(alice\\@example.com\\)|" in text
        assert "reported by the bridge" not in text
        assert "||Channel|\\#platform\\-help|" in text
        assert "||Posted|2024\\-05\\-01T10:00:00Z|" in text
        assert "||Slack|[Slack thread|https://acme.slack.com/archives/C0123ABC/p1714557600000100]|" in text
        assert "||Bucket|Network|" in text
        assert "||Source|emoji reaction|" in text
        assert "||Reacted by|Bob Builder|" in text
        assert "Thread so far" not in text

    def test_reported_on_behalf_and_without_email(self) -> None:
        text = describe(requester_email=None, reporter_is_requester=False)
        assert "||Requester|Alice Liddell \\(reported by the bridge on their behalf\\)|" in text

    @pytest.mark.parametrize(
        ("source", "shown"),
        [
            ("reaction", "emoji reaction"),
            ("shortcut", "message shortcut"),
            ("slash_command", "slash command"),
        ],
    )
    def test_sources(self, source: str, shown: str) -> None:
        assert f"||Source|{shown}|" in describe(source=source, reactor_name=None)

    def test_no_reactor_row_without_reactor(self) -> None:
        assert "Reacted by" not in describe(reactor_name=None, source="slash_command")

    def test_time_is_converted_to_utc(self) -> None:
        berlin = timezone(timedelta(hours=2))
        text = describe(posted_at=datetime(2024, 5, 1, 12, 30, 5, tzinfo=berlin))
        assert "||Posted|2024\\-05\\-01T10:30:05Z|" in text

    def test_naive_time_rejected(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            describe(posted_at=datetime(2024, 5, 1, 10, 0))

    @pytest.mark.parametrize(
        "permalink",
        ["https://x.slack.com/a]|[evil|https://evil]", "javascript:alert(1)", "https://x.io/{code}"],
    )
    def test_unsafe_permalink_is_text_not_link(self, permalink: str) -> None:
        text = describe(permalink=permalink)
        row = next(line for line in text.splitlines() if line.startswith("||Slack|"))
        assert "[Slack thread|" not in row
        assert live_markup(row.removeprefix("||Slack|").removesuffix("|")) == []

    def test_user_controlled_details_are_escaped(self) -> None:
        text = describe(
            requester_name="Mallory|[x|https://evil]",
            channel_name="a{quote}b",
            bucket_name="*bold*\nh1. x",
            reactor_name="!img.png!",
        )
        for line in text.splitlines():
            if line.startswith("||"):
                cell = line.split("|", 3)[3].removesuffix("|")
                if not cell.startswith("[Slack thread|"):
                    assert live_markup(cell) == [], line
        assert live_macros(text, "quote") == 2

    def test_thread_for_replies(self) -> None:
        thread = [
            ThreadEntry(
                "Bob Builder", "is it *only* me?", T0 + timedelta(minutes=1), is_reacted_message=True
            ),
            ThreadEntry("Carol", "VPN down?\n{quote}", T0),
            ThreadEntry("Dave", "same here", T0 + timedelta(minutes=2)),
        ]
        text = describe(thread=thread, message_text="is it *only* me?")
        section = text.split("h3. Thread so far\n", 1)[1].split("\n\nh3. Details", 1)[0]
        assert section.index("*Carol*") < section.index("*Bob Builder*") < section.index("*Dave*")
        assert (
            "*Bob Builder* · 2024\\-05\\-01T10:01:00Z · _the message this ticket was raised from" in section
        )
        assert "VPN down\\?\n\\{quote\\}" in section
        assert "same here" in section
        # The reacted message is quoted once, at the top, not again in the thread.
        assert text.count("only\\* me\\?") == 1
        assert live_macros(text, "quote") == 2 + 2 * 2

    def test_empty_texts(self) -> None:
        thread = [ThreadEntry("", "   ", T0)]
        text = describe(message_text="", thread=thread, requester_name="")
        assert text.startswith("{quote}\n(no text)\n{quote}")
        assert "*(unknown)* · " in text
        assert "||Requester|\\(unknown\\) \\(alice\\@example.com\\)|" in text

    def test_naive_thread_time_rejected(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            describe(thread=[ThreadEntry("x", "y", datetime(2024, 1, 1))])


class TestTrimming:
    def _thread(self, replies: int, size: int) -> list[ThreadEntry]:
        entries = [ThreadEntry("Parent", "PARENT " + "p" * size, T0)]
        entries += [
            ThreadEntry(f"R{i}", f"REPLY{i:03d} " + "r" * size, T0 + timedelta(minutes=i + 1))
            for i in range(replies)
        ]
        entries.append(ThreadEntry("Me", "msg", T0 + timedelta(hours=5), is_reacted_message=True))
        return entries

    def test_small_description_is_not_trimmed(self) -> None:
        text = describe(thread=self._thread(3, 100))
        assert "Trimmed" not in text
        assert "not shown" not in text

    def test_oldest_replies_dropped_first(self) -> None:
        text = describe(thread=self._thread(10, 5000))
        assert utf16_len(text) <= JIRA_TEXT_LIMIT
        kept = [i for i in range(10) if f"REPLY{i:03d}" in text]
        assert kept == list(range(10 - len(kept), 10))
        assert 0 < len(kept) < 10
        assert "PARENT" in text
        assert f"{10 - len(kept)} thread message(s) omitted" in text
        assert f"_{10 - len(kept)} earlier thread message(s) not shown._" in text
        assert "the message shortened" not in text
        assert text.startswith("{quote}\nThe VPN is down")

    def test_parent_dropped_after_all_replies(self) -> None:
        text = describe(thread=self._thread(3, 5000), max_chars=9000)
        assert utf16_len(text) <= 9000
        assert "PARENT" in text
        text = describe(thread=self._thread(3, 5000), max_chars=3000)
        assert "PARENT" not in text
        assert "REPLY" not in text
        assert "4 thread message(s) omitted" in text
        assert "*Me* · " in text

    def test_message_shortened_last(self) -> None:
        message = "start " + "m" * 50_000 + " end"
        text = describe(message_text=message, thread=self._thread(2, 100))
        assert utf16_len(text) <= JIRA_TEXT_LIMIT
        assert utf16_len(text) > JIRA_TEXT_LIMIT - 200  # kept as much as fits
        assert "{quote}\nstart mmm" in text
        assert " end" not in text
        assert "mmm…\n{quote}" in text
        assert "3 thread message(s) omitted" in text
        assert f"the message shortened from {len(message):,} to " in text
        assert "h3. Details" in text
        assert live_macros(text, "quote") == 2

    def test_escaping_growth_counts_towards_the_limit(self) -> None:
        text = describe(message_text="{" * 30_000)
        assert utf16_len(text) <= JIRA_TEXT_LIMIT
        assert "the message shortened from 30,000 to " in text
        assert live_macros(text, "quote") == 2

    def test_astral_characters_count_twice(self) -> None:
        text = describe(message_text="🎉" * 20_000)
        assert utf16_len(text) <= JIRA_TEXT_LIMIT
        assert "the message shortened" in text

    def test_cut_after_backslash_cannot_escape_the_closing_quote(self) -> None:
        for limit in range(700, 760):
            text = describe(message_text="\\" * 2000, max_chars=limit)
            assert utf16_len(text) <= limit
            assert live_macros(text, "quote") == 2
            assert "\\\\" not in text

    def test_impossible_limit_raises(self) -> None:
        with pytest.raises(ValueError, match="does not fit"):
            describe(max_chars=50)
