"""Under a burst, a ticket's follow-ups (reply, link, reaction) go before creates requested later."""

from __future__ import annotations

from app.sandbox.fake_slack import FakeSlack
from app.store import jobs as job_store
from tests.conftest import Bridge
from tests.intake.test_reaction_intake import CHANNEL
from tests.payloads import reaction_added


async def test_follow_ups_are_due_from_the_request_time(bridge: Bridge, fake_slack: FakeSlack) -> None:
    first = fake_slack.post_user_message(CHANNEL, "U0ALICE", "first request")
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=first))
    bridge.clock.advance(10)
    second = fake_slack.post_user_message(CHANNEL, "U0ALICE", "second request")
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=second))

    bridge.clock.advance(5)  # the first create runs after the second request arrived
    engine, clock, owner = bridge.runtime.engine, bridge.clock, bridge.runtime.worker.owner
    [create_first] = job_store.claim(engine, owner=owner, limit=1, now=clock(), lease_s=60)
    await bridge.runtime.worker._execute(create_first)  # as a worker holding that claim
    # the next claims take the first ticket's follow-ups before the second ticket's create
    following = job_store.claim(engine, owner=owner, limit=3, now=clock(), lease_s=60)
    assert sorted(job.kind for job in following) == ["ticket.link", "ticket.react", "ticket.reply"]
