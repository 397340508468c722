"""A reaction becomes exactly one labelled Jira ticket and one redirect reply in the thread."""

from __future__ import annotations

import json

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.conftest import Bridge
from tests.payloads import reaction_added

CHANNEL = "C0PLATSUP"


def creates(fake_jira: FakeJira) -> list[dict[str, object]]:
    return [json.loads(r.body) for r in fake_jira.requests if r.method == "POST" and r.path == "/rest/api/2/issue"]


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
    [key] = [label for label in ["PLAT-1"] if label in str(reply["text"])]
    assert reply["thread_ts"] == ts
    assert any(block["type"] == "actions" for block in reply["blocks"])  # the Edit details button
    assert [r["name"] for r in fake_slack.reactions(CHANNEL, ts)] == ["eyes"]
