"""Slack mrkdwn as it arrives in events, turned into plain text fit for a Jira ticket.

Slack escapes `&`, `<` and `>` in message text and uses `<...>` only for its own tokens (mentions,
links, dates), so a token never contains `<` or `>`. Entities are unescaped only in literal text
and labels, after the tokens are parsed, so a user-typed `&lt;https://x&gt;` stays literal text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

_TOKEN = re.compile(r"<([^<>]*)>")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_UNLABELLED_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)\|?>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_BROADCASTS = frozenset({"here", "channel", "everyone"})

NO_TEXT = "(no text)"
ELLIPSIS = "…"

_EMPTY: Mapping[str, str] = {}


def mentioned_user_ids(text: str) -> set[str]:
    """User ids mentioned as `<@U123>` or `<@W123|name>`, to resolve to display names."""
    return set(_USER_MENTION.findall(text))


def mentioned_channel_ids(text: str) -> set[str]:
    """Ids of channels mentioned without a label (`<#C123>`, or Slack's newer `<#C123|>`)."""
    return set(_UNLABELLED_CHANNEL.findall(text))


def unescape(text: str) -> str:
    """Undo Slack's `&amp;`/`&lt;`/`&gt;` in one pass, so `&amp;lt;` becomes `&lt;`, not `<`."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def to_plain_text(
    text: str, *, user_names: Mapping[str, str], channel_names: Mapping[str, str] = _EMPTY
) -> str:
    """Render Slack mrkdwn tokens as readable text; unknown ids fall back to the raw id.

    Names from `user_names`/`channel_names` are inserted verbatim (they are not mrkdwn); literal
    text and token labels are unescaped. A `<...>` that is not a Slack token is kept as typed.
    """
    parts: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        parts.append(unescape(text[pos : match.start()]))
        rendered = _render_token(match.group(1), user_names, channel_names)
        parts.append(unescape(match.group(0)) if rendered is None else rendered)
        pos = match.end()
    parts.append(unescape(text[pos:]))
    return "".join(parts)


def _render_token(body: str, user_names: Mapping[str, str], channel_names: Mapping[str, str]) -> str | None:
    target, _, label = body.partition("|")
    label = unescape(label)
    if target.startswith("@") and len(target) > 1:
        user_id = target[1:]
        return "@" + (user_names.get(user_id) or label.lstrip("@") or user_id)
    if target.startswith("#") and len(target) > 1:
        channel_id = target[1:]
        return "#" + (label.lstrip("#") or channel_names.get(channel_id) or channel_id)
    if target.startswith("!"):
        return _render_special(target[1:], label)
    if _SCHEME.match(target):
        return _render_link(unescape(target), label)
    return None


def _render_special(command: str, label: str) -> str:
    name, _, argument = command.partition("^")
    if name in _BROADCASTS:
        return "@" + name
    if name == "subteam" and argument:
        return "@" + (label.lstrip("@") or argument)
    if name == "date":
        return label or _date_without_fallback(argument)
    # Unknown special commands (future Slack features): the label is Slack's own fallback text.
    return label or command


def _date_without_fallback(argument: str) -> str:
    # `<!date^epoch^format^link>` needs a fallback label; when it is missing, show the instant.
    epoch = argument.partition("^")[0]
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    return argument


def _render_link(url: str, label: str) -> str:
    if url.lower().startswith("mailto:"):
        address = url[len("mailto:") :]
        return address if not label or label == address else f"{label} ({address})"
    if not label or label == url:
        return url
    return f"{label} ({url})"


# Formatting markers count only when they hug a word on both sides: `*bold*` loses its stars,
# `2 * 3 * 4`, `snake_case_name` and `a*b` keep theirs.
_WRAPPED = tuple(
    re.compile(rf"(?<![\w{m}]){re.escape(m)}(?=\S)(.+?)(?<=\S){re.escape(m)}(?![\w{m}])") for m in "*_~"
)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def summary_from_text(text: str, *, limit: int = 255) -> str:
    """A one-line issue summary from plain text: first non-blank line, formatting markers dropped.

    The length is counted in UTF-16 code units, which is how Jira (Java) measures its 255-character
    limit; for text without astral characters (emoji) that equals the number of characters. Long
    lines are cut at a word boundary and end in `…`; a line with no usable boundary is cut hard.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    for line in text.replace("```", " ").splitlines():
        line = _strip_markers(" ".join(line.split()))
        if line:
            return _truncate(line, limit)
    return _truncate(NO_TEXT, limit)


def _strip_markers(line: str) -> str:
    line = _CODE_SPAN.sub(r"\1", line)
    # Markers nest (`_*both*_`), and an outer one can hide an inner one from its lookbehind.
    for _ in range(len(_WRAPPED)):
        before = line
        for pattern in _WRAPPED:
            line = pattern.sub(r"\1", line)
        if line == before:
            break
    return line.strip()


def utf16_len(text: str) -> int:
    """Length as Java's `String.length()` counts it (astral characters count twice)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _truncate(line: str, limit: int) -> str:
    if utf16_len(line) <= limit:
        return line
    budget = limit - utf16_len(ELLIPSIS)
    cut = _prefix_within(line, budget)
    head = line[:cut]
    boundary = head.rfind(" ")
    # A boundary in the first half would throw away most of the budget: cut the long word instead.
    if boundary >= max(1, budget // 2) and not line[cut].isspace():
        head = head[:boundary]
    return head.rstrip() + ELLIPSIS


def _prefix_within(text: str, budget: int) -> int:
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > budget:
            return index
    return len(text)
