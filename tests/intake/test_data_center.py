"""The same intake against Jira Data Center: PAT auth, `name` users, `/search` with startAt."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import httpx
import pytest

from app.config.loader import load_template
from app.main import create_served_app
from app.runtime import Runtime
from app.sandbox.fake_jira import DEFAULT_PAT, FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import Fault
from tests.conftest import EXAMPLE_TEMPLATE, Bridge, FakeClock, _fake_jira, connections_for, make_settings
from tests.intake.test_reaction_intake import CHANNEL, bot_replies, creates
from tests.payloads import reaction_added


@pytest.fixture
def dc_jira() -> Iterator[FakeJira]:
    fake = _fake_jira("datacenter", None)  # the Cloud OpenAPI spec does not describe Data Center
    yield fake
    fake.stop()


@pytest.fixture
async def dc_bridge(database_url: str, fake_slack: FakeSlack, dc_jira: FakeJira) -> AsyncIterator[Bridge]:
    clock = FakeClock()
    template = load_template(EXAMPLE_TEMPLATE)
    connections = replace(
        connections_for(fake_slack, dc_jira), jira_email=None, jira_api_token=None, jira_pat=DEFAULT_PAT
    )
    runtime = Runtime(
        settings=make_settings(database_url),
        template=lambda: template,
        connections=connections,
        run_worker=False,
        clock=clock,
    )
    app = create_served_app(runtime)
    await runtime.start()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bridge.test"
    ) as client:
        yield Bridge(runtime, client, clock)
    await runtime.stop()


async def test_data_center_ticket_with_reporter_name_and_marker_search(
    dc_bridge: Bridge, fake_slack: FakeSlack, dc_jira: FakeJira
) -> None:
    dc_jira.add_fault(Fault(r"^/rest/api/2/issue$", method="POST", times=1, reset_after_handler=True))
    ts = fake_slack.post_user_message(CHANNEL, "U0ALICE", "Nexus proxy is returning 502")
    await dc_bridge.post_event(reaction_added(channel=CHANNEL, ts=ts))
    await dc_bridge.drain()
    [create] = creates(dc_jira)
    assert json.loads(json.dumps(create))["fields"]["reporter"] == {"name": "alice"}
    assert len(dc_jira.issues()) == 1
    assert dc_jira.calls("GET", r"^/rest/api/2/search$"), "Data Center searches /search, not /search/jql"
    assert len(bot_replies(fake_slack, ts)) == 1
