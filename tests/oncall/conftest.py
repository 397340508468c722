"""On-call fixtures: bridges on the fakes with a chosen template, clock and Jira deployment.

The example template's platform rotation is weekly from Mon 5 Jan 2026 09:00 Europe/Berlin (08:00
UTC): U0BOB, then U0CAROL (from 12 Jan), then alice@example.com (from 19 Jan), then U0BOB again.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from app.config.template import Template
from app.main import create_app
from app.runtime import Runtime
from app.sandbox.fake_jira import DEFAULT_PAT, FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.conftest import EXAMPLE_TEMPLATE, Bridge, FakeClock, _fake_jira, connections_for, make_settings

BERLIN = ZoneInfo("Europe/Berlin")
CHANNEL = "C0PLATSUP"


def berlin(text: str) -> float:
    """Epoch seconds of a wall-clock time in Berlin, e.g. '2026-01-14 10:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp()


def example_template(**platform_rotation: Any) -> Template:
    """The example template, with the platform rotation's keys replaced by `platform_rotation`."""
    raw = yaml.safe_load(EXAMPLE_TEMPLATE.read_text(encoding="utf-8"))
    raw["teams"][0]["rotation"].update(platform_rotation)
    return Template.model_validate(raw)


class MakeBridge(Protocol):
    def __call__(
        self,
        *,
        template: Template | None = ...,
        clock: FakeClock | None = ...,
        jira: FakeJira | None = ...,
    ) -> Awaitable[Bridge]: ...


@pytest.fixture
def dc_jira() -> Iterator[FakeJira]:
    fake = _fake_jira("datacenter", None)  # the Cloud OpenAPI spec does not describe Data Center
    yield fake
    fake.stop()


@pytest.fixture
async def make_bridge(
    database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira
) -> AsyncIterator[MakeBridge]:
    """Start bridges (replicas, when called twice) on one database; a hand-driven worker each."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(
            *, template: Template | None = None, clock: FakeClock | None = None, jira: FakeJira | None = None
        ) -> Bridge:
            chosen = template if template is not None else example_template()
            connections = connections_for(fake_slack, jira or fake_jira)
            if jira is not None and jira.deployment == "datacenter":
                connections = replace(connections, jira_email=None, jira_api_token=None, jira_pat=DEFAULT_PAT)
            hands = clock or FakeClock()
            runtime = Runtime(
                settings=make_settings(database_url),
                template=lambda: chosen,
                connections=connections,
                run_worker=False,
                clock=hands,
            )
            await runtime.start()
            stack.push_async_callback(runtime.stop)
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://bridge.test"
            )
            await stack.enter_async_context(client)
            return Bridge(runtime, client, hands)

        yield make


# -- what Slack saw --------------------------------------------------------------------------------------
def channel_posts(fake_slack: FakeSlack, metadata_type: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [
        m
        for m in fake_slack.messages(channel)
        if (m.get("metadata") or {}).get("event_type") == metadata_type
    ]


def handoff_posts(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return channel_posts(fake_slack, "interrupt_bridge_handoff")


def alerts(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return channel_posts(fake_slack, "interrupt_bridge_alert")


def dms(fake_slack: FakeSlack, user: str) -> list[dict[str, Any]]:
    """The bot's DMs to `user` (the fake opens the DM channel `D` + the user id's rest)."""
    im = f"D{user[1:]}"
    with fake_slack.lock:
        opened = im in fake_slack.state.channels
    return fake_slack.messages(im) if opened else []


def group_users(fake_slack: FakeSlack, group: str = "S0PLATONCALL") -> list[str]:
    with fake_slack.lock:
        return list(fake_slack.state.usergroups[group].users)


def jobs_in(bridge: Bridge, state: str) -> list[dict[str, Any]]:
    return [j for j in bridge.rows("jobs") if j["state"] == state]


async def settle(bridge: Bridge, *, within_s: float = 600.0) -> None:
    """Run the jobs due now, and retries due within `within_s` (moving the clock to them), but not
    the handoffs scheduled for later shifts, which `Bridge.drain` would chase for ever."""
    horizon = bridge.clock() + within_s
    for _ in range(200):
        if await bridge.runtime.worker.run_once():
            continue
        due = bridge.next_due()
        if due is None or due > horizon:
            return
        bridge.clock.advance(max(due - bridge.clock(), 0.0) + 0.001)
    raise AssertionError("jobs did not settle")
