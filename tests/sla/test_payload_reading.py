"""Reading Jira webhook bodies and Slack message events; Jira comment text for Slack."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.jira_events import (
    CommentEvent,
    IssueUpdated,
    JiraUser,
    WebhookPayloadError,
    parse_event,
    parse_jira_datetime,
)
from app.domain.jira_text import adf_to_text, comment_to_mrkdwn, wiki_to_mrkdwn
from app.slack.thread_events import ThreadMessage, thread_message, thread_message_job
from tests.sla import slack_events

ALICE = {"accountId": "5b10a2844c20165700ede21g", "displayName": "Alice Liddell", "active": True}


def test_issue_updated_with_status_and_resolution_items() -> None:
    payload = {
        "timestamp": 1711900800000,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": ALICE,
        "issue": {
            "id": "10002",
            "key": "PLAT-7",
            "fields": {"labels": ["interrupt", "ib-abc"], "status": {"name": "Done"}},
        },
        "changelog": {
            "id": "10100",
            "items": [
                {"field": "resolution", "fieldtype": "jira", "fieldId": "resolution", "from": None,
                 "fromString": None, "to": "10000", "toString": "Done"},
                {"field": "Status", "fieldtype": "jira", "fieldId": "status", "from": "3",
                 "fromString": "In Progress", "to": "10001", "toString": "Done"},
            ],
        },
    }  # fmt: skip
    event = parse_event(payload)
    assert isinstance(event, IssueUpdated)
    assert event.at.timestamp() == 1711900800
    assert event.issue.labels == ("interrupt", "ib-abc")
    assert event.user == JiraUser("Alice Liddell", account_id="5b10a2844c20165700ede21g")
    status, resolution = event.change("status"), event.change("resolution")
    assert status is not None
    assert (status.from_string, status.to_string) == ("In Progress", "Done")
    assert resolution is not None
    assert (resolution.from_id, resolution.to_string) == (None, "Done")
    assert event.change("priority") is None


def test_comment_created_on_data_center() -> None:
    author = {
        "name": "bob",
        "key": "JIRAUSER10100",
        "displayName": "Bob Okafor",
        "emailAddress": "bob@example.com",
    }
    payload = {
        "timestamp": 1711900800000,
        "webhookEvent": "comment_created",
        "comment": {
            "id": 10500,
            "author": author,
            "body": "h2. Hi",
            "created": "2024-03-31T18:00:00.000+0200",
        },
        "issue": {"id": "1", "key": "NET-3", "fields": {"summary": "x"}},
    }
    event = parse_event(payload)
    assert isinstance(event, CommentEvent)
    assert (event.comment_id, event.public, event.body) == ("10500", True, "h2. Hi")
    assert event.author is not None
    assert event.author.same_as(JiraUser("Bob", name="bob"))
    assert not event.author.same_as(JiraUser("Bob", account_id="bob"))  # nothing comparable in common
    assert event.created == parse_jira_datetime("2024-03-31T16:00:00.000+0000")


@pytest.mark.parametrize(
    "payload",
    [
        {"webhookEvent": "jira:issue_updated", "issue": {"key": "PLAT-1"}},
        {"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {}},
        {"webhookEvent": "comment_created", "timestamp": 1, "issue": {"key": "PLAT-1"}, "comment": {}},
    ],
)
def test_unreadable_bodies(payload: dict[str, Any]) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_event(payload)


def test_unhandled_events_are_none() -> None:
    assert parse_event({"webhookEvent": "worklog_created"}) is None


def test_wiki_comment_to_mrkdwn() -> None:
    wiki = (
        "h3. Cause\nThe *cache* & {{df -h}} said so, see [logs|https://logs.example/a?b=1] "
        "or https://x.example.\n{code:bash}rm -rf <dir>{code}\n[~accountid:5b10ac8d82e05b22cc7d4ef5] <!here>"
    )
    assert wiki_to_mrkdwn(wiki) == (
        "*Cause*\nThe *cache* &amp; `df -h` said so, see <https://logs.example/a?b=1|logs> "
        "or https://x.example.\n```rm -rf &lt;dir&gt;```\n@5b10ac8d82e05b22cc7d4ef5 &lt;!here&gt;"
    )


def test_adf_comment_to_text_and_trim() -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Fixed <b>"},
                                              {"type": "mention", "attrs": {"text": "@Carol"}}]},
            {"type": "bulletList", "content": [{"type": "listItem", "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "one"}]}]}]},
        ],
    }  # fmt: skip
    assert adf_to_text(doc) == "Fixed <b>@Carol\n• one"
    assert comment_to_mrkdwn(doc) == "Fixed &lt;b&gt;@Carol\n• one"
    long = comment_to_mrkdwn("word " * 1000, limit=100)
    assert len(long) <= 100
    assert long.endswith("…")


# -- Slack message events -------------------------------------------------------------------------------
def test_a_reply_edit_and_deletion_are_thread_messages() -> None:
    posted = slack_events.reply(channel="C1", thread_ts="1.000100", ts="1.000200", user="U0BOB", text="hi")
    assert thread_message(posted, bot_user_id="UBOT") == ThreadMessage(
        "posted", "C1", "1.000200", "1.000100", "U0BOB", "hi"
    )
    changed = slack_events.edited(
        channel="C1", thread_ts="1.000100", ts="1.000200", user="U0BOB", text="yo", old_text="hi"
    )
    found = thread_message(changed, bot_user_id="UBOT")
    assert found is not None
    assert (found.action, found.ts, found.text) == ("edited", "1.000200", "yo")
    assert found.edited_ts
    removed = slack_events.deleted(channel="C1", thread_ts="1.000100", ts="1.000200", user="U0BOB", text="yo")
    assert thread_message(removed, bot_user_id="UBOT") == ThreadMessage(
        "deleted", "C1", "1.000200", "1.000100", "U0BOB", "yo"
    )
    spec = thread_message_job(posted, bot_user_id="UBOT", event_id="Ev123")
    assert spec is not None
    assert (spec.kind, spec.dedupe_key) == ("thread.message", "thread.message:Ev123")
    assert ThreadMessage.from_payload(spec.payload) == thread_message(posted, bot_user_id="UBOT")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"thread_ts": None}, id="not-in-a-thread"),
        pytest.param({"thread_ts": "1.000200"}, id="thread-parent"),
        pytest.param({"bot_id": "B0OTHER"}, id="another-bot"),
        pytest.param({"subtype": "bot_message"}, id="bot-message"),
        pytest.param({"user": "UBOT"}, id="the-bridge"),
        pytest.param({"subtype": "channel_join"}, id="join"),
        pytest.param(
            {"metadata": {"event_type": "interrupt_bridge_sync", "event_payload": {}}}, id="bridge-metadata"
        ),
    ],
)
def test_messages_that_are_not_replies_by_people_are_left_out(change: dict[str, Any]) -> None:
    event = slack_events.reply(channel="C1", thread_ts="1.000100", ts="1.000200", user="U0BOB", text="hi")
    event.update(change)
    # the bridge's metadata is recognised even before the bridge knows its own user id
    assert thread_message(event, bot_user_id=None if "metadata" in change else "UBOT") is None


def test_unfurls_are_not_edits() -> None:
    event = slack_events.edited(
        channel="C1", thread_ts="1.000100", ts="1.000200", user="U0BOB", text="a", old_text="a"
    )
    del event["message"]["edited"]
    assert thread_message(event, bot_user_id="UBOT") is None
