"""The Jira issue description (REST v2 wiki markup) for a Slack message raised as a ticket.

Everything that comes from users (message, thread, names) passes through `wiki_escape`, so a
message cannot close our `{quote}`, open a macro, draw a table or add a link or image.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.domain.slack_text import ELLIPSIS, NO_TEXT, utf16_len

JIRA_TEXT_LIMIT = 32_767
"""Jira's limit on a rich-text field, in UTF-16 code units (Java `String.length()`)."""

# Atlassian's BackslashEscapeRendererComponent (server) and the Cloud wiki-to-ADF parser both
# treat a backslash before exactly these characters as an escape.
WIKI_SPECIAL = frozenset("-#*_+?^~|%{}[]()!@")
_ZWSP = "\u200b"
_ESCAPES = str.maketrans({ch: "\\" + ch for ch in WIKI_SPECIAL})
# Bare URLs stay unescaped so Jira still links them; the class leaves out everything that could
# start markup by itself (`[ ] { } | ! ( )` and the backslash), and trailing punctuation.
_URL = re.compile(r"(?:(?:https?|ftp)://|mailto:)[A-Za-z0-9\-._~:/?#@$&'*+,;=%]*[A-Za-z0-9\-_~/#@$&+=%]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Line-start block markup that no character escape can neutralise: `h1.` ... `h6.` and `bq.`.
_BLOCK_KEYWORD = re.compile(r"^([ \t]*)(?=h[1-6]\.|bq\.)", re.MULTILINE)
# A user backslash must not pair with the next backslash (`\\` is a line break, and `\\{` would
# un-escape our `\{`); a zero-width space keeps them apart without changing what readers see.
_LONE_BACKSLASH = re.compile(r"\\(?=\\|\Z)")
_SAFE_LINK = re.compile(r"https?://[^\s\[\]{}|!<>\"\\]+")

_DETAIL_MAX = 500
_NAME_MAX = 200
_SOURCES = {
    "reaction": "emoji reaction",
    "shortcut": "message shortcut",
    "message_shortcut": "message shortcut",
    "global_shortcut": "global shortcut",
    "slash_command": "slash command",
}


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """One message of the Slack thread, in plain text (see `slack_text.to_plain_text`)."""

    author_name: str
    text: str
    posted_at: datetime
    is_reacted_message: bool = False


def wiki_escape(text: str) -> str:
    """Make arbitrary text render literally in Jira wiki markup.

    Newlines are kept (normalised to `\\n`), control characters that Jira rejects are dropped,
    bare http(s)/ftp/mailto URLs are left intact so they are still linked.
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    parts: list[str] = []
    pos = 0
    for url in _URL.finditer(text):
        parts.append(_escape_chars(text[pos : url.start()]))
        parts.append(url.group(0))
        pos = url.end()
    parts.append(_escape_chars(text[pos:]))
    escaped = _LONE_BACKSLASH.sub("\\\\" + _ZWSP, "".join(parts))
    return _BLOCK_KEYWORD.sub(r"\1" + _ZWSP, escaped)


def _escape_chars(text: str) -> str:
    return text.translate(_ESCAPES)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + ELLIPSIS


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class _Trim:
    omitted_entries: int = 0
    message_from: int = 0
    message_to: int = 0


def build_description(
    *,
    message_text: str,
    thread: Sequence[ThreadEntry],
    requester_name: str,
    requester_email: str | None,
    reporter_is_requester: bool,
    channel_name: str,
    posted_at: datetime,
    permalink: str,
    bucket_name: str,
    reactor_name: str | None,
    source: str,
    max_chars: int = JIRA_TEXT_LIMIT,
) -> str:
    """The issue description: quoted message, thread so far (for replies), and the details table.

    `message_text` and thread texts are plain text. When the result would exceed `max_chars`
    (UTF-16 units), thread replies are dropped oldest first, then the thread's first message, then
    the message itself is shortened; a closing note says what was left out.
    """
    details = _details(
        requester_name=requester_name,
        requester_email=requester_email,
        reporter_is_requester=reporter_is_requester,
        channel_name=channel_name,
        posted_at=posted_at,
        permalink=permalink,
        bucket_name=bucket_name,
        reactor_name=reactor_name,
        source=source,
    )
    entries = sorted(thread, key=lambda e: e.posted_at)
    blocks = [_entry_block(e) for e in entries]
    # Replies go first (oldest first), the thread's opening message last: it carries the context.
    droppable = [i for i in range(1, len(entries)) if not entries[i].is_reacted_message]
    if entries and not entries[0].is_reacted_message:
        droppable.append(0)

    def render(dropped: int, message: str, trim: _Trim) -> str:
        gone = set(droppable[:dropped])
        kept = [b for i, b in enumerate(blocks) if i not in gone]
        return _assemble(message, kept if entries else None, details, trim)

    def fits(text: str) -> bool:
        return utf16_len(text) <= max_chars

    full = render(0, message_text, _Trim())
    if fits(full):
        return full
    dropped = _smallest(0, len(droppable), lambda n: fits(render(n, message_text, _Trim(omitted_entries=n))))
    if dropped is not None:
        return render(dropped, message_text, _Trim(omitted_entries=dropped))

    everything = len(droppable)

    def shortened(keep: int) -> str:
        trim = _Trim(everything, len(message_text), keep)
        return render(everything, message_text[:keep] + ELLIPSIS, trim)

    keep = _largest(0, len(message_text) - 1, lambda n: fits(shortened(n)))
    if keep is None:
        raise ValueError("the description does not fit even without the message; names are too long")
    return shortened(keep)


def _smallest(low: int, high: int, ok: Callable[[int], bool]) -> int | None:
    """Smallest n in [low, high] with ok(n), for a monotonic ok; None when there is none."""
    if not ok(high):
        return None
    while low < high:
        mid = (low + high) // 2
        if ok(mid):
            high = mid
        else:
            low = mid + 1
    return low


def _largest(low: int, high: int, ok: Callable[[int], bool]) -> int | None:
    """Largest n in [low, high] with ok(n), for an ok that holds below some bound."""
    if high < low or not ok(low):
        return None
    while low < high:
        mid = (low + high + 1) // 2
        if ok(mid):
            low = mid
        else:
            high = mid - 1
    return low


def _assemble(message: str, thread_blocks: list[str] | None, details: str, trim: _Trim) -> str:
    sections = [f"{{quote}}\n{wiki_escape(message) if message.strip() else NO_TEXT}\n{{quote}}"]
    if thread_blocks is not None:
        lines = ["h3. Thread so far"]
        if trim.omitted_entries:
            lines.append(f"_{trim.omitted_entries} earlier thread message(s) not shown._")
        lines.extend(thread_blocks)
        sections.append("\n".join(lines))
    sections.append(details)
    note = _trim_note(trim)
    if note:
        sections.append(note)
    return "\n\n".join(sections)


def _trim_note(trim: _Trim) -> str:
    done: list[str] = []
    if trim.omitted_entries:
        done.append(f"{trim.omitted_entries} thread message(s) omitted")
    if trim.message_from:
        done.append(f"the message shortened from {trim.message_from:,} to {trim.message_to:,} characters")
    if not done:
        return ""
    return f"----\n_Trimmed to fit Jira's size limit: {'; '.join(done)}. See Slack for the rest._"


def _entry_block(entry: ThreadEntry) -> str:
    author = wiki_escape(_one_line(entry.author_name, _NAME_MAX)) or "(unknown)"
    heading = f"*{author}* · {wiki_escape(_iso(entry.posted_at))}"
    if entry.is_reacted_message:
        return f"{heading} · _the message this ticket was raised from (quoted above)_"
    body = wiki_escape(entry.text) if entry.text.strip() else NO_TEXT
    return f"{heading}\n{{quote}}\n{body}\n{{quote}}"


def _details(
    *,
    requester_name: str,
    requester_email: str | None,
    reporter_is_requester: bool,
    channel_name: str,
    posted_at: datetime,
    permalink: str,
    bucket_name: str,
    reactor_name: str | None,
    source: str,
) -> str:
    requester = _one_line(requester_name, _NAME_MAX) or "(unknown)"
    if requester_email:
        requester += f" ({_one_line(requester_email, _NAME_MAX)})"
    if not reporter_is_requester:
        requester += " (reported by the bridge on their behalf)"
    rows = [
        ("Requester", _cell(requester)),
        ("Channel", _cell("#" + channel_name.lstrip("#"))),
        ("Posted", _cell(_iso(posted_at))),
        ("Slack", _link("Slack thread", permalink)),
        ("Bucket", _cell(bucket_name)),
        ("Source", _cell(_SOURCES.get(source, source.replace("_", " ")))),
    ]
    if reactor_name:
        rows.append(("Reacted by", _cell(reactor_name)))
    return "h3. Details\n" + "\n".join(f"||{name}|{value}|" for name, value in rows)


def _cell(value: str) -> str:
    # Table cells are one line: a newline would end the row.
    return wiki_escape(_one_line(value, _DETAIL_MAX)) or " "


def _link(label: str, url: str) -> str:
    if len(url) <= _DETAIL_MAX and _SAFE_LINK.fullmatch(url):
        return f"[{label}|{url}]"
    # Not a plain http(s) URL: show it as text rather than let it shape the markup.
    return _cell(url)
