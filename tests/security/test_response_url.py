"""`response_url` is never called on a host the request names: the bridge does not call it at all.

Slash-command answers travel in the HTTP response itself (an ephemeral ack) and later messages go
through the Web API at `SLACK_API_URL` (chat.postEphemeral, chat.postMessage), so a forged
`response_url` (only possible with the signing secret anyway) cannot make the service send
anything anywhere. Two checks keep it so: no code outside the sandbox reads `response_url`
(a future use must come with a host allow-list, hooks.slack.com, and its own test here), and a
run of every kind of delivery carrying a `response_url` to a listening host sends it nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import FakeRequest, FakeResponse, HTTPFake
from tests.conftest import Bridge
from tests.payloads import SIGNING_SECRET, block_actions, form_body, global_shortcut, sign, slash_command_form

APP = Path(__file__).resolve().parents[2] / "app"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


READS = re.compile(r"""(\.get\(\s*|\[\s*|getattr\([^,]+,\s*)["']response_url["']""")


def test_no_code_outside_the_sandbox_reads_response_url() -> None:
    users = [
        str(p.relative_to(APP.parent))
        for p in APP.rglob("*.py")
        if "sandbox" not in p.parts and READS.search(p.read_text())
    ]
    assert READS.search('payload.get("response_url")')
    assert READS.search("fields['response_url']")
    assert users == [], "calling response_url needs an allow-list of Slack's hosts (hooks.slack.com) first"


async def test_deliveries_naming_a_foreign_response_url_send_it_nothing(
    bridge: Bridge, fake_slack: FakeSlack
) -> None:
    listener = HTTPFake()
    listener.route("POST", "/.*", lambda request: FakeResponse(200, {"ok": True}))
    listener.start()
    try:
        foreign = f"{listener.base_url}/commands/T0/1/steal"
        for text in ("help", "oncall", "the build is broken"):
            body = slash_command_form(
                command="/interrupt",
                text=text,
                user_id="U0ALICE",
                channel_id="C0PLATSUP",
                response_url=foreign,
                trigger_id="111.555.valid",
            )
            response = await bridge.client.post(
                "/slack/events", content=body, headers={**FORM, **sign(body, secret=SIGNING_SECRET)}
            )
            assert response.status_code == 200
        for payload in (
            global_shortcut(user="U0ALICE"),
            block_actions(user="U0ALICE", action_id="ib_open_modal"),
        ):
            payload["response_url"] = foreign
            body = form_body(payload)
            response = await bridge.client.post("/slack/events", content=body, headers={**FORM, **sign(body)})
            assert response.status_code in (200, 400)
        await bridge.drain()
        received: list[FakeRequest] = list(listener.requests)
        assert received == []
    finally:
        listener.stop()
