"""The intake modal's signed private_metadata: round trip, context rules, tampering."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.slack.metadata import PRIVATE_METADATA_MAX, MetadataError, TicketRef, encode
from app.slack.modal_metadata import IntakeModalMeta, decode_intake_meta, encode_intake_meta

KEY = b"k" * 32


def meta(**overrides: Any) -> IntakeModalMeta:
    values: dict[str, Any] = {
        "source": "message",
        "requester": "U012AB3CD",
        "team": "platform",
        "channel": "C0PLATSUP",
        "message_ts": "1714557600.000100",
        "thread_ts": "1714557500.000100",
    }
    values.update(overrides)
    return IntakeModalMeta(**values)


@pytest.mark.parametrize(
    "value",
    [
        meta(),
        meta(source="global", team=None, channel=None, message_ts=None, thread_ts=None),
        meta(source="command", message_ts=None, thread_ts=None),
        meta(source="dm", channel="D0123ABCD", message_ts=None, thread_ts=None, team=None),
        meta(source="edit", ticket_id="42"),
    ],
)
def test_round_trip(value: IntakeModalMeta) -> None:
    raw = encode_intake_meta(value, key=KEY)
    assert len(raw) <= PRIVATE_METADATA_MAX
    assert decode_intake_meta(raw, key=KEY) == value


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"channel": None}, "needs channel and message_ts"),
        ({"message_ts": None}, "needs channel and message_ts"),
        ({"source": "edit"}, "needs ticket_id"),
        ({"source": "global", "channel": None, "message_ts": None}, "thread_ts needs channel"),
        ({"source": "webhook"}, "source"),
        ({"requester": "alice"}, "requester"),
        ({"team": "Platform Team"}, "team"),
        ({"message_ts": "yesterday"}, "message_ts"),
        ({"ticket_id": ""}, "ticket_id"),
    ],
)
def test_invalid_context_is_refused(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        meta(**overrides)


def test_tampered_metadata_is_rejected_with_a_clear_message() -> None:
    raw = encode_intake_meta(meta(), key=KEY)
    payload, _, tag = raw.partition(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + tag
    with pytest.raises(MetadataError) as error:
        decode_intake_meta(forged, key=KEY)
    assert error.value.reason == "tampered"
    assert "could not be verified" in str(error.value)
    with pytest.raises(MetadataError) as error:
        decode_intake_meta(raw, key=b"o" * 32)
    assert error.value.reason == "tampered"


def test_other_kinds_of_metadata_are_not_intake_metadata() -> None:
    ref = encode(TicketRef(ticket_id="42", channel="C0PLATSUP", message_ts="1714557600.000100"), key=KEY)
    with pytest.raises(MetadataError) as error:
        decode_intake_meta(ref, key=KEY)
    assert error.value.reason == "kind"


@pytest.mark.parametrize(
    "raw", ["", "plain text", "This is for you!", "a.b.c", "x" * (PRIVATE_METADATA_MAX + 1)]
)
def test_unknown_metadata_is_rejected(raw: str) -> None:
    with pytest.raises(MetadataError):
        decode_intake_meta(raw, key=KEY)
