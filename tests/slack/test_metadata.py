from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Literal

import pytest
from pydantic import Field

from app.slack.metadata import (
    BUTTON_VALUE_MAX,
    PRIVATE_METADATA_MAX,
    Metadata,
    MetadataError,
    TicketRef,
    decode,
    encode,
)
from tests.specs.shared_dir import shared_dir, warn_specs_missing

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
REF = TicketRef(ticket_id="42", channel="C0123ABCD", message_ts="1714557600.000100")
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class TicketRefV2(Metadata):
    v: Literal[2] = 2
    kind: Literal["ticket_ref"] = "ticket_ref"
    ticket_id: str
    channel: str
    message_ts: str


class FaqRef(Metadata):
    v: Literal[1] = 1
    kind: Literal["faq_ref"] = "faq_ref"
    ticket_id: str


class Bulky(Metadata):
    v: Literal[1] = 1
    kind: Literal["bulky"] = "bulky"
    blob: str = Field(max_length=10_000)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_raw(body: bytes, key: bytes = KEY) -> str:
    """The documented wire format, re-implemented independently of the module."""
    payload = b64(body)
    tag = hmac.new(key, b"interrupt-bridge/metadata\x00" + payload.encode(), hashlib.sha256).digest()[:16]
    return f"{payload}.{b64(tag)}"


def sign_json(data: Any) -> str:
    return sign_raw(json.dumps(data).encode())


class TestRoundTrip:
    def test_round_trip(self) -> None:
        assert decode(encode(REF, key=KEY), TicketRef, key=KEY) == REF

    def test_format_matches_the_documented_wire_format(self) -> None:
        encoded = encode(REF, key=KEY)
        body = json.dumps(REF.model_dump(mode="json"), separators=(",", ":"), sort_keys=True)
        assert encoded == sign_raw(body.encode())
        payload, tag = encoded.split(".")
        assert json.loads(base64.urlsafe_b64decode(payload + "==")) == {
            "v": 1,
            "kind": "ticket_ref",
            "ticket_id": "42",
            "channel": "C0123ABCD",
            "message_ts": "1714557600.000100",
        }
        assert len(base64.urlsafe_b64decode(tag + "==")) == 16
        assert "=" not in encoded

    def test_deterministic_and_compact(self) -> None:
        assert encode(REF, key=KEY) == encode(REF, key=KEY)
        payload = encode(REF, key=KEY).split(".")[0]
        body = base64.urlsafe_b64decode(payload + "==")
        assert b" " not in body
        assert len(payload) == len(b64(body))

    def test_unicode_content(self) -> None:
        ref = FaqRef(ticket_id="Grüße-🎉")
        assert decode(encode(ref, key=KEY), FaqRef, key=KEY) == ref

    def test_defaults_pin_version_and_kind(self) -> None:
        assert (REF.v, REF.kind) == (1, "ticket_ref")


