"""A bridge on the fakes whose template routes private requests to a private triage channel.

Alice writes to the bot in her DM `D0ALICE`; the platform team's triage channel `G0PLATTRI` is a
private channel; Carol is on call on Wednesday 14 Jan 2026 (see tests/oncall/conftest.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import yaml

from app.config.template import Template
from app.main import create_served_app
from app.runtime import Runtime
from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from tests.conftest import EXAMPLE_TEMPLATE, Bridge, FakeClock, connections_for, make_settings
from tests.oncall.conftest import berlin
from tests.sla.jira_payloads import WEBHOOK_SECRET

DM = "D0ALICE"
TRIAGE = "G0PLATTRI"
WEDNESDAY_MORNING = berlin("2026-01-14 10:00")


def private_template(**private: Any) -> Template:
    raw = yaml.safe_load(EXAMPLE_TEMPLATE.read_text(encoding="utf-8"))
    raw["private"] = private or {
        "triage_channels": {"platform": TRIAGE},
        "security_levels": {"teams": {"platform": "Staff only"}, "buckets": {"access-request": "10101"}},
    }
    return Template.model_validate(raw)


@pytest.fixture
async def private_bridge(
    database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira
) -> AsyncIterator[Bridge]:
    async with private_bridge_for(database_url, fake_slack, fake_jira, private_template()) as bridge:
        yield bridge


@contextlib.asynccontextmanager
async def private_bridge_for(
    database_url: str, fake_slack: FakeSlack, fake_jira: FakeJira, template: Template
) -> AsyncIterator[Bridge]:
    bot = fake_slack.state.bot_user_id
    fake_slack.add_channel(DM, "", members=[bot, "U0ALICE"], is_im=True)
    fake_slack.add_channel(TRIAGE, "platform-triage", members=[bot, "U0BOB", "U0CAROL"], is_private=True)
    clock = FakeClock()
    clock.now = WEDNESDAY_MORNING
    runtime = Runtime(
        settings=make_settings(database_url, JIRA_WEBHOOK_SECRET=WEBHOOK_SECRET),
        template=lambda: template,
        connections=connections_for(fake_slack, fake_jira),
        run_worker=False,
        clock=clock,
    )
    async with contextlib.AsyncExitStack() as stack:
        await runtime.start()
        stack.push_async_callback(runtime.stop)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_served_app(runtime)), base_url="http://bridge.test"
        )
        await stack.enter_async_context(client)
        yield Bridge(runtime, client, clock)
