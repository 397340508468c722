"""Growing the FAQ: the candidate emoji on a reply in a ticket's thread proposes it as the answer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import yaml

from app.cli.main import main
from app.config.faq import FaqFile, faq_problems
from app.config.loader import load_template
from app.sandbox.fake_slack import FakeSlack
from tests.conftest import EXAMPLE_TEMPLATE, Bridge
from tests.faq.test_deflection import raise_ticket
from tests.intake.test_reaction_intake import CHANNEL
from tests.payloads import reaction_added

QUESTION = "How do I get a Kafka topic created for the orders service?"
ANSWER = "Open a PR against the kafka-topics repo, <@U0ALICE>; we merge within a day."


async def test_book_reaction_on_a_reply_proposes_it_once(bridge: Bridge, fake_slack: FakeSlack) -> None:
    ts, _ = await raise_ticket(bridge, fake_slack, QUESTION)
    reply_ts = fake_slack.post_user_message(CHANNEL, "U0BOB", ANSWER, thread_ts=ts)
    for user, event_id in (("U0CAROL", "Ev1"), ("U0CAROL", "Ev1"), ("U0CAROL", "Ev2"), ("U0BOB", "Ev3")):
        event = reaction_added(channel=CHANNEL, ts=reply_ts, user=user, reaction="book", event_id=event_id)
        assert (await bridge.post_event(event)).status_code == 200
    await bridge.drain()
    [candidate] = bridge.rows("faq_candidates")
    assert candidate["question"] == QUESTION
    assert (
        candidate["answer"]
        == "Open a PR against the kafka-topics repo, @Alice Liddell; we merge within a day."
    )
    assert candidate["answered_by"] == "U0BOB"
    assert candidate["proposed_by"] in {"U0CAROL", "U0BOB"}  # whoever's reaction came first
    assert candidate["team"] == "platform"
    assert candidate["bucket"] == "question"
    assert candidate["jira_key"] == "PLAT-1"
    assert candidate["state"] == "open"


async def test_book_reaction_elsewhere_proposes_nothing(bridge: Bridge, fake_slack: FakeSlack) -> None:
    ts, _ = await raise_ticket(bridge, fake_slack, QUESTION)
    untracked = fake_slack.post_user_message(CHANNEL, "U0ALICE", "just chatting")
    untracked_reply = fake_slack.post_user_message(CHANNEL, "U0BOB", "an answer", thread_ts=untracked)
    for target, event_id in ((ts, "Ev1"), (untracked, "Ev2"), (untracked_reply, "Ev3")):
        event = reaction_added(channel=CHANNEL, ts=target, user="U0CAROL", reaction="book", event_id=event_id)
        await bridge.post_event(event)
    await bridge.drain()
    assert bridge.rows("faq_candidates") == []
    # and the book emoji never raises a ticket
    assert len(bridge.rows("tickets")) == 1


async def test_a_reply_to_a_private_request_is_never_proposed(bridge: Bridge, fake_slack: FakeSlack) -> None:
    ts, _ = await raise_ticket(bridge, fake_slack, QUESTION)
    with bridge.runtime.engine.begin() as conn:  # as if it came in through "Ask privately"
        conn.execute(sa.text("UPDATE tickets SET source = 'private'"))
    reply_ts = fake_slack.post_user_message(CHANNEL, "U0BOB", ANSWER, thread_ts=ts)
    event = reaction_added(channel=CHANNEL, ts=reply_ts, user="U0CAROL", reaction="book", event_id="Ev1")
    assert (await bridge.post_event(event)).status_code == 200
    await bridge.drain()
    assert bridge.rows("faq_candidates") == []
    assert [j["state"] for j in bridge.rows("jobs") if j["kind"] == "faq.propose"] == ["done"]


async def test_cli_lists_and_exports_candidates_as_template_yaml(
    bridge: Bridge,
    fake_slack: FakeSlack,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BRIDGE_CONFIG", str(EXAMPLE_TEMPLATE))
    assert main(["faq", "candidates"]) == 0
    assert "No open FAQ candidates." in capsys.readouterr().out

    ts, _ = await raise_ticket(bridge, fake_slack, QUESTION)
    reply_ts = fake_slack.post_user_message(CHANNEL, "U0BOB", ANSWER, thread_ts=ts)
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=reply_ts, user="U0CAROL", reaction="book"))
    await bridge.drain()

    assert main(["faq", "candidates"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ID", "TICKET", "TEAM", "BUCKET", "PROPOSED", "QUESTION", "ANSWER"]
    assert "PLAT-1" in table[1]
    assert "platform" in table[1]

    assert main(["faq", "candidates", "--export", "yaml"]) == 0
    exported = yaml.safe_load(capsys.readouterr().out)
    [entry] = FaqFile.model_validate(exported).entries  # the template's own entry model accepts it
    assert entry.question == QUESTION
    assert entry.answer.startswith("Open a PR against the kafka-topics repo")
    assert entry.buckets == ("question",)
    assert entry.team == "platform"
    template = load_template(EXAMPLE_TEMPLATE)
    problems = faq_problems(
        (entry,),
        team_keys={t.key for t in template.teams},
        bucket_keys={b.key for b in template.buckets},
        where="e",
    )
    assert problems == []

    assert main(["faq", "candidates", "--team", "nope"]) == 2
    assert "unknown team 'nope'" in capsys.readouterr().err
