"""Schemathesis against the service's own OpenAPI: every documented route, signed and unsigned.

The schema comes from the running service's `GET /openapi.json` (which must list every route, see
test_every_route_is_in_the_openapi). Each generated case is sent over real HTTP; for the two
signed endpoints half of the cases get a valid signature over the exact bytes sent, so that the
fuzzed bodies reach the parser and the dispatcher instead of stopping at the 401. Every answer
must be documented (status, content type, body schema) and none may be a 5xx; the service must
log no traceback. The count of cases is printed (`pytest -s`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bench.chaos import Chaos
from tests.fuzz.conftest import CASES, JIRA_WEBHOOK_SECRET, unhandled

SCHEMA_CASES = max(100, CASES // 5)  # schemathesis generates ~15 cases/s here; the long run: 2,000


def _encode(kwargs: dict[str, Any]) -> bytes | None:
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data")
    if isinstance(data, dict):
        return urlencode(data).encode()
    if isinstance(data, str):
        return data.encode()
    return data if isinstance(data, bytes) else None


def _sign(path: str, body: bytes, headers: dict[str, str], slack_secret: str) -> None:
    if path == "/slack/events":
        stamp = str(int(time.time()))
        mac = hmac.new(slack_secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
        headers |= {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={mac}"}
    elif path == "/jira/webhook":
        mac = hmac.new(JIRA_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature"] = f"sha256={mac}"


def test_every_documented_operation_answers_as_documented_and_never_5xx(fuzzed: Chaos) -> None:
    base = f"http://127.0.0.1:{fuzzed.service.port}"
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} >= {
        ("POST", "/slack/events"),
        ("POST", "/jira/webhook"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
    }
    counts: Counter[tuple[str, int]] = Counter()

    with httpx.Client(timeout=30) as client:

        @settings(
            max_examples=SCHEMA_CASES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=st.one_of([op.as_strategy() for op in operations]), signed=st.booleans())
        def one(case: Any, signed: bool) -> None:
            kwargs = case.as_transport_kwargs(base_url=base)
            headers = {k: str(v) for k, v in kwargs["headers"].items()}
            body = _encode(kwargs)
            if "json" in kwargs:
                headers["Content-Type"] = "application/json"
            if signed and body is not None:
                _sign(case.path, body, headers, fuzzed.service.secret)
            response = client.request(
                kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers, content=body
            )
            counts[(f"{case.method.upper()} {case.path}", response.status_code)] += 1
            assert response.status_code < 500, response.text
            # Schema-valid is not Slack-valid (a missing event_id is a 400): acceptance is not required.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

        one()

    total = sum(counts.values())
    print(f"\nschemathesis: {total} cases over {len(operations)} operations: {dict(sorted(counts.items()))}")
    assert not any(status >= 500 for _, status in counts)
    assert not unhandled(fuzzed), unhandled(fuzzed)[:5]
