"""New tickets are assigned in Jira to whoever is on call, and the redirect reply names the handle."""

from __future__ import annotations

import json
from typing import Any

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.conftest import Bridge, FakeClock
from tests.oncall.conftest import CHANNEL, MakeBridge, berlin, example_template, settle
from tests.payloads import reaction_added

WEDNESDAY_MORNING = berlin("2026-01-14 10:00")  # Carol's shift, within support hours
SATURDAY = berlin("2026-01-17 11:00")  # Carol's shift, outside support hours


def assignments(jira: FakeJira) -> list[tuple[str, dict[str, Any]]]:
    return [
        (r.path, json.loads(r.body))
        for r in jira.requests
        if r.method == "PUT" and r.path.endswith("/assignee")
    ]


def assignee_of(jira: FakeJira, key: str) -> str | None:
    with jira.lock:
        user = jira.state.issues_by_key[key].assignee
    return user.name if user is not None else None


async def raise_ticket(bridge: Bridge, fake_slack: FakeSlack, text: str, *, reaction: str = "ticket") -> str:
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", text)
    await bridge.post_event(reaction_added(channel=CHANNEL, ts=ts, user="U0BOB", reaction=reaction))
    await settle(bridge)
    return ts


def bot_replies(fake_slack: FakeSlack, ts: str) -> list[dict[str, Any]]:
    return [m for m in fake_slack.thread(CHANNEL, ts) if m.get("bot_id")]


async def test_cloud_ticket_is_assigned_by_account_id(
    make_bridge: MakeBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    clock = FakeClock()
    clock.now = WEDNESDAY_MORNING
    bridge = await make_bridge(clock=clock)
    await raise_ticket(bridge, fake_slack, "Runners are out of disk")
    with fake_jira.lock:
        carol = next(u for u in fake_jira.state.users if u.name == "carol")
    assert assignments(fake_jira) == [("/rest/api/2/issue/PLAT-1/assignee", {"accountId": carol.account_id})]
    assert assignee_of(fake_jira, "PLAT-1") == "carol"


async def test_data_center_ticket_is_assigned_by_name(
    make_bridge: MakeBridge, fake_slack: FakeSlack, dc_jira: FakeJira
) -> None:
    clock = FakeClock()
    clock.now = berlin("2026-01-20 10:00")  # alice@example.com's shift: a member given by email
    bridge = await make_bridge(clock=clock, jira=dc_jira)
    await raise_ticket(bridge, fake_slack, "Vault is sealed")
    assert assignments(dc_jira) == [("/rest/api/2/issue/PLAT-1/assignee", {"name": "alice"})]
    assert assignee_of(dc_jira, "PLAT-1") == "alice"


async def test_no_jira_account_leaves_the_ticket_unassigned_and_says_so(
    make_bridge: MakeBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    fake_slack.add_user("U0DAVE", "dave", "Dave Jones", email="dave@example.com")  # not in Jira
    template = example_template(overrides=[{"from": "2026-01-14", "to": "2026-01-14", "person": "U0DAVE"}])
    clock = FakeClock()
    clock.now = WEDNESDAY_MORNING
    bridge = await make_bridge(template=template, clock=clock)
    ts = await raise_ticket(bridge, fake_slack, "DNS is flaky")

    assert assignments(fake_jira) == []
    assert assignee_of(fake_jira, "PLAT-1") is None
    redirect, note = bot_replies(fake_slack, ts)  # the note comes after the redirect reply
    assert "PLAT-1" in redirect["text"]
    assert note["text"] == "No Jira account matches <@U0DAVE>, who is on call; PLAT-1 is left unassigned."
    assert [j for j in bridge.rows("jobs") if j["state"] == "dead"] == []


async def test_team_without_rotation_gets_no_assignment(
    make_bridge: MakeBridge, fake_slack: FakeSlack, fake_jira: FakeJira
) -> None:
    clock = FakeClock()
    clock.now = WEDNESDAY_MORNING
    bridge = await make_bridge(clock=clock)
    ts = fake_slack.post_user_message("C0NETSUP", "U0ALICE", "VPN drops every hour")
    await bridge.post_event(reaction_added(channel="C0NETSUP", ts=ts, user="U0BOB"))
    await settle(bridge)
    assert assignments(fake_jira) == []
    assert not [j for j in bridge.rows("jobs") if j["kind"] == "ticket.assign"]
    [reply] = [m for m in fake_slack.thread("C0NETSUP", ts) if m.get("bot_id")]
    assert "for the Networking team to pick up" in reply["text"]


# -- the redirect reply --------------------------------------------------------------------------------
async def test_redirect_pages_the_handle_within_support_hours(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    clock = FakeClock()
    clock.now = WEDNESDAY_MORNING
    bridge = await make_bridge(clock=clock)
    ts = await raise_ticket(bridge, fake_slack, "Grafana is down")
    [reply] = bot_replies(fake_slack, ts)
    assert "for <!subteam^S0PLATONCALL> to pick up" in reply["text"]
    assert "The team answers" not in reply["text"]


async def test_redirect_outside_support_hours_says_when_and_how_to_escalate(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    clock = FakeClock()
    clock.now = SATURDAY
    bridge = await make_bridge(clock=clock)
    ts = await raise_ticket(bridge, fake_slack, "How do I rotate my token?")
    [reply] = bot_replies(fake_slack, ts)
    text = reply["text"]
    assert "<!subteam^" not in text  # nobody is paged for a question on a Saturday
    assert "for @platform-oncall to pick up" in text
    assert "The team answers Mon\u2013Fri 09:00\u201317:00 Europe/Berlin; next from Mon 19 Jan 09:00" in text
    assert "If it cannot wait, mention @platform-oncall here." in text


async def test_urgent_bucket_pages_the_handle_outside_support_hours(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    clock = FakeClock()
    clock.now = SATURDAY
    bridge = await make_bridge(clock=clock)
    ts = await raise_ticket(bridge, fake_slack, "Payments API returns 503", reaction="rotating_light")
    [reply] = bot_replies(fake_slack, ts)
    assert "for <!subteam^S0PLATONCALL> to pick up" in reply["text"]
    assert "as this is urgent, on call has been paged" in reply["text"]


async def test_redirect_with_a_usergroup_handle_resolves_its_id(
    make_bridge: MakeBridge, fake_slack: FakeSlack
) -> None:
    clock = FakeClock()
    clock.now = WEDNESDAY_MORNING
    bridge = await make_bridge(template=example_template(usergroup="platform-oncall"), clock=clock)
    ts = await raise_ticket(bridge, fake_slack, "Artifactory quota exceeded")
    [reply] = bot_replies(fake_slack, ts)
    assert "for <!subteam^S0PLATONCALL> to pick up" in reply["text"]