class TestTampering:
    def test_every_character_matters(self) -> None:
        encoded = encode(REF, key=KEY)
        for index, original in enumerate(encoded):
            for replacement in {B64_ALPHABET[(B64_ALPHABET.find(original) + 1) % 64], "A", "_", "."}:
                if replacement == original:
                    continue
                forged = encoded[:index] + replacement + encoded[index + 1 :]
                with pytest.raises(MetadataError) as caught:
                    decode(forged, TicketRef, key=KEY)
                assert caught.value.reason in {"tampered", "malformed"}, (index, replacement)

    def test_every_bit_of_the_tag_matters(self) -> None:
        # The last base64 character of a 16-byte tag has 4 unused bits; they must not be ignored.
        encoded = encode(REF, key=KEY)
        for replacement in B64_ALPHABET:
            if replacement != encoded[-1]:
                with pytest.raises(MetadataError, match="could not be verified"):
                    decode(encoded[:-1] + replacement, TicketRef, key=KEY)

    def test_forged_ticket_id_rejected(self) -> None:
        encoded = encode(REF, key=KEY)
        _, tag = encoded.split(".")
        forged_body = json.dumps(
            {**REF.model_dump(), "ticket_id": "43"}, separators=(",", ":"), sort_keys=True
        )
        with pytest.raises(MetadataError) as caught:
            decode(f"{b64(forged_body.encode())}.{tag}", TicketRef, key=KEY)
        assert caught.value.reason == "tampered"

    def test_wrong_key_rejected(self) -> None:
        with pytest.raises(MetadataError) as caught:
            decode(encode(REF, key=OTHER_KEY), TicketRef, key=KEY)
        assert caught.value.reason == "tampered"

    def test_tag_compared_in_constant_time(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls: list[tuple[bytes, bytes]] = []
        real = hmac.compare_digest

        def spy(a: bytes, b: bytes) -> bool:
            calls.append((a, b))
            return real(a, b)

        monkeypatch.setattr(hmac, "compare_digest", spy)
        decode(encode(REF, key=KEY), TicketRef, key=KEY)
        assert len(calls) == 1

    @pytest.mark.parametrize(
        "raw",
        [
            "",
            ".",
            "abc",
            "abc.",
            ".abc",
            "a.b.c",
            "a b.cd",
            "YWJj.YWJj=",
            "YWJj.YWJj\n",
            "Ý.Ý",
            "\x00.\x00",
        ],
    )
    def test_malformed(self, raw: str) -> None:
        with pytest.raises(MetadataError) as caught:
            decode(raw, TicketRef, key=KEY)
        assert caught.value.reason in {"malformed", "tampered"}

    def test_not_a_string(self) -> None:
        with pytest.raises(MetadataError) as caught:
            decode(None, TicketRef, key=KEY)  # type: ignore[arg-type]
        assert caught.value.reason == "malformed"

    def test_oversize_rejected_before_anything_else(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def must_not_run(*_: Any) -> bool:
            raise AssertionError("oversize input reached the HMAC")

        monkeypatch.setattr(hmac, "compare_digest", must_not_run)
        with pytest.raises(MetadataError) as caught:
            decode("A" * (PRIVATE_METADATA_MAX + 1), TicketRef, key=KEY)
        assert caught.value.reason == "oversize"

    def test_up_to_the_private_metadata_limit_is_accepted(self) -> None:
        bulky = Bulky(blob="x" * 2100)
        encoded = encode(bulky, key=KEY, max_chars=PRIVATE_METADATA_MAX)
        assert BUTTON_VALUE_MAX < len(encoded) <= PRIVATE_METADATA_MAX
        assert decode(encoded, Bulky, key=KEY) == bulky


class TestSignedButWrong:
    """Content with a valid tag is still not trusted."""

    def test_version_bump_rejected(self) -> None:
        newer = TicketRefV2(ticket_id="42", channel="C0123ABCD", message_ts="1.2")
        with pytest.raises(MetadataError) as caught:
            decode(encode(newer, key=KEY), TicketRef, key=KEY)
        assert caught.value.reason == "version"
        assert "older version" in str(caught.value)

    def test_old_version_rejected_by_newer_reader(self) -> None:
        with pytest.raises(MetadataError) as caught:
            decode(encode(REF, key=KEY), TicketRefV2, key=KEY)
        assert caught.value.reason == "version"

    @pytest.mark.parametrize("version", ["1", 1.0, True, None, [1]])
    def test_version_must_be_the_integer(self, version: Any) -> None:
        data = {**REF.model_dump(), "v": version}
        with pytest.raises(MetadataError) as caught:
            decode(sign_json(data), TicketRef, key=KEY)
        assert caught.value.reason == "version"

    def test_missing_version(self) -> None:
        data = REF.model_dump()
        del data["v"]
        with pytest.raises(MetadataError) as caught:
            decode(sign_json(data), TicketRef, key=KEY)
        assert caught.value.reason == "version"

    def test_wrong_kind_rejected(self) -> None:
        with pytest.raises(MetadataError) as caught:
            decode(encode(FaqRef(ticket_id="42"), key=KEY), TicketRef, key=KEY)
        assert caught.value.reason == "kind"

    @pytest.mark.parametrize("kind", [None, "TICKET_REF", 1])
    def test_unknown_kind_rejected(self, kind: Any) -> None:
        with pytest.raises(MetadataError) as caught:
            decode(sign_json({**REF.model_dump(), "kind": kind}), TicketRef, key=KEY)
        assert caught.value.reason == "kind"

    @pytest.mark.parametrize(
        "changes",
        [
            {"channel": "not-a-channel"},
            {"message_ts": "yesterday"},
            {"ticket_id": ""},
            {"ticket_id": 42},
            {"extra": "field"},
        ],
    )
    def test_invalid_fields_rejected(self, changes: dict[str, Any]) -> None:
        with pytest.raises(MetadataError) as caught:
            decode(sign_json({**REF.model_dump(), **changes}), TicketRef, key=KEY)
        assert caught.value.reason == "invalid"
        assert "42" not in str(caught.value)  # the message never echoes the content

    def test_missing_field_rejected(self) -> None:
        data = REF.model_dump()
        del data["channel"]
        with pytest.raises(MetadataError) as caught:
            decode(sign_json(data), TicketRef, key=KEY)
        assert caught.value.reason == "invalid"

    @pytest.mark.parametrize("body", [b"[1,2]", b'"text"', b"null", b"{bad json", b"\xff\xfe"])
    def test_signed_non_object_rejected(self, body: bytes) -> None:
        with pytest.raises(MetadataError) as caught:
            decode(sign_raw(body), TicketRef, key=KEY)
        assert caught.value.reason == "malformed"


class TestLimitsAndKeys:
    def test_encode_over_button_limit_raises(self) -> None:
        with pytest.raises(ValueError, match="2000"):
            encode(Bulky(blob="x" * 1600), key=KEY)

    def test_encode_at_the_limit(self) -> None:
        # Find the largest blob that still fits: the limit is inclusive.
        sizes = [
            n for n in range(1400, 1600) if len(encode(Bulky(blob="x" * n), key=KEY, max_chars=10**6)) <= 2000
        ]
        encoded = encode(Bulky(blob="x" * max(sizes)), key=KEY)
        assert len(encoded) <= BUTTON_VALUE_MAX
        with pytest.raises(ValueError, match="over the"):
            encode(Bulky(blob="x" * (max(sizes) + 3)), key=KEY)

    @pytest.mark.parametrize("key", [b"", b"short"])
    def test_short_keys_refused(self, key: bytes) -> None:
        with pytest.raises(ValueError, match="at least 16 bytes"):
            encode(REF, key=key)
        with pytest.raises(ValueError, match="at least 16 bytes"):
            decode("a.b", TicketRef, key=key)

    def test_messages_are_presentable(self) -> None:
        for raw in ["", "x" * 4000, encode(REF, key=OTHER_KEY)]:
            with pytest.raises(MetadataError) as caught:
                decode(raw, TicketRef, key=KEY)
            message = str(caught.value)
            assert message.endswith(".")
            assert "Traceback" not in message
            assert len(message) < 150


def test_value_survives_a_real_block_actions_payload() -> None:
    shared = shared_dir()
    fixture = shared / "fixtures" / "slack" / "block_actions.json" if shared else None
    if fixture is None or not fixture.is_file():
        warn_specs_missing("block_actions fixture round trip")
        pytest.skip("shared fixtures missing")
    payload = json.loads(fixture.read_text())
    payload["actions"][0]["value"] = encode(REF, key=KEY)
    delivered = json.loads(json.dumps(payload))  # what Slack sends back, byte for byte
    assert decode(delivered["actions"][0]["value"], TicketRef, key=KEY) == REF
