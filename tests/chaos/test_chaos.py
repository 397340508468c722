"""The chaos suite: the real `serve` subprocess on the sandbox fakes under faults (see bench/chaos.py).

The default run takes CI's short sample (about a minute, three services side by side);
`CHAOS_LONG=1` takes the long one (Jira answering after 10 s, a 200-ticket run with six kill -9).
Every scenario must leave exactly one Jira issue and one thread reply per request, every request
acknowledged, and no ticket job neither done nor dead; the counts are printed (`pytest -s`).
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from bench.chaos import ALL, ALL_NAMES, LONG, SHORT, Outcome, run_all
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.chaos

# Faults whose hits the fakes can count; the others are checked through retried jobs or notes.
COUNTED = {"jira-down-503", "jira-429-retry-after", "jira-slow-answer", "jira-reset-after-create",
           "slack-429", "slack-5xx", "postgres-terminated", "kill-9-restarts"}  # fmt: skip
RETRIED = {"jira-down-503", "jira-connection-refused", "jira-429-retry-after", "jira-slow-answer",
           "jira-reset-after-create", "slack-5xx", "kill-9-restarts"}  # fmt: skip


def _postgres_reachable() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception:
        if os.environ.get("CI"):
            raise
        return False
    return True


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    profile = LONG if os.environ.get("CHAOS_LONG") else SHORT
    only = [name for name in ALL if name != "postgres" or _postgres_reachable()]
    print(f"\nchaos ({profile.name})")
    return {o.scenario: o for o in run_all(profile, only, emit=lambda line: print(line, flush=True))}


@pytest.mark.parametrize("scenario", ALL_NAMES)
def test_exactly_one_ticket_and_reply_per_request_and_nothing_stuck(
    outcomes: dict[str, Outcome], scenario: str
) -> None:
    if scenario not in outcomes:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    outcome = outcomes[scenario]
    assert outcome.acked == outcome.requests, outcome.line()
    assert outcome.with_one_issue == outcome.requests, outcome.line()
    assert outcome.duplicate_issues == 0, outcome.line()
    assert outcome.with_one_reply == outcome.requests, outcome.line()
    assert outcome.duplicate_replies == 0, outcome.line()
    assert outcome.stuck_jobs == 0, outcome.line()
    assert outcome.dead_jobs == 0, outcome.line()  # every fault here is transient
    # the fault really happened while the batch was in flight
    if scenario in COUNTED:
        assert outcome.faults_hit > 0, outcome.line()
    if scenario in RETRIED:
        assert outcome.retried_jobs > 0, outcome.line()
