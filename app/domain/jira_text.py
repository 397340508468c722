"""Jira comment bodies (wiki markup or an Atlassian document) turned into Slack mrkdwn.

Best effort and safe: whatever the body holds, the result cannot mention or page anyone in Slack
(`<`, `>` and `&` are escaped, so `<!channel>` stays text) and it stays within `limit` characters.
Links become Slack links, code blocks become Slack code blocks, Jira user mentions become `@name`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ELLIPSIS = "…"
DEFAULT_LIMIT = 3000

_CODE_BLOCK = re.compile(r"\{(code|noformat)(?::[^}]*)?\}(.*?)\{\1\}", re.DOTALL)
_LINK = re.compile(r"\[([^\[\]|]*)\|((?:https?|mailto):[^\[\]|\s]+)\]|\[((?:https?|mailto):[^\[\]|\s]+)\]")
_MENTION = re.compile(r"\[~(?:accountid:)?([^\]]+)\]")
_HEADING = re.compile(r"^h[1-6]\.\s*(.+)$", re.MULTILINE)
_QUOTE = re.compile(r"\{quote\}(.*?)\{quote\}", re.DOTALL)
_COLOR = re.compile(r"\{color(?::[^}]*)?\}")
_MONOSPACE = re.compile(r"\{\{(.+?)\}\}")


def mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def comment_to_mrkdwn(body: str | Mapping[str, Any] | None, *, limit: int = DEFAULT_LIMIT) -> str:
    """A Jira comment body as Slack mrkdwn, at most `limit` characters."""
    if body is None:
        return ""
    text = wiki_to_mrkdwn(body) if isinstance(body, str) else mrkdwn_escape(adf_to_text(body))
    return _trim(text.strip(), limit)


def wiki_to_mrkdwn(text: str) -> str:
    """Jira wiki markup to mrkdwn: the common constructs; anything else stays as typed (escaped)."""
    blocks: list[str] = []

    def keep_block(match: re.Match[str]) -> str:
        blocks.append("```" + mrkdwn_escape(match.group(2).strip("\n")) + "```")
        return f"\x00{len(blocks) - 1}\x00"

    text = _CODE_BLOCK.sub(keep_block, text.replace("\r\n", "\n"))
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        label, url = (match.group(1), match.group(2)) if match.group(2) else (None, match.group(3))
        safe_url = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
        links.append(f"<{safe_url}|{mrkdwn_escape(label)}>" if label else f"<{safe_url}>")
        return f"\x01{len(links) - 1}\x01"

    text = _LINK.sub(keep_link, text)
    text = mrkdwn_escape(text)
    text = _MENTION.sub(lambda m: "@" + m.group(1).split(":")[-1], text)
    text = _HEADING.sub(r"*\1*", text)
    text = _QUOTE.sub(lambda m: "\n".join("> " + line for line in m.group(1).strip("\n").splitlines()), text)
    text = _COLOR.sub("", text)
    text = _MONOSPACE.sub(r"`\1`", text)
    text = re.sub(r"\x01(\d+)\x01", lambda m: links[int(m.group(1))], text)
    return re.sub(r"\x00(\d+)\x00", lambda m: blocks[int(m.group(1))], text)


def adf_to_text(node: Mapping[str, Any]) -> str:
    """The plain text of an Atlassian document: paragraphs and list items on their own lines."""
    parts: list[str] = []
    _walk(node, parts)
    return re.sub(r"\n{3,}", "\n\n", "".join(parts)).strip()


def _walk(node: Any, parts: list[str]) -> None:
    if not isinstance(node, Mapping):
        return
    kind = node.get("type")
    attrs = node.get("attrs") if isinstance(node.get("attrs"), Mapping) else {}
    assert isinstance(attrs, Mapping)
    if kind == "text":
        parts.append(str(node.get("text") or ""))
        return
    if kind == "hardBreak":
        parts.append("\n")
        return
    if kind == "mention":
        parts.append(str(attrs.get("text") or "@someone"))
        return
    if kind in ("emoji", "status", "date", "inlineCard"):
        parts.append(str(attrs.get("shortName") or attrs.get("text") or attrs.get("url") or ""))
        return
    if kind == "listItem":
        parts.append("• ")
    for child in node.get("content") or ():
        _walk(child, parts)
    if kind in ("paragraph", "heading", "listItem", "codeBlock", "blockquote", "rule"):
        parts.append("\n")


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    # never cut inside a link or an entity
    token = head.rfind("<")
    if token > head.rfind(">"):
        head = head[:token]
    entity = head.rfind("&")
    if entity != -1 and ";" not in head[entity:]:
        head = head[:entity]
    if head.count("```") % 2:
        head += "```"
    return head.rstrip() + ELLIPSIS
