"""Which `reaction_added` events propose a thread reply as an FAQ answer (the candidate emoji).

Runs on the ack path and only reads the event; whether the message is a reply in a ticket's
thread is the worker's question (`faq.propose`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.config.template import Template
from app.store.intake_batch import JobSpec

JOB_KIND = "faq.propose"  # = JobKind.FAQ_PROPOSE


def faq_proposal_job(
    event: Mapping[str, Any], *, template: Template, bot_user_id: str | None, event_id: str
) -> JobSpec | None:
    if event.get("reaction") != template.faq.candidate_emoji:
        return None
    item, user = event.get("item"), event.get("user")
    if not isinstance(item, Mapping) or item.get("type") != "message":
        return None
    channel, ts = item.get("channel"), item.get("ts")
    if not (isinstance(channel, str) and channel and isinstance(ts, str) and ts):
        return None
    if not isinstance(user, str) or not user or user == bot_user_id:
        return None
    payload = {"channel": channel, "ts": ts, "user": user}
    # One proposal per reply and person: reacting again (or a redelivery) adds nothing.
    return JobSpec(JOB_KIND, payload, dedupe_key=f"{JOB_KIND}:{channel}:{ts}:{user}")
