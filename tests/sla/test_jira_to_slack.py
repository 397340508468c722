"""Jira -> Slack: status changes, public comments and resolutions reach the ticket's thread."""

from __future__ import annotations

from typing import Any

import pytest

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.slack.ids import ActionId
from app.slack.metadata import TicketRef, decode
from app.worker.redirect_status import SLA_BLOCK_ID
from app.worker.sync_context import SyncJobKind
from tests.sla.conftest import CHANNEL, SyncBridge
from tests.sla.jira_payloads import (
    IN_PROGRESS,
    TO_DO,
    bridge_user,
    change,
    comment_event,
    issue_updated,
    user,
)


def bot_posts(fake_slack: FakeSlack, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in fake_slack.thread(CHANNEL, thread_ts) if m.get("bot_id")]


def redirect(fake_slack: FakeSlack, ticket: dict[str, Any]) -> dict[str, Any]:
    [found] = [m for m in fake_slack.thread(CHANNEL, ticket["message_ts"]) if m["ts"] == ticket["reply_ts"]]
    return found


def sla_line(message: dict[str, Any]) -> str:
    [block] = [b for b in message.get("blocks") or [] if b.get("block_id") == SLA_BLOCK_ID]
    return str(block["elements"][0]["text"])


async def test_redirect_reply_shows_when_the_first_response_is_due(
    sync: SyncBridge, fake_slack: FakeSlack
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    line = sla_line(redirect(fake_slack, ticket))
    assert "*First response due by*" in line
    assert "Europe/Berlin" in line  # the platform team's rotation zone
    assert "*Resolution due by*" in line


async def test_status_change_posts_in_the_thread_and_updates_the_redirect(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    sync.clock.advance(600)
    payload = issue_updated(
        fake_jira,
        ticket["jira_key"],
        by="bob",
        items=[change("status", TO_DO, IN_PROGRESS)],
        at=sync.clock(),
        state=IN_PROGRESS,
    )
    assert (await sync.post_jira(payload)).status_code == 200
    await sync.drain()

    [move] = [m for m in bot_posts(fake_slack, ticket["message_ts"]) if "moved from" in m["text"]]
    assert move["text"] == (
        f":arrows_counterclockwise: <{ticket['jira_url']}|{ticket['jira_key']}> moved from *To Do* to "
        "*In Progress* by Bob Okafor."
    )
    line = sla_line(redirect(fake_slack, ticket))
    assert "*Status:* In Progress" in line
    assert "*First response:*" in line
    assert "via a Jira status change" in line
    state = sync.sla_state(ticket["id"])
    assert state["first_response_source"] == "jira_transition"
    assert state["first_response_at"] == pytest.approx(sync.clock(), abs=0.001)  # Jira sends milliseconds
    assert state["status"] == "In Progress"


async def test_public_comment_is_mirrored_with_its_author(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    body = "Looking at it. See [the runbook|https://wiki.example/runbook] and do not <!channel> please"
    payload = comment_event(
        "comment_created",
        fake_jira,
        ticket["jira_key"],
        comment_id="10500",
        author=user(fake_jira, "carol"),
        body=body,
        at=sync.clock(),
    )
    await sync.post_jira(payload, identifier="wh-comment")
    await sync.drain()
    [mirror] = [m for m in bot_posts(fake_slack, ticket["message_ts"]) if "commented in Jira" in m["text"]]
    assert mirror["text"] == (
        "*Carol Tanaka* commented in Jira:\nLooking at it. See <https://wiki.example/runbook|the runbook> "
        "and do not &lt;!channel&gt; please"
    )
    assert mirror["metadata"]["event_payload"]["jira_comment_id"] == "10500"


async def test_comment_edits_and_deletions_in_jira_follow_the_mirror(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    carol = user(fake_jira, "carol")
    args: dict[str, Any] = {"comment_id": "10501", "author": carol, "at": sync.clock()}
    await sync.post_jira(
        comment_event("comment_created", fake_jira, ticket["jira_key"], body="first words", **args),
        identifier="c1",
    )
    await sync.drain()
    await sync.post_jira(
        comment_event("comment_updated", fake_jira, ticket["jira_key"], body="better words", **args),
        identifier="c2",
    )
    await sync.drain()
    [mirror] = [m for m in bot_posts(fake_slack, ticket["message_ts"]) if "Carol" in m["text"]]
    assert mirror["text"] == "*Carol Tanaka* commented in Jira (edited):\nbetter words"
    await sync.post_jira(
        comment_event("comment_deleted", fake_jira, ticket["jira_key"], body="better words", **args),
        identifier="c3",
    )
    await sync.drain()
    [mirror] = [m for m in bot_posts(fake_slack, ticket["message_ts"]) if "Carol" in m["text"]]
    assert mirror["text"] == "_Carol Tanaka's Jira comment was deleted._"


async def test_internal_comment_is_neither_mirrored_nor_a_first_response(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    for number, extra in enumerate(
        [{"visibility": {"type": "role", "value": "Developers"}}, {"jsd_public": False}], start=1
    ):
        payload = comment_event(
            "comment_created",
            fake_jira,
            ticket["jira_key"],
            comment_id=f"1060{number}",
            author=user(fake_jira, "carol"),
            body="internal note: the customer is wrong",
            at=sync.clock(),
            **extra,
        )
        await sync.post_jira(payload, identifier=f"wh-internal-{number}")
    await sync.drain()
    assert not any("internal note" in m["text"] for m in bot_posts(fake_slack, ticket["message_ts"]))
    assert [r["first_response_at"] for r in sync.rows("sla_state")] in ([], [None])


async def test_resolution_reacts_and_asks_the_resolver_for_a_prevention_note(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    sync.clock.advance(1800)
    await sync.resolve_in_jira(fake_jira, ticket)
    await sync.drain()

    reactions = [r["name"] for r in fake_slack.reactions(CHANNEL, ticket["message_ts"])]
    assert reactions == ["eyes", "white_check_mark"]
    [prompt] = [m for m in bot_posts(fake_slack, ticket["message_ts"]) if "prevent a repeat" in m["text"]]
    assert prompt["text"].startswith(f":white_check_mark: <@U0BOB> resolved <{ticket['jira_url']}|")
    [button] = [e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == ActionId.prevention_note.value
    ref = decode(button["value"], TicketRef, key=sync.ctx.intake.metadata_key)
    assert (ref.ticket_id, ref.channel, ref.message_ts) == (ticket["id"], CHANNEL, ticket["message_ts"])
    assert sync.sla_state(ticket["id"])["resolved_at"] == pytest.approx(sync.clock(), abs=0.001)
    assert "*Resolved:*" in sla_line(redirect(fake_slack, ticket))


async def test_prevention_note_becomes_a_jira_comment_and_a_label(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    with sync.runtime.engine.begin() as conn:
        from app.store import jobs as job_store

        payload = {"ticket_id": ticket["id"], "user": "U0BOB", "text": "Alert on *cache* usage at 80%"}
        job_store.enqueue(conn, SyncJobKind.PREVENTION_NOTE, payload, now=sync.clock())
    await sync.drain()
    assert fake_jira.comments(ticket["jira_key"]) == [
        "*Prevention note* from Bob Okafor in Slack: Alert on \\*cache\\* usage at 80\\%"
    ]
    assert "prevention-noted" in fake_jira.issue(ticket["jira_key"])["fields"]["labels"]


async def test_a_comment_the_bridge_wrote_is_not_mirrored_back(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    payload = comment_event(
        "comment_created",
        fake_jira,
        ticket["jira_key"],
        comment_id="10700",
        author=bridge_user(fake_jira),
        body="*Bob Okafor* in Slack: on it",
        at=sync.clock(),
    )
    await sync.post_jira(payload, identifier="wh-own")
    await sync.drain()
    assert len(bot_posts(fake_slack, ticket["message_ts"])) == 1  # the redirect reply only
    assert sync.jobs_of(SyncJobKind.COMMENT_TO_SLACK) == []
