"""The "Ask privately" button value: signed, bound to its DM and its author, refused when turned off."""

from __future__ import annotations

import pytest

from app.slack.metadata import MetadataError
from app.slack.private_ask import ask_privately_button, modal_mode, private_modal_meta

KEY = b"k" * 32


def value() -> str:
    return str(
        ask_privately_button(requester="U0ALICE", channel="D0ALICE", message_ts="1.000001", key=KEY)["value"]
    )


def test_the_button_opens_a_private_modal_bound_to_the_dm() -> None:
    meta = private_modal_meta({"user": {"id": "U0ALICE"}}, value(), key=KEY, team="platform")
    assert (meta.source, meta.requester, meta.channel, meta.message_ts, meta.team) == (
        "private",
        "U0ALICE",
        "D0ALICE",
        "1.000001",
        "platform",
    )
    assert modal_mode(meta.source) == "private"
    assert (modal_mode("edit"), modal_mode("dm")) == ("edit", "raise")


@pytest.mark.parametrize(
    ("user", "enabled", "key", "expected"),
    [
        ("U0BOB", True, KEY, "someone else's conversation"),
        ("U0ALICE", False, KEY, "turned off"),
        ("U0ALICE", True, b"x" * 32, "could not be verified"),
    ],
)
def test_refused(user: str, enabled: bool, key: bytes, expected: str) -> None:
    with pytest.raises(MetadataError, match=expected):
        private_modal_meta({"user": {"id": user}}, value(), key=key, team=None, enabled=enabled)
