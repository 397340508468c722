"""Hypothesis strategies for hostile and broken Slack deliveries.

Three kinds, as Slack sends them to the one request URL: Events API JSON, interactivity
(`payload=<json>` form), slash commands (plain form). Values mix the ids the bridge routes on
(real action and callback ids, the sandbox's channel and users) with junk, so that generated
deliveries reach the handlers instead of stopping at the parser. Each delivery is then signed
validly or not (wrong secret, stale, future, missing, garbage).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from app.slack.ids import ActionId, CallbackId

CHANNELS = ["C0PLATSUP", "C0NOTOURS", "D0ALICEDM", ""]
USERS = ["U0ALICE", "U0BOB", "U0CAROL", "UNOBODY", "USLACKBOT", ""]
EMOJI = ["ticket", "lock", "eyes", "white_check_mark", "🎫", ""]

text = st.text(max_size=300)
ids = st.one_of(st.sampled_from(CHANNELS + USERS), st.text(max_size=20))
ts = st.one_of(
    st.builds(lambda a, b: f"{a}.{b:06d}", st.integers(0, 2_000_000_000), st.integers(0, 999_999)),
    st.text(max_size=20),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The value, or a value of another JSON type (a field of the wrong type)."""
    return st.one_of(value, value, value, json_values)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["reaction_added", "reaction_removed", "message", "app_mention", "team_join", ""])
    )
    event: dict[str, Any] = {"type": kind, "user": draw(_maybe(st.sampled_from(USERS))), "event_ts": draw(ts)}
    if kind.startswith("reaction"):
        event["reaction"] = draw(_maybe(st.sampled_from(EMOJI)))
        event["item"] = draw(
            _maybe(
                st.fixed_dictionaries(
                    {"type": st.sampled_from(["message", "file"]), "channel": ids, "ts": ts}
                )
            )
        )
    else:
        event |= {"channel": draw(_maybe(ids)), "text": draw(_maybe(text)), "ts": draw(ts)}
        event |= draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "thread_ts": ts,
                    "subtype": st.sampled_from(["message_changed", "message_deleted", "bot_message", "x"]),
                    "bot_id": ids,
                    "channel_type": st.sampled_from(["channel", "group", "im"]),
                    "message": json_values,
                    "previous_message": json_values,
                },
            )
        )
    envelope_type = draw(
        st.sampled_from(["event_callback"] * 6 + ["url_verification", "app_rate_limited", "x"])
    )
    envelope: dict[str, Any] = {
        "type": envelope_type,
        "team_id": draw(_maybe(st.just("T0SANDBOX"))),
        "api_app_id": "A0SANDBOX",
        "event_id": draw(_maybe(st.text(min_size=1, max_size=20).map(lambda s: "Ev" + s))),
        "event_time": draw(_maybe(st.integers(0, 2**40))),
        "event": draw(_maybe(st.just(event))),
    }
    if envelope_type == "url_verification":
        envelope["challenge"] = draw(_maybe(text))
    return envelope


actions = st.fixed_dictionaries(
    {
        "action_id": _maybe(st.sampled_from([*ActionId, "x"])),
        "block_id": st.text(max_size=10),
        "type": st.sampled_from(["button", "static_select", "plain_text_input"]),
        "value": _maybe(text),
    },
    optional={"selected_option": _maybe(st.fixed_dictionaries({"value": text}))},
)


@st.composite
def interactions(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["block_actions", "message_action", "shortcut", "view_submission", "view_closed", "x"]
        )
    )
    payload: dict[str, Any] = {
        "type": kind,
        "user": draw(_maybe(st.fixed_dictionaries({"id": st.sampled_from(USERS), "name": text}))),
        "team": {"id": "T0SANDBOX"},
        "trigger_id": draw(_maybe(text)),
        "callback_id": draw(_maybe(st.sampled_from([*CallbackId, "x"]))),
    }
    if kind == "message_action":
        payload["channel"] = draw(_maybe(st.fixed_dictionaries({"id": st.sampled_from(CHANNELS)})))
        payload["message"] = draw(_maybe(st.fixed_dictionaries({"ts": ts, "text": text, "user": ids})))
    if kind == "block_actions":
        payload["actions"] = draw(_maybe(st.lists(actions, min_size=1, max_size=2)))
        payload["channel"] = draw(_maybe(st.fixed_dictionaries({"id": st.sampled_from(CHANNELS)})))
        payload["container"] = draw(_maybe(st.fixed_dictionaries({"message_ts": ts, "channel_id": ids})))
    if kind.startswith("view"):
        state = st.dictionaries(
            st.text(max_size=8), st.dictionaries(st.text(max_size=8), json_values, max_size=3), max_size=4
        )
        payload["view"] = draw(
            _maybe(
                st.fixed_dictionaries(
                    {
                        "id": ids,
                        "hash": text,
                        "callback_id": st.sampled_from([*CallbackId, "x"]),
                        "private_metadata": st.one_of(text, json_values.map(json.dumps)),
                        "state": st.fixed_dictionaries({"values": state}),
                    }
                )
            )
        )
    return payload


@st.composite
def commands(draw: st.DrawFn) -> dict[str, str]:
    return draw(
        st.fixed_dictionaries(
            {
                "command": st.sampled_from(["/interrupt", "/other", ""]),
                "text": st.one_of(st.sampled_from(["", "help", "oncall", "oncall platform"]), text),
                "user_id": st.sampled_from(USERS),
                "channel_id": st.sampled_from(CHANNELS),
                "trigger_id": text,
                "response_url": st.sampled_from(
                    [
                        "https://hooks.slack.com/commands/T0/1/x",
                        "https://evil.example/steal",
                        "http://127.0.0.1:1/",
                    ]
                ),
            },
            optional={"team_id": st.just("T0SANDBOX"), "enterprise_id": text},
        )
    )


@dataclass(frozen=True)
class Delivery:
    kind: str
    body: bytes
    content_type: str
    signing: str  # valid | wrong-secret | stale | future | missing | garbage

    def headers(self, secret: str) -> dict[str, str]:
        now = int(time.time())
        # 310, not 301: `now` is truncated and the request takes time, so +301 can land inside the window.
        stamp = {"stale": now - 310, "future": now + 310}.get(self.signing, now)
        key = "not-the-secret" if self.signing == "wrong-secret" else secret
        digest = hmac.new(key.encode(), f"v0:{stamp}:".encode() + self.body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": self.content_type}
        if self.signing == "garbage":
            headers |= {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=" + "g" * 64}
        elif self.signing != "missing":
            headers |= {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": f"v0={digest}"}
        return headers


signings = st.sampled_from(["valid"] * 6 + ["wrong-secret", "stale", "future", "missing", "garbage"])


@st.composite
def deliveries(draw: st.DrawFn) -> Delivery:
    kind = draw(st.sampled_from(["event", "interaction", "command", "raw"]))
    signing = draw(signings)
    if kind == "event":
        return Delivery(kind, json.dumps(draw(events())).encode(), "application/json", signing)
    if kind == "interaction":
        body = urlencode({"payload": json.dumps(draw(interactions()))}).encode()
        return Delivery(kind, body, "application/x-www-form-urlencoded", signing)
    if kind == "command":
        return Delivery(
            kind, urlencode(draw(commands())).encode(), "application/x-www-form-urlencoded", signing
        )
    content_type = draw(
        st.sampled_from(
            [
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
                "",
                "application/json; charset=utf-8",
            ]
        )
    )
    return Delivery(kind, draw(st.binary(max_size=2000)), content_type, signing)
