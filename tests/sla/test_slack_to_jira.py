"""Slack -> Jira: thread replies become Jira comments; edits, deletions and no echo either way."""

from __future__ import annotations

import json
from typing import Any

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import Fault
from tests.payloads import reaction_added
from tests.sla.conftest import CHANNEL, SyncBridge
from tests.sla.jira_payloads import bridge_user, comment_event, user
from tests.sla.slack_events import deleted, edited, from_posted, reply

COMMENTS = r"/rest/api/2/issue/[A-Z]+-\d+/comment"


def comment_posts(fake_jira: FakeJira) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in fake_jira.calls("POST", COMMENTS + "$")]


async def post_reply(
    sync: SyncBridge, fake_slack: FakeSlack, ticket: dict[str, Any], user_id: str, text: str
) -> str:
    thread = ticket["thread_ts"] or ticket["message_ts"]
    ts = fake_slack.post_user_message(CHANNEL, user_id, text, thread)
    assert await sync.deliver_message(
        reply(channel=CHANNEL, thread_ts=thread, ts=ts, user=user_id, text=text)
    )
    return ts


async def test_thread_reply_becomes_one_spec_valid_jira_comment(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    ts = await post_reply(sync, fake_slack, ticket, "U0BOB", "Cleared *half* the cache, cc <@U0CAROL> & team")
    await sync.drain()

    [body] = comment_posts(fake_jira)
    assert set(body) == {"body"}
    permalink = fake_slack.state.permalink(CHANNEL, ts)
    assert body["body"] == (
        "*Bob Okafor* in Slack: Cleared \\*half\\* the cache, cc \\@Carol Tanaka & team "
        f"([Slack message|{permalink}])"
    )
    assert fake_jira.comments(ticket["jira_key"]) == [body["body"]]
    [mirror] = sync.rows("mirrored_comments")
    assert (mirror["origin"], mirror["slack_ts"]) == ("slack", ts)
    assert mirror["jira_comment_id"] is not None
    # fake_jira's fixture asserts at teardown that every request matched Jira's OpenAPI spec


async def test_ambiguous_failure_adds_the_comment_once(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    fake_jira.add_fault(Fault(COMMENTS + "$", method="POST", times=1, reset_after_handler=True))
    await post_reply(sync, fake_slack, ticket, "U0BOB", "restarted the runners")
    await sync.drain()
    assert len(comment_posts(fake_jira)) == 1
    assert len(fake_jira.comments(ticket["jira_key"])) == 1
    [mirror] = sync.rows("mirrored_comments")
    assert mirror["jira_comment_id"] is not None
    assert mirror["attempts"] == 1


async def test_edit_updates_and_deletion_deletes_the_comment(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    thread = ticket["thread_ts"] or ticket["message_ts"]
    ts = await post_reply(sync, fake_slack, ticket, "U0BOB", "it is DNS")
    await sync.drain()
    change = edited(
        channel=CHANNEL, thread_ts=thread, ts=ts, user="U0BOB", text="it was not DNS", old_text="it is DNS"
    )
    assert await sync.deliver_message(change)
    await sync.drain()
    [comment] = fake_jira.comments(ticket["jira_key"])
    assert comment.startswith("*Bob Okafor* in Slack: it was not DNS (")
    assert len(fake_jira.calls("PUT", COMMENTS + r"/\d+$")) == 1

    assert await sync.deliver_message(change)  # the same edit again (a redelivery) changes nothing
    await sync.drain()
    assert len(fake_jira.calls("PUT", COMMENTS + r"/\d+$")) == 1

    assert await sync.deliver_message(
        deleted(channel=CHANNEL, thread_ts=thread, ts=ts, user="U0BOB", text="x")
    )
    await sync.drain()
    assert fake_jira.comments(ticket["jira_key"]) == []
    [mirror] = sync.rows("mirrored_comments")
    assert mirror["deleted_at"] is not None


async def test_deletion_before_the_mirror_leaves_nothing_in_jira(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    thread = ticket["thread_ts"] or ticket["message_ts"]
    ts = fake_slack.post_user_message(CHANNEL, "U0BOB", "oops, wrong thread", thread)
    await sync.deliver_message(deleted(channel=CHANNEL, thread_ts=thread, ts=ts, user="U0BOB", text="oops"))
    await sync.drain()
    await sync.deliver_message(reply(channel=CHANNEL, thread_ts=thread, ts=ts, user="U0BOB", text="oops"))
    await sync.drain()
    assert fake_jira.comments(ticket["jira_key"]) == []


async def test_bot_messages_and_untracked_threads_make_no_comment(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    thread = ticket["thread_ts"] or ticket["message_ts"]
    fake_slack.add_user("U0ROBOT", "deploybot", "Deploy Bot", is_bot=True)
    fake_slack.state.channel(CHANNEL).members.append("U0ROBOT")
    other_bot = fake_slack.state.post(CHANNEL, "U0ROBOT", "deploy finished", thread_ts=thread)
    posted = fake_slack.thread(CHANNEL, thread)
    bot_event = from_posted(CHANNEL, next(m for m in posted if m["ts"] == other_bot.ts))
    assert not await sync.deliver_message(bot_event)

    untracked = fake_slack.post_user_message(CHANNEL, "U0ALICE", "unrelated question")
    ts = fake_slack.post_user_message(CHANNEL, "U0BOB", "answer", untracked)
    assert await sync.deliver_message(
        reply(channel=CHANNEL, thread_ts=untracked, ts=ts, user="U0BOB", text="x")
    )
    await sync.drain()
    assert comment_posts(fake_jira) == []


async def test_no_echo_slack_to_jira_to_slack(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    """The Jira comment made from a Slack reply comes back as a webhook: nothing is posted in Slack."""
    ticket = await sync.raise_ticket(fake_slack)
    await post_reply(sync, fake_slack, ticket, "U0BOB", "fixed by clearing the cache")
    await sync.drain()
    [mirror] = sync.rows("mirrored_comments")
    [body] = fake_jira.comments(ticket["jira_key"])
    webhook = comment_event(
        "comment_created",
        fake_jira,
        ticket["jira_key"],
        comment_id=mirror["jira_comment_id"],
        author=bridge_user(fake_jira),
        body=body,
        at=sync.clock(),
    )
    before = fake_slack.thread(CHANNEL, ticket["message_ts"])
    assert (await sync.post_jira(webhook, identifier="wh-echo")).json()["outcome"] == "recorded"
    await sync.drain()
    assert fake_slack.thread(CHANNEL, ticket["message_ts"]) == before
    assert len(fake_slack.calls("chat.postMessage")) == 1  # the redirect reply only


async def test_no_echo_jira_to_slack_to_jira(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    """The Slack message mirroring a Jira comment comes back as a message event: no Jira comment."""
    ticket = await sync.raise_ticket(fake_slack)
    webhook = comment_event(
        "comment_created",
        fake_jira,
        ticket["jira_key"],
        comment_id="11000",
        author=user(fake_jira, "carol"),
        body="please retry now",
        at=sync.clock(),
    )
    await sync.post_jira(webhook, identifier="wh-carol")
    await sync.drain()
    [mirrored] = [
        m for m in fake_slack.thread(CHANNEL, ticket["message_ts"]) if "commented in Jira" in m["text"]
    ]
    event = from_posted(CHANNEL, mirrored)
    assert event["bot_id"] == "BBOT"
    assert event["metadata"]["event_type"] == "interrupt_bridge_sync"
    assert not await sync.deliver_message(event)
    await sync.drain()
    assert comment_posts(fake_jira) == []


async def test_replies_already_in_the_description_are_not_comments(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    """A ticket raised on a reply quotes the thread up to that reply; only later replies become comments."""
    parent = fake_slack.post_user_message(CHANNEL, "U0CAROL", "Is the registry slow for anyone else?")
    earlier = fake_slack.post_user_message(CHANNEL, "U0BOB", "yes, since noon", parent)
    raised = fake_slack.post_user_message(CHANNEL, "U0ALICE", "pulls time out for us", parent)
    await sync.post_event(reaction_added(channel=CHANNEL, ts=raised, user="U0BOB"))
    await sync.drain()
    [ticket] = sync.rows("tickets")
    assert ticket["thread_ts"] == parent
    change = edited(
        channel=CHANNEL, thread_ts=parent, ts=earlier, user="U0BOB", text="yes, since 12:00", old_text="x"
    )
    assert await sync.deliver_message(change)
    later = fake_slack.post_user_message(CHANNEL, "U0BOB", "mirror restarted", parent)
    assert await sync.deliver_message(
        reply(channel=CHANNEL, thread_ts=parent, ts=later, user="U0BOB", text="mirror restarted")
    )
    await sync.drain()
    [comment] = fake_jira.comments(ticket["jira_key"])
    assert comment.startswith("*Bob Okafor* in Slack: mirror restarted (")
