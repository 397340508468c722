"""Shadows at handoff and on tickets: the group holds lead and shadow, both are briefed in their role,
the handoff names both, and tickets go to the lead with the shadow watching."""

from __future__ import annotations

from typing import Any

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.conftest import FakeClock
from tests.oncall.conftest import (
    MakeBridge,
    berlin,
    dms,
    example_template,
    group_users,
    handoff_posts,
    jobs_in,
    settle,
)
from tests.oncall.test_assign import assignee_of, raise_ticket
from tests.specs.slack_spec import request_args

HANDOFF_TO_CAROL = "2026-01-12 09:00"


async def test_handoff_with_a_shadow_sets_both_briefs_both_and_names_both(
    make_bridge: MakeBridge, fake_slack: FakeSlack, slack_checker: Any
) -> None:
    template = example_template(shadows=[{"shift_start": "2026-01-12", "person": "U0ALICE"}])
    clock = FakeClock()
    clock.now = berlin(HANDOFF_TO_CAROL) + 30
    bridge = await make_bridge(template=template, clock=clock)
    await bridge.runtime.scheduler.tick()
    await settle(bridge)
    await bridge.runtime.scheduler.tick()  # a second tick (another replica) changes nothing
    await settle(bridge)

    [request] = [r for r in fake_slack.requests if r.path == "/api/usergroups.users.update"]
    assert request_args(request) == {"usergroup": "S0PLATONCALL", "users": "U0CAROL,U0ALICE"}
    if slack_checker is not None:
        assert slack_checker(request) == []
    assert group_users(fake_slack) == ["U0CAROL", "U0ALICE"]

    [post] = handoff_posts(fake_slack)
    assert "<@U0CAROL> is on call now, with <@U0ALICE> shadowing, taking over from <@U0BOB>" in post["text"]
    [lead_dm] = dms(fake_slack, "U0CAROL")
    assert "You *lead* this shift; <@U0ALICE> *shadows* you" in lead_dm["text"]
    [shadow_dm] = dms(fake_slack, "U0ALICE")
    assert shadow_dm["text"].startswith(":eyes: You *shadow* <@U0CAROL>, who leads *Platform* on call")
    [record] = bridge.rows("handoffs")
    assert record["shadow_user"] == "U0ALICE"
    assert record["shadow_briefing_ts"] == shadow_dm["ts"]
    assert jobs_in(bridge, "dead") == []


async def test_reverse_shadow_handoff_tells_each_their_role(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    # the new member leads the 12 Jan shift at once; Carol, who was due, backs them up
    onboarding = {
        "new_members": ["U0ALICE"],
        "from": "2026-01-12",
        "shadow_shifts": 0,
        "reverse_shadow_shifts": 1,
    }
    template = example_template(onboarding=onboarding)
    clock = FakeClock()
    clock.now = berlin(HANDOFF_TO_CAROL) + 30
    bridge = await make_bridge(template=template, clock=clock)
    await bridge.runtime.scheduler.tick()
    await settle(bridge)

    assert group_users(fake_slack) == ["U0ALICE", "U0CAROL"]
    [post] = handoff_posts(fake_slack)
    assert "<@U0ALICE> is on call now, with <@U0CAROL> as reverse shadow" in post["text"]
    [lead_dm] = dms(fake_slack, "U0ALICE")
    assert "<@U0CAROL> is your *reverse shadow*" in lead_dm["text"]
    [shadow_dm] = dms(fake_slack, "U0CAROL")
    assert shadow_dm["text"].startswith(":eyes: You are the *reverse shadow* of <@U0ALICE>")


async def test_ticket_goes_to_the_lead_and_the_shadow_watches_it_on_cloud(
    make_bridge: MakeBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    template = example_template(shadows=[{"shift_start": "2026-01-12", "person": "alice@example.com"}])
    clock = FakeClock()
    clock.now = berlin("2026-01-14 10:00")
    bridge = await make_bridge(template=template, clock=clock)
    await raise_ticket(bridge, fake_slack, "Runners are out of disk")

    assert assignee_of(fake_jira, "PLAT-1") == "carol"
    with fake_jira.lock:
        alice = next(u for u in fake_jira.state.users if u.name == "alice")
    [watch] = fake_jira.calls("POST", r"/issue/PLAT-1/watchers$")
    assert watch.body == f'"{alice.account_id}"'.encode()  # Cloud: the bare accountId as a JSON string
    assert fake_jira.watchers("PLAT-1") == ["alice"]


async def test_data_center_watcher_is_added_by_name(
    make_bridge: MakeBridge, fake_slack: FakeSlack, dc_jira: FakeJira
) -> None:
    template = example_template(shadows=[{"shift_start": "2026-01-12", "person": "U0ALICE"}])
    clock = FakeClock()
    clock.now = berlin("2026-01-14 10:00")
    bridge = await make_bridge(template=template, clock=clock, jira=dc_jira)
    await raise_ticket(bridge, fake_slack, "Vault is sealed")

    assert assignee_of(dc_jira, "PLAT-1") == "carol"
    [watch] = dc_jira.calls("POST", r"/issue/PLAT-1/watchers$")
    assert watch.body == b'"alice"'
    assert dc_jira.watchers("PLAT-1") == ["alice"]


def test_slash_oncall_summary_shows_lead_and_shadow() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.domain.oncall_text import oncall_summary

    onboarding = {
        "new_members": ["U0DAVE"],
        "from": "2026-01-12",
        "shadow_shifts": 1,
        "reverse_shadow_shifts": 1,
    }
    summary = oncall_summary(
        example_template(onboarding=onboarding),
        "platform",
        datetime(2026, 1, 14, 10, tzinfo=ZoneInfo("Europe/Berlin")),
    )
    first, following, _ = summary.splitlines()
    assert first.startswith("*Platform* on call: <@U0CAROL> (shadow: <@U0DAVE>) until Mon 19 Jan 09:00")
    assert following == (
        "Next: <@U0DAVE> (reverse shadow: alice@example.com) from Mon 19 Jan 09:00 Europe/Berlin."
    )


def test_cli_oncall_lists_lead_and_shadow() -> None:
    import argparse
    import io
    from datetime import UTC, datetime

    from app.cli.oncall import oncall

    rotation = (
        example_template(
            onboarding={
                "new_members": ["U0DAVE"],
                "from": "2026-01-12",
                "shadow_shifts": 1,
                "reverse_shadow_shifts": 1,
            }
        )
        .team("platform")
        .rotation
    )
    assert rotation is not None
    out = io.StringIO()
    args = argparse.Namespace(team=None, next=2, at=datetime(2026, 1, 14, 9, tzinfo=UTC))
    assert oncall(args, [("platform", rotation)], out=out) == 0
    rows = out.getvalue().splitlines()
    assert "U0CAROL (shadow U0DAVE)" in rows[1]
    assert "U0DAVE (reverse shadow alice@example.com)" in rows[2]
    assert "U0BOB" in rows[3]
    assert "shadow" not in rows[3]
