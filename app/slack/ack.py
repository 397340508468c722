"""What the HTTP transport sends back to Slack for one delivery."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson


@dataclass(frozen=True)
class Ack:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"

    @staticmethod
    def json(data: object, status: int = 200) -> Ack:
        return Ack(status, orjson.dumps(data), "application/json")


EMPTY_ACK = Ack()


def modal_errors(errors: Mapping[str, str]) -> Ack:
    """`response_action: errors`: each message shown under the input block with that block id."""
    # keys may be StrEnum members (block ids); Slack and orjson want plain strings
    return Ack.json({"response_action": "errors", "errors": {str(k): v for k, v in errors.items()}})
