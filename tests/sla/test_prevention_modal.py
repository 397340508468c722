"""The resolver's "Add a prevention note" button: modal, inline errors, one Jira comment and the label."""

from __future__ import annotations

from typing import Any

import httpx

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.slack.ids import ActionId, CallbackId
from app.slack.prevention import NOTE_BLOCK, PREVENTION_NOTE_JOB, note_errors
from app.worker.sync_context import SyncJobKind
from tests.intake.test_modal_flows import opened, send
from tests.payloads import block_actions, view_submission
from tests.sla.conftest import CHANNEL, SyncBridge


async def resolve(sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira) -> tuple[dict[str, Any], str]:
    """A tracked ticket resolved in Jira: the ticket row and the prompt's button value."""
    ticket = await sync.raise_ticket(fake_slack)
    await sync.resolve_in_jira(fake_jira, ticket)
    await sync.drain()
    [prompt] = [
        m for m in fake_slack.thread(CHANNEL, ticket["message_ts"]) if "prevent a repeat" in m["text"]
    ]
    [button] = [e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return ticket, str(button["value"])


async def click(sync: SyncBridge, value: str, *, user: str = "U0BOB") -> httpx.Response:
    payload = block_actions(user=user, action_id=ActionId.prevention_note, value=value, channel=CHANNEL)
    return await send(sync, payload)


async def submit_note(
    sync: SyncBridge, view: dict[str, Any], text: str, *, user: str = "U0BOB"
) -> httpx.Response:
    values = {NOTE_BLOCK: {ActionId.prevention_input.value: {"type": "plain_text_input", "value": text}}}
    submitted = {k: view[k] for k in ("blocks", "callback_id", "private_metadata")}
    body = view_submission(user=user, view={**submitted, "id": "V0P", "hash": "1.p"}, values=values)
    return await send(sync, body)


def test_the_slack_job_name_is_the_workers() -> None:
    assert SyncJobKind.PREVENTION_NOTE.value == PREVENTION_NOTE_JOB


def test_note_validation() -> None:
    assert note_errors("   ") == {NOTE_BLOCK: "Please write what would prevent a repeat."}
    assert "at least" in note_errors("n/a")[NOTE_BLOCK]
    assert note_errors("Alert on runner disk usage at 80 %") == {}


async def test_button_opens_the_modal_and_the_note_lands_on_the_ticket_once(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    ticket, value = await resolve(sync, fake_slack, fake_jira)
    assert (await click(sync, value)).status_code == 200
    [view] = opened(fake_slack)
    assert view["callback_id"] == CallbackId.prevention_modal.value
    assert ticket["jira_key"] in view["blocks"][0]["text"]["text"]

    response = await submit_note(sync, view, "Alert on *cache* usage at 80%")
    assert (response.status_code, response.content) == (200, b"")
    again = await submit_note(sync, view, "Alert on *cache* usage at 80%")  # Slack retried the delivery
    assert again.status_code == 200
    await sync.drain()
    notes = [c for c in fake_jira.comments(ticket["jira_key"]) if c.startswith("*Prevention note*")]
    assert notes == ["*Prevention note* from Bob Okafor in Slack: Alert on \\*cache\\* usage at 80\\%"]
    assert "prevention-noted" in fake_jira.issue(ticket["jira_key"])["fields"]["labels"]
    assert len(sync.jobs_of(PREVENTION_NOTE_JOB)) == 1


async def test_an_empty_or_short_note_comes_back_on_the_field(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    _, value = await resolve(sync, fake_slack, fake_jira)
    await click(sync, value)
    [view] = opened(fake_slack)
    response = await submit_note(sync, view, "ok")
    assert response.json()["response_action"] == "errors"
    assert "at least" in response.json()["errors"][NOTE_BLOCK]
    assert sync.jobs_of(PREVENTION_NOTE_JOB) == []


async def test_a_form_opened_by_someone_else_or_tampered_is_refused(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    _, value = await resolve(sync, fake_slack, fake_jira)
    await click(sync, value)
    [view] = opened(fake_slack)
    other = await submit_note(sync, view, "Alert on runner disk usage", user="U0CAROL")
    assert "someone else" in other.json()["errors"][NOTE_BLOCK]
    tampered = {**view, "private_metadata": view["private_metadata"][:-2] + "AA"}
    bad = await submit_note(sync, tampered, "Alert on runner disk usage")
    assert "could not be verified" in bad.json()["errors"][NOTE_BLOCK]
    assert sync.jobs_of(PREVENTION_NOTE_JOB) == []


async def test_a_forged_button_opens_nothing(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    _, value = await resolve(sync, fake_slack, fake_jira)
    assert (await click(sync, value[:-3] + "xyz")).status_code == 200
    assert opened(fake_slack) == []
    assert any("could not be verified" in e["text"] for e in fake_slack.ephemerals)


async def test_a_ticket_answered_by_the_faq_is_not_asked_for_a_prevention_note(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    from app.store import faq as faq_store

    ticket = await sync.raise_ticket(fake_slack)
    with sync.runtime.engine.begin() as conn:
        assert faq_store.claim_deflection(
            conn, ticket["id"], entry_id="disk", user_id="U0ALICE", now=sync.clock()
        )
    await sync.resolve_in_jira(fake_jira, ticket, identifier="wh-faq-resolved")
    await sync.drain()
    assert "white_check_mark" in [r["name"] for r in fake_slack.reactions(CHANNEL, ticket["message_ts"])]
    assert not any("prevent a repeat" in m["text"] for m in fake_slack.thread(CHANNEL, ticket["message_ts"]))


async def test_an_expired_trigger_is_acknowledged_and_the_resolver_told(
    sync: SyncBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    _, value = await resolve(sync, fake_slack, fake_jira)
    fake_slack.expired_trigger_ids.add("111.444.valid")  # block_actions' trigger in tests.payloads
    assert (await click(sync, value)).status_code == 200
    assert len(opened(fake_slack)) == 1  # called once; Slack refused the trigger
    assert any("try again" in e["text"] for e in fake_slack.ephemerals)
