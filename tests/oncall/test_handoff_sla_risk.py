"""The handoff message lists the open tickets at SLA risk, so the incoming person starts with them."""

from __future__ import annotations

from datetime import UTC, datetime

from app.config.sla import SlaTarget
from app.domain.sla import AroundTheClock, SlaClock, sla_clock
from app.domain.sla_risk import at_risk
from app.sandbox.fake_slack import FakeSlack
from tests.conftest import FakeClock
from tests.oncall.conftest import CHANNEL, MakeBridge, berlin, example_template, handoff_posts, settle
from tests.payloads import reaction_added

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TARGET = SlaTarget.model_validate({"first_response": "1h", "resolution": "10h", "clock": "24x7"})


def clock_at(minutes: float, *, responded_after: float | None = None) -> SlaClock:
    now = START.timestamp() + minutes * 60
    responded = (
        datetime.fromtimestamp(START.timestamp() + responded_after * 60, UTC)
        if responded_after is not None
        else None
    )
    return sla_clock(
        TARGET,
        AroundTheClock(),
        started_at=START,
        now=datetime.fromtimestamp(now, UTC),
        first_response_at=responded,
    )


def test_at_risk_takes_the_most_advanced_unmet_target_and_sorts_by_it() -> None:
    found = at_risk(
        [
            ("PLAT-1", "u1", clock_at(30)),  # first response at 50 %: fine
            ("PLAT-2", "u2", clock_at(50)),  # first response at 83 %: at risk
            ("PLAT-3", "u3", clock_at(90)),  # first response overdue
            ("PLAT-4", "u4", clock_at(500, responded_after=10)),  # answered; resolution at 83 %
            ("PLAT-5", None, None),  # no SLA for its priority
        ],
        threshold=0.75,
    )
    assert [(r.key, r.target, r.breached) for r in found] == [
        ("PLAT-3", "first_response", True),
        ("PLAT-2", "first_response", False),
        ("PLAT-4", "resolution", False),
    ]


def test_nothing_is_at_risk_below_the_threshold() -> None:
    assert at_risk([("PLAT-1", "u", clock_at(50))], threshold=0.9) == []


async def test_handoff_message_names_the_tickets_at_sla_risk(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    clock = FakeClock()
    clock.now = berlin("2026-01-08 11:00")  # Thursday, during Bob's shift
    bridge = await make_bridge(clock=clock)
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "The artifact cache returns 500s")
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0CAROL"))
    await settle(bridge)

    clock.now = berlin("2026-01-12 09:00") + 10
    await bridge.runtime.scheduler.tick()
    await settle(bridge)
    [post] = handoff_posts(fake_slack)
    # a Low question: first response due one support day (8 h) later, Fri 9 Jan 11:00 Berlin
    assert ":hourglass_flowing_sand: *1 ticket at SLA risk*: <" in post["text"]
    assert "|PLAT-1> (first response overdue since Fri 9 Jan 11:00 Europe/Berlin)." in post["text"]


async def test_without_sla_targets_the_handoff_message_has_no_risk_line(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    template = example_template()
    template = template.model_copy(update={"sla": type(template.sla)()})
    clock = FakeClock()
    clock.now = berlin("2026-01-08 11:00")
    bridge = await make_bridge(clock=clock, template=template)
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "The artifact cache returns 500s")
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0CAROL"))
    await settle(bridge)
    clock.now = berlin("2026-01-12 09:00") + 10
    await bridge.runtime.scheduler.tick()
    await settle(bridge)
    [post] = handoff_posts(fake_slack)
    assert "SLA risk" not in post["text"]
