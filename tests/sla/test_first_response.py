"""First response: the earliest of a public Jira comment by someone other than the reporter, a status
change, and a reply in the thread by a member of the owning team; recorded with its source."""

from __future__ import annotations

from typing import Any

import pytest

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.sla.conftest import CHANNEL, SyncBridge
from tests.sla.jira_payloads import IN_PROGRESS, TO_DO, change, comment_event, issue_updated, user
from tests.sla.slack_events import reply


def first_response(sync: SyncBridge, ticket: dict[str, Any]) -> tuple[str | None, str | None]:
    rows = [r for r in sync.rows("sla_state") if r["ticket_id"] == ticket["id"]]
    return (rows[0]["first_response_source"], rows[0]["first_response_by"]) if rows else (None, None)


async def test_public_jira_comment_by_someone_else_than_the_reporter(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    assert fake_jira.issue(ticket["jira_key"])["fields"]["reporter"]["displayName"] == "Alice Liddell"
    sync.clock.advance(300)
    by_reporter = comment_event(
        "comment_created",
        fake_jira,
        ticket["jira_key"],
        comment_id="10800",
        author=user(fake_jira, "alice"),
        body="any news?",
        at=sync.clock(),
    )
    await sync.post_jira(by_reporter, identifier="wh-alice")
    await sync.drain()
    assert first_response(sync, ticket) == (None, None)  # the reporter's own comment does not count

    sync.clock.advance(300)
    by_team = comment_event(
        "comment_created",
        fake_jira,
        ticket["jira_key"],
        comment_id="10801",
        author=user(fake_jira, "carol"),
        body="on it",
        at=sync.clock(),
    )
    await sync.post_jira(by_team, identifier="wh-carol")
    await sync.drain()
    assert first_response(sync, ticket) == ("jira_comment", "Carol Tanaka")
    assert sync.sla_state(ticket["id"])["first_response_at"] == pytest.approx(sync.clock(), abs=0.001)
    # the payload had no reporter: it was fetched once and kept
    assert len(fake_jira.calls("GET", rf"/rest/api/2/issue/{ticket['jira_key']}$")) == 1


async def test_transition_out_of_the_initial_status(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    sync.clock.advance(120)
    payload = issue_updated(
        fake_jira,
        ticket["jira_key"],
        by="alice",
        items=[change("status", TO_DO, IN_PROGRESS)],
        at=sync.clock(),
    )
    await sync.post_jira(payload)
    await sync.drain()
    assert first_response(sync, ticket) == ("jira_transition", "Alice Liddell")


async def test_reply_in_the_thread_by_a_member_of_the_owning_team(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    fake_slack.add_user("U0DAVE", "dave", "Dave Visitor", email="dave@example.com")
    fake_slack.state.channel(CHANNEL).members.append("U0DAVE")
    thread = ticket["thread_ts"] or ticket["message_ts"]
    for author in ("U0ALICE", "U0DAVE"):  # the requester, and someone outside the team
        ts = fake_slack.post_user_message(CHANNEL, author, "still broken", thread)
        await sync.deliver_message(
            reply(channel=CHANNEL, thread_ts=thread, ts=ts, user=author, text="still broken")
        )
    await sync.drain()
    assert first_response(sync, ticket) == (None, None)

    # U0CAROL is in the platform rotation by Slack id; alice@example.com by email
    ts = fake_slack.post_user_message(CHANNEL, "U0CAROL", "looking", thread)
    await sync.deliver_message(
        reply(channel=CHANNEL, thread_ts=thread, ts=ts, user="U0CAROL", text="looking")
    )
    await sync.drain()
    assert first_response(sync, ticket) == ("slack_reply", "Carol Tanaka")
    assert sync.sla_state(ticket["id"])["first_response_at"] == float(ts)


async def test_the_earliest_source_wins_whatever_order_they_arrive_in(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    start = sync.clock()
    comment = comment_event(
        "comment_created",
        fake_jira,
        ticket["jira_key"],
        comment_id="10900",
        author=user(fake_jira, "bob"),
        body="first!",
        at=start + 60,
    )
    transition = issue_updated(
        fake_jira,
        ticket["jira_key"],
        by="carol",
        items=[change("status", TO_DO, IN_PROGRESS)],
        at=start + 600,
    )
    sync.clock.advance(900)
    await sync.post_jira(transition, identifier="wh-late")  # delivered first, happened later
    await sync.drain()
    assert first_response(sync, ticket)[0] == "jira_transition"
    await sync.post_jira(comment, identifier="wh-early")
    await sync.drain()
    assert first_response(sync, ticket) == ("jira_comment", "Bob Okafor")
    assert sync.sla_state(ticket["id"])["first_response_at"] == pytest.approx(start + 60, abs=0.001)
