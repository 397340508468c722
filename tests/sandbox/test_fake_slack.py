"""The fake Slack Web API, driven by the real slack_sdk clients and checked against Slack's specs."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import FakeRequest, Fault
from tests.specs.shared_dir import SHARED_ENV, SpecsMissingWarning, shared_dir
from tests.specs.slack_spec import SlackSpecChecker, slack_checker_or_none

TOKEN = "xoxb-1111-2222-fakesandboxtoken"
CHANNEL = "C0PLATSUP"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*PLAT-1* created"}}]
METADATA = {"event_type": "interrupt_ticket", "event_payload": {"issue_key": "PLAT-1"}}
MODAL = {
    "type": "modal",
    "callback_id": "new_interrupt",
    "title": {"type": "plain_text", "text": "New interrupt"},
    "submit": {"type": "plain_text", "text": "Create"},
    "blocks": [{"type": "input", "block_id": "summary", "label": {"type": "plain_text", "text": "Summary"},
                "element": {"type": "plain_text_input", "action_id": "value"}}],
}  # fmt: skip
HOME = {
    "type": "home",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your interrupts"}}],
}
Call = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack.with_demo_data(bot_token=TOKEN).start()
    fake.request_checker = slack_checker_or_none()
    yield fake
    fake.stop()


def caller(fake: FakeSlack, kind: str, *, retries: bool = False, token: str | None = TOKEN) -> Call:
    """One way to call any client method, whether the client is WebClient or AsyncWebClient."""
    url = fake.base_url + "/api/"
    if kind == "sync":
        handlers = [RateLimitErrorRetryHandler(), ConnectionErrorRetryHandler()] if retries else []
        client = WebClient(token=token, base_url=url, retry_handlers=handlers)

        async def call_sync(method: str, **kwargs: Any) -> dict[str, Any]:
            response = await asyncio.to_thread(getattr(client, method), **kwargs)
            return dict(response.data)

        return call_sync
    async_handlers = (
        [AsyncRateLimitErrorRetryHandler(), AsyncConnectionErrorRetryHandler()] if retries else []
    )
    async_client = AsyncWebClient(token=token, base_url=url, retry_handlers=async_handlers)

    async def call_async(method: str, **kwargs: Any) -> dict[str, Any]:
        return dict((await getattr(async_client, method)(**kwargs)).data)

    return call_async


async def error_of(call: Call, method: str, **kwargs: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call(method, **kwargs)
    return str(raised.value.response["error"])


async def _messages_and_threads(fake: FakeSlack, call: Call) -> None:
    parent = fake.post_user_message(CHANNEL, "U0ALICE", "the VPN is down")
    posted = await call(
        "chat_postMessage", channel=CHANNEL, thread_ts=parent, text="PLAT-1", blocks=BLOCKS, metadata=METADATA
    )
    reply = posted["ts"]
    assert posted["channel"] == CHANNEL
    assert posted["message"] | {"user": "UBOT", "bot_id": "BBOT", "thread_ts": parent} == posted["message"]
    # A reply's ts threads under its parent, as in Slack; a broadcast also shows in the channel.
    broadcast = await call(
        "chat_postMessage", channel=CHANNEL, thread_ts=reply, text="fyi", reply_broadcast=True
    )
    assert broadcast["message"]["thread_ts"] == parent
    broadcast_ts = broadcast["ts"]
    updated = await call("chat_update", channel=CHANNEL, ts=reply, text="PLAT-1 (done)", blocks=BLOCKS)
    assert updated["message"]["text"] == "PLAT-1 (done)"
    assert updated["message"]["edited"]["user"] == "UBOT"
    assert await error_of(call, "chat_update", channel=CHANNEL, ts=parent, text="x") == "cant_update_message"
    with pytest.warns(UserWarning, match="`text` argument is missing"):
        assert await error_of(call, "chat_postMessage", channel=CHANNEL) == "no_text"

    ephemeral = await call("chat_postEphemeral", channel=CHANNEL, user="U0ALICE", text="only you see this")
    assert fake.ephemerals[-1]["message_ts"] == ephemeral["message_ts"]
    assert fake.ephemerals[-1]["user"] == "U0ALICE"
    link = (await call("chat_getPermalink", channel=CHANNEL, message_ts=reply))["permalink"]
    assert link.endswith(f"/archives/{CHANNEL}/p{reply.replace('.', '')}?thread_ts={parent}&cid={CHANNEL}")

    for ts in (parent, reply):
        replies = await call("conversations_replies", channel=CHANNEL, ts=ts, include_all_metadata=True)
        thread = replies["messages"]
        assert [m["ts"] for m in thread] == [parent, reply, broadcast_ts]
        assert thread[0]["reply_count"] == 2
        assert thread[1]["metadata"] == METADATA
    plain = (await call("conversations_replies", channel=CHANNEL, ts=parent))["messages"]
    assert "metadata" not in plain[1]
    lone = fake.post_user_message(CHANNEL, "U0BOB", "unthreaded")
    alone = await call("conversations_replies", channel=CHANNEL, ts=lone)
    assert [m["ts"] for m in alone["messages"]] == [lone]
    assert await error_of(call, "conversations_replies", channel=CHANNEL, ts="1.000001") == "thread_not_found"

    history = await call("conversations_history", channel=CHANNEL, limit=2)
    assert [m["ts"] for m in history["messages"]] == [lone, broadcast_ts]
    assert history["has_more"]
    cursor = history["response_metadata"]["next_cursor"]
    rest = await call("conversations_history", channel=CHANNEL, limit=2, cursor=cursor)
    assert [m["ts"] for m in rest["messages"]] == [parent]
    assert not rest["has_more"]
    window = await call("conversations_history", channel=CHANNEL, oldest=parent, latest=lone, inclusive=True)
    assert [m["ts"] for m in window["messages"]] == [lone, broadcast_ts, parent]
    inside = await call("conversations_history", channel=CHANNEL, oldest=parent, latest=lone)
    assert [m["ts"] for m in inside["messages"]] == [broadcast_ts]

    await call("reactions_add", channel=CHANNEL, timestamp=parent, name="ticket")
    assert (
        await error_of(call, "reactions_add", channel=CHANNEL, timestamp=parent, name="ticket")
        == "already_reacted"
    )
    fake.add_reaction(CHANNEL, parent, "ticket", "U0ALICE")
    assert fake.reactions(CHANNEL, parent) == [{"name": "ticket", "users": ["UBOT", "U0ALICE"], "count": 2}]

    upload = await call(
        "files_upload_v2",
        channel=CHANNEL,
        content="vpn: down\n",
        filename="vpn.log",
        title="VPN log",
        initial_comment="logs attached",
        thread_ts=parent,
    )
    assert upload["file"]["title"] == "VPN log"
    assert upload["file"]["channels"] == [CHANNEL]
    assert fake.files[-1].content == b"vpn: down\n"
    shared = fake.thread(CHANNEL, parent)[-1]
    assert shared["text"] == "logs attached"
    assert shared["files"][0]["id"] == upload["file"]["id"]


async def _channels_users_groups(fake: FakeSlack, call: Call) -> None:
    auth = await call("auth_test")
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == ("UBOT", "BBOT", fake.state.team_id)
    info = (await call("conversations_info", channel="C0NETSUP", include_num_members=True))["channel"]
    assert (info["name"], info["is_member"], info["num_members"]) == ("network-help", True, 4)
    fake.add_channel("C0NEW", "new-channel", members=["U0ALICE"])
    assert await error_of(call, "chat_postMessage", channel="C0NEW", text="hi") == "not_in_channel"
    assert "warning" not in await call("conversations_join", channel="C0NEW")
    assert (await call("conversations_join", channel="C0NEW"))["warning"] == "already_in_channel"
    assert (await call("chat_postMessage", channel="#new-channel", text="hi"))["channel"] == "C0NEW"
    assert (
        await error_of(call, "chat_postEphemeral", channel="C0NEW", user="U0BOB", text="x")
        == "user_not_in_channel"
    )

    alice = (await call("users_info", user="U0ALICE"))["user"]
    assert (alice["real_name"], alice["profile"]["email"], alice["profile"]["display_name"]) == (
        "Alice Liddell",
        "alice@example.com",
        "alice",
    )
    assert (alice["is_bot"], alice["deleted"], alice["tz"]) == (False, False, "Europe/London")
    assert (await call("users_info", user="UBOT"))["user"]["is_bot"] is True
    assert (await call("users_lookupByEmail", email="bob@example.com"))["user"]["id"] == "U0BOB"
    assert await error_of(call, "users_lookupByEmail", email="nobody@example.com") == "users_not_found"

    groups = (await call("usergroups_list", include_users=True))["usergroups"]
    assert [(g["id"], g["handle"], g["users"]) for g in groups] == [
        ("S0PLATONCALL", "platform-oncall", ["U0BOB"])
    ]
    changed = await call("usergroups_users_update", usergroup="S0PLATONCALL", users=["U0CAROL", "U0ALICE"])
    assert changed["usergroup"]["users"] == ["U0CAROL", "U0ALICE"]
    assert (await call("usergroups_users_list", usergroup="S0PLATONCALL"))["users"] == ["U0CAROL", "U0ALICE"]


async def _views(fake: FakeSlack, call: Call) -> None:
    fake.expired_trigger_ids.add("111.222.expired")
    opened = (await call("views_open", trigger_id="111.222.valid", view=MODAL))["view"]
    assert opened["id"].startswith("V")
    assert opened["hash"]
    assert opened["callback_id"] == "new_interrupt"
    assert (
        await error_of(call, "views_open", trigger_id="111.222.expired", view=MODAL) == "expired_trigger_id"
    )
    assert (
        await error_of(call, "views_open", trigger_id="111.222.valid", view=MODAL) == "exchanged_trigger_id"
    )
    assert await error_of(call, "views_open", trigger_id="not-a-trigger", view=MODAL) == "invalid_trigger_id"

    named = {**MODAL, "external_id": "interrupt-42"}
    updated = (await call("views_update", view_id=opened["id"], hash=opened["hash"], view=named))["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    stale = await error_of(call, "views_update", view_id=opened["id"], hash=opened["hash"], view=MODAL)
    assert stale == "hash_conflict"
    by_external = (await call("views_update", external_id="interrupt-42", view=named))["view"]
    assert by_external["id"] == opened["id"]
    home = (await call("views_publish", user_id="U0ALICE", view=HOME))["view"]
    assert home["type"] == "home"
    assert home["id"] != opened["id"]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_every_method_with_the_real_clients(slack: FakeSlack, kind: str) -> None:
    call = caller(slack, kind)
    await _channels_users_groups(slack, call)
    await _messages_and_threads(slack, call)
    await _views(slack, call)
    called = {r.path.removeprefix("/api/") for r in slack.requests if r.path.startswith("/api/")}
    assert called == set(slack.web_api.handlers)
    assert slack.spec_violations == []
    assert METADATA in [c.get("metadata") for c in slack.calls("chat.postMessage")]


async def test_auth_and_unknown_method_errors(slack: FakeSlack) -> None:
    assert await error_of(caller(slack, "sync", token=None), "auth_test") == "not_authed"
    assert await error_of(caller(slack, "async", token="xoxb-wrong"), "auth_test") == "invalid_auth"
    assert await error_of(caller(slack, "sync"), "api_call", api_method="chat.teleport") == "unknown_method"
    if slack.request_checker is not None:
        assert slack.spec_violations == ["POST /api/chat.teleport: no Slack spec for method 'chat.teleport'"]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_rate_limit_is_retried_after_retry_after(slack: FakeSlack, kind: str) -> None:
    slack.add_fault(Fault(r"^/api/chat\.postMessage$", status=429))
    rejected = caller(slack, kind)
    with pytest.raises(SlackApiError) as raised:
        await rejected("chat_postMessage", channel=CHANNEL, text="first")
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] in ("1", ["1"])

    slack.add_fault(Fault(r"^/api/chat\.postMessage$", status=429, headers={"Retry-After": "1"}))
    started = time.monotonic()
    await caller(slack, kind, retries=True)("chat_postMessage", channel=CHANNEL, text="second")
    assert time.monotonic() - started >= 1.0
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["second"]
    assert len([r for r in slack.requests if r.path == "/api/chat.postMessage"]) == 3


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_connection_reset_is_retried(slack: FakeSlack, kind: str) -> None:
    slack.add_fault(Fault(r"^/api/chat\.postMessage$", reset_before_handler=True))
    with pytest.raises(Exception):  # noqa: B017, PT011 - urllib and aiohttp raise different errors
        await caller(slack, kind)("chat_postMessage", channel=CHANNEL, text="lost")
    assert slack.messages(CHANNEL) == []

    slack.add_fault(Fault(r"^/api/chat\.postMessage$", reset_before_handler=True))
    await caller(slack, kind, retries=True)("chat_postMessage", channel=CHANNEL, text="retried")
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["retried"]

    # Reset after the handler ran: the client retries a post that did happen, so it is posted twice.
    slack.add_fault(Fault(r"^/api/chat\.postMessage$", reset_after_handler=True))
    await caller(slack, kind, retries=True)("chat_postMessage", channel=CHANNEL, text="twice")
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["retried", "twice", "twice"]


def _post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback fake
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_sandbox_control_api(slack: FakeSlack) -> None:
    status, posted = _post_json(
        f"{slack.base_url}/_sandbox/messages", {"channel": CHANNEL, "user": "U0BOB", "text": "DNS is flaky"}
    )
    assert status == 200
    assert posted["ok"]
    client = WebClient(token=TOKEN, base_url=slack.base_url + "/api/")
    client.chat_postMessage(channel=CHANNEL, thread_ts=posted["ts"], text="PLAT-2 created")
    client.reactions_add(channel=CHANNEL, timestamp=posted["ts"], name="ticket")
    _post_json(
        f"{slack.base_url}/_sandbox/messages",
        {"channel": CHANNEL, "user": "U0BOB", "text": "thanks", "thread_ts": posted["ts"]},
    )

    with urllib.request.urlopen(f"{slack.base_url}/_sandbox/channels/{CHANNEL}", timeout=5) as response:  # noqa: S310
        view = json.loads(response.read())
    [message] = view["messages"]
    assert (view["channel"]["id"], message["ts"], message["text"]) == (CHANNEL, posted["ts"], "DNS is flaky")
    assert message["reactions"] == [{"name": "ticket", "users": ["UBOT"], "count": 1}]
    assert [(r["user"], r["text"]) for r in message["replies"]] == [
        ("UBOT", "PLAT-2 created"),
        ("U0BOB", "thanks"),
    ]

    unknown = _post_json(
        f"{slack.base_url}/_sandbox/messages", {"channel": "C0NOPE", "user": "U0BOB", "text": "x"}
    )
    assert unknown == (400, {"ok": False, "error": "channel_not_found"})
    assert _post_json(f"{slack.base_url}/_sandbox/messages", {"channel": CHANNEL})[0] == 400
    assert slack.spec_violations == []


def test_timestamps_stay_unique_and_increasing_under_concurrency(slack: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url + "/api/")

    def post_many(worker: int) -> None:
        for n in range(10):
            client.chat_postMessage(channel=CHANNEL, text=f"{worker}-{n}")

    threads = [threading.Thread(target=post_many, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [m["ts"] for m in slack.messages(CHANNEL)]
    assert len(stamps) == 40
    assert len(set(stamps)) == 40
    assert stamps == sorted(stamps, key=lambda ts: tuple(int(p) for p in ts.split(".")))


@pytest.fixture
def checker() -> SlackSpecChecker:
    shared = shared_dir()
    if shared is None:
        pytest.skip("shared specs missing: Slack spec checker not tested")
    return SlackSpecChecker(shared)


def _request(
    path: str, body: bytes | dict[str, Any] = b"", query: dict[str, list[str]] | None = None
) -> FakeRequest:
    """A request as the fake receives it: a dict body is sent as JSON, bytes as a form."""
    content_type = "application/x-www-form-urlencoded"
    if isinstance(body, dict):
        body, content_type = json.dumps(body).encode(), "application/json"
    headers = {"content-type": content_type, "authorization": f"Bearer {TOKEN}"}
    return FakeRequest("POST", path, query or {}, headers, body)


@pytest.mark.parametrize(
    ("method", "form"),
    [
        ("chat.postMessage", {"channel": "C1", "text": "hi", "unfurl_links": "0", "reply_broadcast": "true",
                              "blocks": json.dumps(BLOCKS), "metadata": json.dumps(METADATA)}),
        ("usergroups.users.update", {"usergroup": "S1", "users": "U1,U2", "include_count": "1"}),
        ("conversations.history", {"channel": "C1", "limit": "5", "inclusive": "1", "oldest": "1.000001"}),
        ("files.completeUploadExternal", {"files": json.dumps([{"id": "F1", "title": "log"}])}),
        ("views.open", {"trigger_id": "1.2.abc", "view": json.dumps(MODAL)}),
    ],
)  # fmt: skip
def test_checker_accepts_form_encoded_calls(
    checker: SlackSpecChecker, method: str, form: dict[str, str]
) -> None:
    assert checker(_request(f"/api/{method}", urlencode(form).encode())) == []


@pytest.mark.parametrize(
    ("path", "body", "problems"),
    [
        ("/api/chat.postMessage", b"text=no+channel", ["args: 'channel' is a required property"]),
        ("/api/chat.postMessage", b"channel=C1&text=x&colour=red", ["unknown argument 'colour'"]),
        ("/api/conversations.history", b"channel=C1&limit=lots", ["limit: 'lots' is not of type 'number'"]),
        ("/api/reactions.add", {"channel": "C1", "name": "x"}, ["args: 'timestamp' is a required property"]),
        ("/api/chat.postMessage", {"channel": "C1", "text": 7},
         ["text: 7 is not valid under any of the given schemas"]),
        ("/api/chat.getPermalink", {"channel": "C1", "message_ts": "1.2"},
         ["chat.getPermalink does not accept JSON bodies"]),
        ("/api/chat.teleport", b"", ["no Slack spec for method 'chat.teleport'"]),
        ("/_sandbox/messages", {"channel": "C1"}, []),
        ("/upload/v1/abc", b"raw bytes", []),
    ],
)  # fmt: skip
def test_checker_rejects_bad_requests(
    checker: SlackSpecChecker, path: str, body: bytes | dict[str, Any], problems: list[str]
) -> None:
    assert checker(_request(path, body)) == problems


def test_checker_rejects_a_token_in_the_query_string(checker: SlackSpecChecker) -> None:
    [problem] = checker(_request("/api/auth.test", query={"token": [TOKEN]}))
    assert problem.startswith("token in the query string")


def test_the_fake_reports_and_answers_a_request_the_spec_rejects(slack: FakeSlack) -> None:
    if slack.request_checker is None:
        pytest.skip("shared specs missing: spec violations are not collected")
    client = WebClient(token=TOKEN, base_url=slack.base_url + "/api/")
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMessage", params={"text": "x"})
    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "invalid_arguments"
    assert slack.spec_violations == ["POST /api/chat.postMessage: args: 'channel' is a required property"]


def test_spec_checks_are_skipped_with_a_notice_without_the_shared_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "missing"))
    assert shared_dir() is None
    with pytest.warns(SpecsMissingWarning, match="Slack spec checks skipped"):
        assert slack_checker_or_none() is None
    monkeypatch.setenv(SHARED_ENV, str(tmp_path))
    assert shared_dir() == tmp_path
