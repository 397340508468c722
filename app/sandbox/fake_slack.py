"""A stateful fake of the Slack Web API that the real `slack_sdk` clients talk to over HTTP.

Point `slack_sdk.WebClient` or `AsyncWebClient` at `base_url=fake.base_url + "/api/"`. Answers
follow Slack's shapes (../shared/specs/slack/api-responses): HTTP 200 with `ok: true`, or HTTP
200 with `{"ok": false, "error": ...}`. Rate limits are injected as faults and answered like
Slack's (HTTP 429, `Retry-After`, `error: ratelimited`), so slack_sdk's retry handlers react to
them as they would in production. `/_sandbox/...` is a small control API for a demo process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from app.sandbox.fake_socket_mode import FakeSocketMode
from app.sandbox.http_fake import FakeRequest, FakeResponse, Fault, HTTPFake
from app.sandbox.slack_methods import Args, SlackWebApi, parse_args
from app.sandbox.slack_models import JSON, SlackError, UploadedFile, User
from app.sandbox.slack_state import SlackState

DEFAULT_BOT_TOKEN = "xoxb-0000000000-0000000000000-fakefakefakefakefakefake"  # noqa: S105 - a fake's own token
DEFAULT_APP_TOKEN = "xapp-1-A0SANDBOX-0000000000000-fakefakefakefakefake"  # noqa: S105 - a fake's own token


class FakeSlack(HTTPFake):
    """The fake server; the workspace lives in `self.state` and is guarded by `self.lock`."""

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        expired_trigger_ids: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.bot_token = bot_token
        self.app_token = DEFAULT_APP_TOKEN
        # Socket Mode (app/sandbox/fake_socket_mode.py): hands out the URLs of apps.connections.open
        self.socket_mode: FakeSocketMode | None = None
        self.state = SlackState(self.lock)
        self.state.expired_trigger_ids.update(expired_trigger_ids)
        self._calls: list[tuple[str, JSON]] = []
        self.web_api = SlackWebApi(self.state, lambda key: f"{self.base_url}/upload/v1/{key}")
        for verb in ("GET", "POST"):
            self.route(verb, r"/api/(?P<method>[A-Za-z0-9_.]+)", self._api)
        self.route("POST", r"/upload/v1/(?P<key>[\w-]+)", self._upload)
        self.route("POST", r"/_sandbox/messages", self._sandbox_post_message)
        self.route("GET", r"/_sandbox/channels/(?P<channel>\w+)", self._sandbox_channel)

    @classmethod
    def with_demo_data(cls, *, bot_token: str = DEFAULT_BOT_TOKEN) -> FakeSlack:
        """A fake (not started) seeded with the demo workspace the sandbox and tests share."""
        fake = cls(bot_token=bot_token)
        fake.add_user("U0ALICE", "alice", "Alice Liddell", email="alice@example.com")
        fake.add_user(
            "U0BOB",
            "bob",
            "Bob Okafor",
            email="bob@example.com",
            tz="America/New_York",
            tz_label="Eastern Standard Time",
            tz_offset=-18000,
        )
        fake.add_user(
            "U0CAROL",
            "carol",
            "Carol Tanaka",
            email="carol@example.com",
            tz="Asia/Tokyo",
            tz_label="Japan Standard Time",
            tz_offset=32400,
        )
        everyone = [fake.state.bot_user_id, "U0ALICE", "U0BOB", "U0CAROL"]
        fake.add_channel("C0PLATSUP", "platform-support", members=everyone)
        fake.add_channel("C0NETSUP", "network-help", members=everyone)
        fake.add_usergroup("S0PLATONCALL", "platform-oncall", "Platform on-call", users=["U0BOB"])
        return fake

    def start(self) -> FakeSlack:
        super().start()
        return self

    def add_fault(self, fault: Fault) -> None:
        """Like HTTPFake's, but a bare 429 is completed into Slack's rate-limit answer."""
        if fault.status == 429:
            fault = dataclasses.replace(
                fault,
                body={"ok": False, "error": "ratelimited"} if fault.body is None else fault.body,
                headers={"Retry-After": "1", **fault.headers},
            )
        super().add_fault(fault)

    # -- helpers for tests and the sandbox ------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str,
        *,
        email: str | None = None,
        display_name: str = "",
        is_bot: bool = False,
        deleted: bool = False,
        tz: str = "Europe/London",
        tz_label: str = "Greenwich Mean Time",
        tz_offset: int = 0,
    ) -> None:
        bot_id = f"B{user_id[1:]}" if is_bot else None
        user = User(user_id, name, real_name, email, display_name or name, is_bot, deleted, bot_id)
        self.state.add_user(dataclasses.replace(user, tz=tz, tz_label=tz_label, tz_offset=tz_offset))

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        members: Iterable[str] = (),
        is_im: bool = False,
        is_private: bool = False,
    ) -> None:
        self.state.add_channel(channel_id, name, members=members, is_im=is_im, is_private=is_private)

    def add_usergroup(
        self, usergroup_id: str, handle: str, name: str, *, users: Iterable[str] = (), description: str = ""
    ) -> None:
        self.state.add_usergroup(usergroup_id, handle, name, users=users, description=description)

    def post_user_message(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> str:
        """Post as a human user (who must be a channel member); returns the new message's ts."""
        return self.state.post(channel, user, text, thread_ts=thread_ts).ts

    def add_reaction(self, channel: str, ts: str, name: str, user: str) -> None:
        self.state.add_reaction(channel, ts, name, user)

    def messages(self, channel: str) -> list[JSON]:
        """What the channel shows, oldest first, with metadata and reactions (no thread replies)."""
        with self.lock:
            return [self.state.message_api(m) for m in self.state.top_level(channel)]

    def thread(self, channel: str, ts: str) -> list[JSON]:
        with self.lock:
            return [self.state.message_api(m) for m in self.state.thread(channel, ts)]

    def reactions(self, channel: str, ts: str) -> list[JSON]:
        with self.lock:
            return self.state.message(channel, ts).reaction_list()

    def calls(self, method: str) -> list[JSON]:
        """The parsed arguments (token removed) of each call of `method` that reached the fake."""
        with self.lock:
            return [dict(args) for name, args in self._calls if name == method]

    @property
    def ephemerals(self) -> list[JSON]:
        with self.lock:
            return [dict(e) for e in self.state.ephemerals]

    @property
    def views(self) -> list[JSON]:
        with self.lock:
            return [self.state.view_api(v) for v in self.state.views.values()]

    @property
    def files(self) -> list[UploadedFile]:
        with self.lock:
            return [dataclasses.replace(f) for f in self.state.files.values()]

    @property
    def expired_trigger_ids(self) -> set[str]:
        """Trigger ids that views.open rejects with `expired_trigger_id`; add to it freely."""
        return self.state.expired_trigger_ids

    # -- the Web API -----------------------------------------------------------------------------
    def _api(self, request: FakeRequest) -> FakeResponse:
        method = request.path_params["method"]
        try:
            values = parse_args(request)
            form_token = values.pop("token", None)
            token = _bearer(request) or form_token
            with self.lock:
                self._calls.append((method, dict(values)))
            if method == "apps.connections.open":
                return self._apps_connections_open(_bearer(request), form_token)
            handler = self.web_api.handlers.get(method)
            if handler is None:
                raise SlackError("unknown_method", req_method=method)
            if not token:
                raise SlackError("not_authed")
            if token != self.bot_token:
                raise SlackError("invalid_auth")
            with self.lock:
                body = handler(Args(values))
        except SlackError as exc:
            return FakeResponse(200, {"ok": False, "error": exc.error, **exc.extra})
        return FakeResponse(200, {"ok": True, **body})

    def _apps_connections_open(self, bearer: str | None, form_token: object) -> FakeResponse:
        """Socket Mode's URL, for an app-level token sent in the Authorization header only."""
        if form_token is not None:  # Slack: "passing it as a POST parameter will result in an error"
            error = "invalid_auth"
        elif not bearer:
            error = "not_authed"
        elif bearer == self.bot_token:
            error = "not_allowed_token_type"
        elif bearer != self.app_token:
            error = "invalid_auth"
        elif self.socket_mode is None:
            error = "internal_error"
        else:
            return FakeResponse(200, {"ok": True, "url": self.socket_mode.new_url()})
        return FakeResponse(200, {"ok": False, "error": error})

    def _upload(self, request: FakeRequest) -> FakeResponse:
        """The upload URL handed out by files.getUploadURLExternal (files.slack.com in production)."""
        upload = self.state.receive_upload(request.path_params["key"], request.body)
        if upload is None:
            return FakeResponse(404, "Not Found")
        return FakeResponse(200, f"OK - {len(request.body)}")

    # -- sandbox control API ---------------------------------------------------------------------
    def _sandbox_post_message(self, request: FakeRequest) -> FakeResponse:
        try:
            body = request.json()
            ts = self.post_user_message(body["channel"], body["user"], body["text"], body.get("thread_ts"))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return FakeResponse(400, {"ok": False, "error": f"bad request: {exc!r}"})
        except SlackError as exc:
            return FakeResponse(400, {"ok": False, "error": exc.error})
        return FakeResponse(200, {"ok": True, "channel": body["channel"], "ts": ts})

    def _sandbox_channel(self, request: FakeRequest) -> FakeResponse:
        channel_id = request.path_params["channel"]
        try:
            with self.lock:
                channel = self.state.channel(channel_id).to_api(bot_user_id=self.state.bot_user_id)
                messages = [
                    {**m, "replies": self.thread(channel_id, m["ts"])[1:] if m.get("reply_count") else []}
                    for m in self.messages(channel_id)
                ]
        except SlackError as exc:
            return FakeResponse(404, {"ok": False, "error": exc.error})
        return FakeResponse(200, {"ok": True, "channel": channel, "messages": messages})


def _bearer(request: FakeRequest) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
