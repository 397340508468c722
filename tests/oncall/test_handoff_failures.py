"""Failures are visible, not fatal: one operator alert per problem, and the rotation goes on."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import Fault
from tests.conftest import Bridge, FakeClock
from tests.oncall.conftest import (
    MakeBridge,
    alerts,
    berlin,
    dms,
    example_template,
    group_users,
    handoff_posts,
    jobs_in,
    settle,
)

HANDOFF_TO_CAROL = berlin("2026-01-12 09:00")


async def hand_over(bridge: Bridge, at: float) -> None:
    """Tick and run what is due at `at`, then tick and run again (a second replica, or the next tick)."""
    bridge.clock.now = at
    for _ in range(2):
        await bridge.runtime.scheduler.tick()
        await settle(bridge)


def operator_alerts(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "on call needs an operator"]


@pytest.mark.parametrize("error", ["permission_denied", "plan_upgrade_required"])
async def test_usergroup_refused_alerts_once_and_the_handoff_goes_on(
    make_bridge: MakeBridge, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    # Slack refuses every user-group call, listing and update alike.
    fake_slack.add_fault(
        Fault(r"^/api/usergroups\.", status=200, body={"ok": False, "error": error}, times=100)
    )
    # and the first handoff attempt fails afterwards, so the job runs (and meets the refusal) twice
    fake_slack.add_fault(Fault(r"^/api/chat\.postMessage$", status=503, times=1))
    caplog.set_level(logging.ERROR)
    bridge = await make_bridge(clock=FakeClock())
    await hand_over(bridge, HANDOFF_TO_CAROL + 1)

    [alert] = alerts(fake_slack)
    assert f"`{error}`" in alert["text"]
    assert "The rotation and ticket assignment go on" in alert["text"]
    assert len(operator_alerts(caplog)) == 1
    [post] = handoff_posts(fake_slack)
    assert "<@U0CAROL> is on call now" in post["text"]
    assert "Handle:" not in post["text"]  # the handle does not reach Carol
    assert len(dms(fake_slack, "U0CAROL")) == 1
    assert group_users(fake_slack) == ["U0BOB"]  # unchanged: Slack refused
    assert jobs_in(bridge, "dead") == []
    [handoff] = [j for j in jobs_in(bridge, "done") if j["kind"] == "oncall.handoff"]
    assert handoff["attempts"] == 2  # met the refusal twice, alerted once


@pytest.mark.parametrize("usergroup", ["S0NOSUCHGROUP", "nosuch-oncall"])
async def test_missing_usergroup_alerts_once(
    make_bridge: MakeBridge, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture, usergroup: str
) -> None:
    caplog.set_level(logging.ERROR)
    bridge = await make_bridge(template=example_template(usergroup=usergroup), clock=FakeClock())
    await hand_over(bridge, HANDOFF_TO_CAROL + 1)

    [alert] = alerts(fake_slack)
    assert "`no_such_subteam`" in alert["text"]
    assert len(operator_alerts(caplog)) == 1
    assert len(handoff_posts(fake_slack)) == 1
    assert fake_slack.calls("usergroups.users.update") == []
    assert jobs_in(bridge, "dead") == []


async def test_update_refused_for_a_deleted_group_alerts_once(
    make_bridge: MakeBridge, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    # The group is listed, then gone by the time of the update.
    fake_slack.add_fault(
        Fault(r"^/api/usergroups\.users\.update$", status=200, body={"ok": False, "error": "no_such_subteam"})
    )
    caplog.set_level(logging.ERROR)
    bridge = await make_bridge(clock=FakeClock())
    await hand_over(bridge, HANDOFF_TO_CAROL + 1)
    [alert] = alerts(fake_slack)
    assert "`no_such_subteam`" in alert["text"]
    assert len(operator_alerts(caplog)) == 1
    assert jobs_in(bridge, "dead") == []


def leave_slack(fake_slack: FakeSlack, user_id: str) -> None:
    with fake_slack.lock:
        user = fake_slack.state.users[user_id]
        fake_slack.state.users[user_id] = dataclasses.replace(user, deleted=True)


async def test_member_who_left_slack_is_skipped_with_a_warning(
    make_bridge: MakeBridge, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    leave_slack(fake_slack, "U0CAROL")
    caplog.set_level(logging.WARNING)
    bridge = await make_bridge(clock=FakeClock())
    await hand_over(bridge, HANDOFF_TO_CAROL + 1)

    # Carol's shift goes to the next member in rotation order, alice@example.com.
    assert group_users(fake_slack) == ["U0ALICE"]
    [post] = handoff_posts(fake_slack)
    assert "<@U0ALICE> is on call now" in post["text"]
    assert ":warning: <@U0CAROL> is no longer in Slack and was skipped." in post["text"]
    skipped = [r for r in caplog.records if r.getMessage() == "on-call member is no longer in Slack; skipped"]
    assert skipped
    assert all(r.levelno == logging.WARNING for r in skipped)
    assert alerts(fake_slack) == []
    assert jobs_in(bridge, "dead") == []


async def test_member_email_without_slack_account_is_skipped(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    template = example_template(members=["U0BOB", "U0CAROL", "gone@example.com"])
    bridge = await make_bridge(template=template, clock=FakeClock())
    await hand_over(bridge, berlin("2026-01-19 09:00") + 1)
    assert group_users(fake_slack) == ["U0BOB"]
    [post] = handoff_posts(fake_slack)
    assert "gone@example.com is no longer in Slack and was skipped" in post["text"]


async def test_nobody_reachable_alerts_once_and_does_not_crash(
    make_bridge: MakeBridge, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    for user in ("U0BOB", "U0CAROL", "U0ALICE"):
        leave_slack(fake_slack, user)
    caplog.set_level(logging.ERROR)
    bridge = await make_bridge(clock=FakeClock())
    await hand_over(bridge, HANDOFF_TO_CAROL + 1)
    [alert] = alerts(fake_slack)
    assert "`nobody_reachable`" in alert["text"]
    assert len(operator_alerts(caplog)) == 1
    assert handoff_posts(fake_slack) == []
    assert group_users(fake_slack) == ["U0BOB"]
    assert jobs_in(bridge, "dead") == []
