"""A reaction becomes exactly one labelled Jira ticket and one redirect reply in the thread."""

from __future__ import annotations

import json

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.conftest import Bridge
from tests.payloads import reaction_added

CHANNEL = "C0PLATSUP"


def creates(fake_jira: FakeJira) -> list[dict[str, object]]:
    return [
        json.loads(r.body) for r in fake_jira.requests if r.method == "POST" and r.path == "/rest/api/2/issue"
    ]


def bot_replies(fake_slack: FakeSlack, ts: str) -> list[dict[str, object]]:
    return [m for m in fake_slack.thread(CHANNEL, ts) if m.get("bot_id")]


async def test_reaction_creates_labelled_ticket_and_redirect_reply(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    text = "CI runners are out of disk since 9:00, cc <@U0CAROL>\nsecond line with details"
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", text)

    response = await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0BOB"))
    assert response.status_code == 200
    await bridge.drain()

    [create] = creates(fake_jira)
    fields = create["fields"]
    assert isinstance(fields, dict)
    assert fields["project"] == {"key": "PLAT"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "CI runners are out of disk since 9:00, cc @Carol Tanaka"
    assert fields["priority"] == {"name": "Low"}  # the question bucket's default
    labels = fields["labels"]
    assert labels[:3] == ["interrupt", "bucket-question", "team-platform"]
    assert any(label.startswith("ib-") for label in labels)
    assert "second line with details" in fields["description"]
    assert "Alice Liddell" in fields["description"]
    permalink = fake_slack.calls("chat.getPermalink")[0]
    assert permalink["channel"] == CHANNEL
    assert "reporter" in fields  # alice@example.com has a Jira account

    [reply] = bot_replies(fake_slack, ts)
    [_key] = [label for label in ["PLAT-1"] if label in str(reply["text"])]
    assert reply["thread_ts"] == ts
    assert any(block["type"] == "actions" for block in reply["blocks"])  # the Edit details button
    assert [r["name"] for r in fake_slack.reactions(CHANNEL, ts)] == ["eyes"]


async def test_retried_delivery_creates_one_ticket(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "The artifact cache returns 500s")
    event = reaction_added(channel=CHANNEL, ts=ts)
    first = await bridge.post_event(event)
    retries = [
        await bridge.post_event(
            event, **{"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
        )
        for n in (1, 2, 3)
    ]
    assert [r.status_code for r in (first, *retries)] == [200, 200, 200, 200]
    await bridge.drain()
    assert len(creates(fake_jira)) == 1
    assert len(bot_replies(fake_slack, ts)) == 1
    assert len(bridge.rows("slack_deliveries")) == 1


async def test_second_emoji_and_second_person_create_nothing_new(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Please give me access to the prod dashboards")
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0BOB", reaction="ticket"))
    await bridge.drain()
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0CAROL", reaction="lock"))
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0BOB", reaction="ticket"))
    await bridge.drain()

    assert len(creates(fake_jira)) == 1
    assert len(bot_replies(fake_slack, ts)) == 1
    notices = [e for e in fake_slack.ephemerals if e["channel"] == CHANNEL]
    assert sorted(e["user"] for e in notices) == ["U0BOB", "U0CAROL"]
    assert all("already tracked as" in e["text"] and "PLAT-1" in e["text"] for e in notices)


async def test_reaction_before_the_ticket_exists_waits_for_its_key(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Build farm is slow")
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0BOB"))
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0CAROL"))
    await bridge.drain()
    assert len(creates(fake_jira)) == 1
    [notice] = fake_slack.ephemerals
    assert notice["user"] == "U0CAROL"
    assert "PLAT-1" in notice["text"]


async def test_bucket_emoji_sets_bucket_label_and_priority_floor(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Deploys to prod are failing for everyone")
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, reaction="rotating_light"))
    await bridge.drain()
    [create] = creates(fake_jira)
    fields = create["fields"]
    assert isinstance(fields, dict)
    assert "bucket-incident" in fields["labels"]
    assert fields["priority"] == {"name": "High"}


async def test_reaction_on_thread_reply_includes_the_thread_and_replies_in_it(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    parent = fake_slack.post_user_message(CHANNEL, "U0CAROL", "Is anyone else seeing flaky DNS?")
    reply = fake_slack.post_user_message(
        CHANNEL, "U0ALICE", "Yes, resolution times out for *.internal", parent
    )
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=reply))
    await bridge.drain()
    [create] = creates(fake_jira)
    description = create["fields"]["description"]  # type: ignore[index]
    assert "flaky DNS" in description
    assert "resolution times out" in description
    assert len(bot_replies(fake_slack, parent)) == 1


async def test_ignored_reactions_create_nothing(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    fake_slack.add_channel("C0RANDOM", "random", members=["UBOT", "U0ALICE", "U0BOB"])
    unmapped = fake_slack.post_user_message("C0RANDOM", "U0ALICE", "lunch?")
    mapped = fake_slack.post_user_message(CHANNEL, "U0ALICE", "a normal question")
    bot_message = fake_slack.state.post(CHANNEL, "UBOT", "I am the bot").ts
    await bridge.post_event(reaction_added(channel="C0RANDOM", ts=unmapped))
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=mapped, reaction="tada"))
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=mapped, user="UBOT"))
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=bot_message))
    await bridge.drain()
    assert creates(fake_jira) == []
    assert [t["ignored_reason"] for t in bridge.rows("tickets")] == ["message posted by a bot"]


async def test_requester_without_jira_account_is_named_in_the_description(
    bridge: Bridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    fake_slack.add_user("U0DAVE", "dave", "Dave Contractor", email="dave@contractor.example")
    fake_slack.state.channel(CHANNEL).members.append("U0DAVE")
    ts = fake_slack.post_user_message(CHANNEL, "U0DAVE", "Need a VPN profile")
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts))
    await bridge.drain()
    [create] = creates(fake_jira)
    fields = create["fields"]
    assert isinstance(fields, dict)
    assert "reporter" not in fields
    assert "Dave Contractor" in fields["description"]
    assert "contractor.example" in fields["description"]
