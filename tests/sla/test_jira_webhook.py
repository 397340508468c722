"""`POST /jira/webhook`: signature, size, malformed bodies, untracked issues, redeliveries."""

from __future__ import annotations

import pytest

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.payloads import reaction_added
from tests.sla.conftest import CHANNEL, SyncBridge
from tests.sla.jira_payloads import IN_PROGRESS, TO_DO, change, encode, issue_updated, sign, user


def stored(sync: SyncBridge) -> tuple[int, int]:
    return len(sync.rows("jira_deliveries")), len(sync.jobs_of("jira.event"))


def bot_posts(fake_slack: FakeSlack, thread_ts: str) -> list[dict[str, object]]:
    return [m for m in fake_slack.thread(CHANNEL, thread_ts) if m.get("bot_id")]


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="missing"),
        pytest.param("sha256=", id="empty"),
        pytest.param("sha1=0123456789abcdef0123456789abcdef01234567", id="other-algorithm"),
        pytest.param("wrong-secret", id="wrong-secret"),
        pytest.param("other-body", id="signed-other-body"),
    ],
)
async def test_bad_or_missing_signature_is_401_and_stores_nothing(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira, signature: str | None
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    payload = issue_updated(
        fake_jira, ticket["jira_key"], by="bob", items=[change("status", TO_DO, IN_PROGRESS)], at=sync.clock()
    )
    body = encode(payload)
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": "wh-bad"}
    if signature == "wrong-secret":
        headers["X-Hub-Signature"] = sign(body, "not-the-secret")
    elif signature == "other-body":
        headers["X-Hub-Signature"] = sign(body + b" ")
    elif signature is not None:
        headers["X-Hub-Signature"] = signature
    before = len(sync.rows("jobs"))
    response = await sync.client.post("/jira/webhook", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error": "invalid or missing X-Hub-Signature"}
    assert stored(sync) == (0, 0)
    assert len(sync.rows("jobs")) == before
    await sync.drain()
    assert len(bot_posts(fake_slack, ticket["message_ts"])) == 1  # the redirect reply only


async def test_same_delivery_twice_posts_one_slack_message(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    payload = issue_updated(
        fake_jira,
        ticket["jira_key"],
        by="bob",
        items=[change("status", TO_DO, IN_PROGRESS)],
        at=sync.clock(),
        state=IN_PROGRESS,
    )
    first = await sync.post_jira(payload, identifier="b8d4a1e6-0c2f-4b5e-9a57-3f1e2d6c7b80")
    await sync.drain()
    again = await sync.post_jira(payload, identifier="b8d4a1e6-0c2f-4b5e-9a57-3f1e2d6c7b80")
    await sync.drain()
    assert first.json() == {"ok": True, "outcome": "recorded"}
    assert again.json() == {"ok": True, "outcome": "duplicate"}
    assert stored(sync) == (1, 1)
    moves = [m for m in bot_posts(fake_slack, ticket["message_ts"]) if "moved from" in str(m["text"])]
    assert len(moves) == 1


async def test_malformed_json_under_a_valid_signature_is_400(sync: SyncBridge) -> None:
    body = b'{"webhookEvent": "jira:issue_updated", "issue": '
    response = await sync.client.post(
        "/jira/webhook",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature": sign(body)},
    )
    assert response.status_code == 400
    assert stored(sync) == (0, 0)


async def test_oversize_body_is_413_without_storing(sync: SyncBridge) -> None:
    body = b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = await sync.client.post(
        "/jira/webhook",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature": sign(body)},
    )
    assert response.status_code == 413
    assert stored(sync) == (0, 0)


async def test_untracked_issue_and_unhandled_event_are_acknowledged_and_not_stored(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    other = fake_jira.bulk_add_issues(1, labels=["unrelated"])[0]
    untracked = issue_updated(
        fake_jira, other, by="bob", items=[change("status", TO_DO, IN_PROGRESS)], at=sync.clock()
    )
    response = await sync.post_jira(untracked, identifier="wh-untracked")
    assert response.json() == {"ok": True, "outcome": "untracked"}
    ticket = await sync.raise_ticket(fake_slack)
    created = {**untracked, "webhookEvent": "jira:issue_created"}
    created["issue"] = {**created["issue"], "key": ticket["jira_key"]}
    response = await sync.post_jira(created, identifier="wh-created")
    assert response.json() == {"ok": True, "outcome": "ignored"}
    assert stored(sync) == (0, 0)


async def test_tracked_issue_is_found_by_its_marker_label(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    """The marker label identifies the ticket even under another key (an issue moved to another project)."""
    ticket = await sync.raise_ticket(fake_slack)
    payload = issue_updated(
        fake_jira, ticket["jira_key"], by="bob", items=[change("status", TO_DO, IN_PROGRESS)], at=sync.clock()
    )
    payload["issue"] = {**payload["issue"], "key": "NET-77"}
    assert f"ib-{ticket['id']}" in payload["issue"]["fields"]["labels"]
    response = await sync.post_jira(payload, identifier="wh-moved")
    assert response.json() == {"ok": True, "outcome": "recorded"}
    assert [d["ticket_id"] for d in sync.rows("jira_deliveries")] == [ticket["id"]]


async def test_a_webhook_before_the_key_is_recorded_waits_for_it(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    """Jira may report on the issue before the worker has recorded its key: the marker label finds it."""
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Runner pool is empty")
    await sync.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0BOB"))
    [pending] = sync.rows("tickets")
    assert (pending["state"], pending["jira_key"]) == ("pending", None)
    payload = {
        "timestamp": int(sync.clock() * 1000),
        "webhookEvent": "jira:issue_updated",
        "user": user(fake_jira, "bob"),
        "issue": {"id": "10000", "key": "PLAT-1", "fields": {"labels": ["interrupt", pending["marker"]]}},
        "changelog": {"id": "1", "items": [change("status", TO_DO, IN_PROGRESS)]},
    }
    assert (await sync.post_jira(payload, identifier="wh-early")).json()["outcome"] == "recorded"
    await sync.drain()
    [ticket] = sync.rows("tickets")
    assert ticket["jira_key"] == "PLAT-1"
    moves = [m for m in bot_posts(fake_slack, ts) if "moved from" in str(m["text"])]
    assert len(moves) == 1
