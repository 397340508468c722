"""Realistic interrupt tickets for the fake Jira, for report tests, the sandbox and the benchmark.

Deterministic for a seed: recurring topics with varied wording (what repeat-topic grouping must
find), buckets, teams, priorities, requesters, resolutions, prevention notes, FAQ deflections and
private requests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.faq import FAQ_DEFLECTED_LABEL
from app.sandbox.fake_jira import FakeJira
from app.sandbox.jira_models import DONE

TOPICS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ci-broken", "High", ("CI runners out of disk", "CI runner out of disk space", "runners out of disk")),
    ("access-request", "Medium", ("Need access to Vault", "need Vault access", "Access to Vault please")),
    ("access-request", "Medium", ("Grafana dashboard access", "access to the Grafana dashboards")),
    ("question", "Low", ("How do I rotate my API token?", "how to rotate an API token")),
    ("incident", "Highest", ("Staging cluster is down", "staging cluster down", "Staging cluster down!")),
    ("question", "Low", ("Where are the deploy logs?", "where can I find deploy logs")),
    ("ci-broken", "High", ("Flaky integration tests in pipeline", "pipeline integration tests flaky")),
)
WORDS = tuple(
    "billing export terraform module quota proxy certificate dns queue kafka topic "  # noqa: SIM905
    "schema registry mirror helm chart secret budget alert pager backup restore vpn "
    "ldap group sso saml cost report bucket policy runner image cache artifact gradle "
    "npm".split()
)
TEAMS = (("PLAT", "team-platform"), ("NET", "team-networking"))


@dataclass(frozen=True)
class SeedOptions:
    count: int
    days: float = 60.0
    seed: int = 6
    end: datetime | None = None
    resolved_share: float = 0.7
    prevention_share: float = 0.3
    private_share: float = 0.05
    unique_share: float = 0.2
    """Tickets whose summary is one of a kind (not part of any topic)."""
    deflected_share: float = 0.15
    """Resolved tickets labelled as answered by the FAQ (drawn apart, so other draws stay as they were)."""


def seed_interrupts(fake: FakeJira, options: SeedOptions) -> list[str]:
    """Add `options.count` interrupt issues spread evenly over `options.days` before `end`; their keys."""
    rng = random.Random(options.seed)
    faq_rng = random.Random(options.seed + 1)
    with fake.lock:
        state = fake.state
        end = options.end or state.clock()
        step = timedelta(days=options.days) / max(options.count, 1)
        priorities = {p.name: p for p in state.priorities}
        people = [u for u in state.users if u is not fake.bot] or [fake.bot]
        issue_type = state.issue_type("Task")
        keys = []
        for n in range(options.count):
            project_key, team_label = TEAMS[0] if rng.random() < 0.7 else TEAMS[1]
            project = state.projects[project_key]
            if rng.random() < options.unique_share:
                bucket, priority = "question", "Low"
                summary = " ".join(rng.sample(WORDS, 5)).capitalize()
            else:
                bucket, priority, wordings = TOPICS[rng.randrange(len(TOPICS))]
                summary = rng.choice(wordings)
            issue = state.new_issue(project, issue_type, summary, rng.choice(people))
            issue.created = issue.updated = end - step * (options.count - n)
            issue.priority = priorities.get(priority, state.default_priority)
            labels = ["interrupt", f"bucket-{bucket}", team_label, f"ib-seed{n}"]
            if rng.random() < options.private_share:
                labels.append("private-request")
            if rng.random() < options.resolved_share:
                issue.status, issue.resolution = DONE, state.resolutions[0]
                issue.resolutiondate = issue.created + timedelta(hours=rng.expovariate(1 / 20))
                if rng.random() < options.prevention_share:
                    labels.append("prevention-noted")
                if faq_rng.random() < options.deflected_share:
                    labels.append(FAQ_DEFLECTED_LABEL)
            issue.labels = labels
            keys.append(issue.key)
        state.version += 1
        return keys
