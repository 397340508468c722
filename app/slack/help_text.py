"""`/interrupt help`: what the bridge does, and the buckets to choose from."""

from __future__ import annotations

from app.config.template import Template


def help_text(template: Template, *, command: str) -> str:
    teams = ", ".join(f"{t.name} ({' '.join(f'<#{c}>' for c in t.channels)})" for t in template.teams)
    emoji = " ".join(f":{e}:" for e in template.defaults.trigger_emoji)
    lines = [
        "*interrupt-bridge* turns requests for help into tracked Jira tickets, so nothing gets lost and "
        "the answer stays public and searchable.",
        f"• React to a message with {emoji} (or a bucket's emoji below) to raise it as a ticket.",
        "• Use the message shortcut *Raise interrupt* to pick the bucket and answer a few questions.",
        f"• `{command} <what you need>` opens the same form from anywhere.",
        f"• `{command} faq <question>` looks your question up in the FAQ (only you see the answer).",
        f"Teams: {teams}",
        "*Buckets*",
    ]
    for bucket in template.buckets:
        marks = " ".join(f":{e}:" for e in bucket.emoji)
        about = f" — {bucket.description}" if bucket.description else ""
        lines.append(f"• *{bucket.name}* {marks}{about}")
    return "\n".join(lines)
