"""Hypothesis-generated Slack deliveries (events, interactivity, slash commands), signed and not.

Sent over real HTTP to the running service (tests/fuzz/conftest.py). A validly signed delivery
gets a 2xx or a 4xx with a JSON error, never a 5xx; anything not validly signed gets exactly
401. The service must log no traceback, and its resident memory is printed after a warm-up and
at the end (`FUZZ_CASES=10000 pytest -s tests/fuzz` is the long run; its growth is asserted).
"""

from __future__ import annotations

from collections import Counter

import httpx
from hypothesis import HealthCheck, given, settings

from bench.chaos import Chaos
from tests.fuzz.conftest import CASES, unhandled
from tests.fuzz.slack_strategies import Delivery, deliveries

LONG_RUN = 10_000
MAX_GROWTH_BYTES = 64 * 1024 * 1024  # after warm-up; a leak per request would pass this long before 10k


def test_generated_slack_deliveries_never_5xx_and_unsigned_is_401(fuzzed: Chaos) -> None:
    service = fuzzed.service
    counts: Counter[tuple[str, str, int]] = Counter()
    rss: dict[str, int] = {}
    warm_up = max(50, CASES // 10)

    with httpx.Client(base_url=f"http://127.0.0.1:{service.port}", timeout=30) as client:

        @settings(max_examples=CASES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(delivery=deliveries())
        def one(delivery: Delivery) -> None:
            response = client.post(
                "/slack/events", content=delivery.body, headers=delivery.headers(service.secret)
            )
            counts[(delivery.kind, delivery.signing, response.status_code)] += 1
            if sum(counts.values()) == warm_up:
                rss["after warm-up"] = service.rss_bytes()
            sent = delivery.body.decode(errors="replace")
            assert response.status_code < 500, (delivery.kind, sent, response.text)
            if delivery.signing != "valid":
                assert response.status_code == 401, (delivery.signing, sent, response.text)
            elif response.status_code >= 400:
                assert response.json()["ok"] is False, response.text

        one()

    rss["at the end"] = service.rss_bytes()
    total = sum(counts.values())
    by_outcome: Counter[tuple[str, str, int]] = Counter()
    for (kind, signing, code), n in counts.items():
        by_outcome[(kind, "signed" if signing == "valid" else "unsigned", code)] += n
    print(
        f"\nslack payload fuzz: {total} deliveries; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(by_outcome.items()))
    )
    growth = rss["at the end"] - rss.get("after warm-up", rss["at the end"])
    mib = {k: v / 2**20 for k, v in rss.items()}
    print(
        f"service RSS after {warm_up} deliveries {mib.get('after warm-up', 0):.1f} MiB, "
        f"after {total}: {mib['at the end']:.1f} MiB (growth {growth / 2**20:+.1f} MiB)"
    )
    assert not unhandled(fuzzed), unhandled(fuzzed)[:5]
    if total >= LONG_RUN:
        assert growth < MAX_GROWTH_BYTES
