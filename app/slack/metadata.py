"""Typed, versioned, signed state carried in button values and modal `private_metadata`.

Slack hands these strings back verbatim in interaction payloads, and anybody who can call the
interactivity endpoint with a valid signature (that is, any user of a workspace app with a crafted
client) controls them. So the payload is authenticated with an HMAC and still validated after the
tag checks out.

Wire format: `<base64url(compact JSON)>.<base64url(HMAC-SHA256(key, first part)[:16])>`, unpadded.
The tag covers the encoded text, not the decoded bytes, so every character of the value matters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

BUTTON_VALUE_MAX = 2000
"""Slack's limit on a button `value`."""
PRIVATE_METADATA_MAX = 3000
"""Slack's limit on a view's `private_metadata`; nothing longer is ever decoded."""

_TAG_BYTES = 16
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


class MetadataError(ValueError):
    """Metadata that cannot be trusted or understood; `str(err)` is safe to show to the user.

    `reason` is a stable code for logs and tests: oversize, malformed, tampered, kind, version, invalid.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


_STALE = "This button is from an older version of the bridge. Please use a fresh message."
_BROKEN = "This button's data could not be verified, so nothing was changed. Please use a fresh message."


class Metadata(BaseModel):
    """Base of every metadata kind: subclasses pin `v` and `kind` with a `Literal` and a default."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    v: int
    kind: str


class TicketRef(Metadata):
    """Which ticket the "Edit details" button under a redirect reply belongs to."""

    v: Literal[1] = 1
    kind: Literal["ticket_ref"] = "ticket_ref"
    ticket_id: str = Field(min_length=1, max_length=128)
    channel: str = Field(pattern=r"^[CGD][A-Z0-9]{2,}$")
    message_ts: str = Field(pattern=r"^\d{1,12}\.\d{1,9}$")


M = TypeVar("M", bound=Metadata)


def encode(meta: Metadata, *, key: bytes, max_chars: int = BUTTON_VALUE_MAX) -> str:
    """Serialise and sign `meta`; raise ValueError when the result exceeds `max_chars`."""
    _check_key(key)
    body = json.dumps(meta.model_dump(mode="json"), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    payload = _b64(body.encode("utf-8"))
    encoded = f"{payload}.{_tag(payload, key)}"
    if len(encoded) > max_chars:
        raise ValueError(
            f"encoded {meta.kind} metadata is {len(encoded)} characters, over the {max_chars} limit"
        )
    return encoded


def decode(raw: str, model: type[M], *, key: bytes) -> M:
    """Verify and parse metadata produced by `encode`; raise MetadataError for anything else."""
    _check_key(key)
    if not isinstance(raw, str) or len(raw) > PRIVATE_METADATA_MAX:
        raise MetadataError(_BROKEN, reason="oversize" if isinstance(raw, str) else "malformed")
    payload, dot, tag = raw.partition(".")
    if not dot or not _B64URL.fullmatch(payload) or not _B64URL.fullmatch(tag):
        raise MetadataError(_BROKEN, reason="malformed")
    # Compare the canonical text of the tag: decoding first would accept variants that differ only
    # in the unused low bits of the last base64 character.
    if not hmac.compare_digest(_tag(payload, key).encode("ascii"), tag.encode("ascii")):
        raise MetadataError(_BROKEN, reason="tampered")
    data = _parse(payload)
    expected_kind, expected_version = _identity(model)
    if data.get("kind") != expected_kind:
        raise MetadataError(
            "This button does not belong to this action. Please use a fresh message.", reason="kind"
        )
    version = data.get("v")
    if type(version) is not int or version != expected_version:
        raise MetadataError(_STALE, reason="version")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise MetadataError(_BROKEN, reason="invalid") from err


def _parse(payload: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise MetadataError(_BROKEN, reason="malformed") from err
    if not isinstance(data, dict):
        raise MetadataError(_BROKEN, reason="malformed")
    return data


def _identity(model: type[Metadata]) -> tuple[str, int]:
    kind = model.model_fields["kind"].default
    version = model.model_fields["v"].default
    if not isinstance(kind, str) or type(version) is not int:
        raise TypeError(f"{model.__name__} must pin `kind` and `v` with defaults")
    return kind, version


def _check_key(key: bytes) -> None:
    if len(key) < 16:
        raise ValueError("the metadata signing key must be at least 16 bytes")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _tag(payload: str, key: bytes) -> str:
    mac = hmac.new(key, b"interrupt-bridge/metadata\x00" + payload.encode("ascii"), hashlib.sha256)
    return _b64(mac.digest()[:_TAG_BYTES])
