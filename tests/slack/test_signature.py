"""The ack path's signature check agrees with slack_sdk's SignatureVerifier."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.signature import Clock, SignatureVerifier

from app.slack.http import signature_ok

SECRET = "test-signing-secret-8f2b"
NOW = 1_700_000_000


class FixedClock(Clock):
    def now(self) -> float:
        return NOW


def slack_sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


_bodies = st.binary(max_size=200).filter(lambda b: _utf8(b))
_offsets = st.sampled_from([-301, -300, -1, 0, 1, 299, 300, 301, 10_000])


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@given(body=_bodies, offset=_offsets, secret=st.sampled_from([SECRET, "another-secret"]), flip=st.booleans())
def test_same_verdict_as_slack_sdk(body: bytes, offset: int, secret: str, flip: bool) -> None:
    timestamp = str(NOW + offset)
    signature = slack_sign(body, timestamp, secret)
    if flip:
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    expected = SignatureVerifier(SECRET, clock=FixedClock()).is_valid(body, timestamp, signature)
    assert signature_ok(SECRET.encode(), body, timestamp.encode(), signature.encode(), now=NOW) == expected


def test_valid_signature_over_raw_bytes() -> None:
    body = b'{"type": "event_callback"}'
    signature = slack_sign(body, str(NOW)).encode()
    assert signature_ok(SECRET.encode(), body, str(NOW).encode(), signature, now=NOW)
    assert not signature_ok(SECRET.encode(), body + b" ", str(NOW).encode(), signature, now=NOW)


def test_malformed_headers_are_rejected_not_raised() -> None:
    body = b"\xff\xfe not utf-8"
    good = slack_sign(body, str(NOW)).encode()
    assert signature_ok(SECRET.encode(), body, str(NOW).encode(), good, now=NOW)  # Slack signs bytes
    for timestamp in (b"", b"abc", b"-5", b"1e9", "١٢٣".encode()):
        assert not signature_ok(SECRET.encode(), body, timestamp, good, now=NOW)
    assert not signature_ok(SECRET.encode(), body, str(NOW).encode(), b"", now=NOW)
    assert not signature_ok(SECRET.encode(), body, str(NOW).encode(), "v0=é".encode(), now=NOW)
