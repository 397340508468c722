"""A spec-checked fake Jira (Cloud and Data Center) seeded with interrupt tickets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config.loader import load_template
from app.config.template import Template
from app.sandbox.fake_jira import FakeJira
from app.sandbox.report_seed import SeedOptions, seed_interrupts
from tests.sandbox.jira_support import DEPLOYMENTS, start_fake

EXAMPLE_TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "bridge.example.yaml"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(params=DEPLOYMENTS)
def seeded(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    """250 interrupt tickets over the 60 days before NOW (so a 30-day report has a previous period)."""
    fake = start_fake(request.param, clock=lambda: NOW)
    seed_interrupts(fake, SeedOptions(count=250, days=60, end=NOW))
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.spec_violations == [], "the report or the fake broke the Jira spec"


@pytest.fixture
def template() -> Template:
    return load_template(EXAMPLE_TEMPLATE)
