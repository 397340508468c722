"""What the HTTP transport sends back to Slack for one delivery."""

from __future__ import annotations

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
