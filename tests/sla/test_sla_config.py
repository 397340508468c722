"""The `sla:` and `sync:` sections of the workflow template."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml
from pydantic import ValidationError

from app.config.sla import JiraSync, SlaPolicy, Span, parse_span, policy_of, sync_of

SECTION = """
sla:
  targets:
    Highest: {first_response: 30m, resolution: 4h, clock: 24x7}
    High: {first_response: 2h, resolution: 2d}
    Medium: {first_response: 1d4h}
  reminders: [1.0, 0.5, 0.75]
  triage_channels: {platform: C0PLATTRI}
  timezone: Europe/Berlin
sync:
  status_messages: false
  prevention_label: null
"""


def test_the_section_parses() -> None:
    data = yaml.safe_load(SECTION)
    policy = SlaPolicy.model_validate(data["sla"])
    highest, high, medium = (policy.targets[p] for p in ("Highest", "High", "Medium"))
    assert (highest.first_response, highest.resolution, highest.clock) == (Span(0, 30), Span(0, 240), "24x7")
    assert (high.first_response, high.resolution, high.clock) == (Span(0, 120), Span(2, 0), "business")
    assert (medium.first_response, medium.resolution) == (Span(1, 240), None)
    assert policy.target("Low") is None
    assert policy.reminders == (0.5, 0.75, 1.0)
    assert policy.triage_channels == {"platform": "C0PLATTRI"}
    assert policy.zone.key == "Europe/Berlin"
    options = JiraSync.model_validate(data["sync"])
    assert (options.status_messages, options.mirror_jira_comments, options.prevention_label) == (
        False,
        True,
        None,
    )


def test_defaults() -> None:
    policy = SlaPolicy()
    assert (policy.targets, policy.reminders, policy.triage_channels, policy.timezone) == (
        {},
        (0.75, 1.0),
        {},
        "UTC",
    )
    assert JiraSync().resolved_reaction == "white_check_mark"
    assert JiraSync().prevention_label == "prevention-noted"


@pytest.mark.parametrize(
    ("text", "span"),
    [("45m", Span(0, 45)), ("4h", Span(0, 240)), ("2d", Span(2, 0)), ("1d 2h 30m", Span(1, 150))],
)
def test_durations(text: str, span: Span) -> None:
    assert parse_span(text) == span
    assert parse_span(str(span)) == span


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"targets": {"High": {"first_response": "4 hours"}}}, "is not a duration"),
        ({"targets": {"High": {"first_response": 4}}}, "write a duration with its unit"),
        ({"targets": {"High": {"first_response": "0m"}}}, "is zero"),
        ({"targets": {"High": {"clock": "always"}}}, "business"),
        ({"targets": {"High": {"first_responce": "4h"}}}, "Extra inputs are not permitted"),
        ({"reminders": [0]}, "is not a fraction"),
        ({"reminders": [0.75, 0.75]}, "twice"),
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"triage_channels": {"platform": "#triage"}}, "pattern"),
    ],
)
def test_mistakes_are_named(section: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SlaPolicy.model_validate(section)


def test_problems_against_the_rest_of_the_template() -> None:
    policy = SlaPolicy.model_validate(
        {"targets": {"Urgent": {"first_response": "1h"}, "High": {}}, "triage_channels": {"ops": "C0OPS"}}
    )
    assert policy.problems(priorities=["High", "Low"], team_keys=["platform"]) == [
        "sla.targets names 'Urgent', which is not one of priorities",
        "sla.triage_channels names team 'ops', which is not a team key",
    ]


def test_policy_of_reads_the_template_sections_when_present() -> None:
    policy = SlaPolicy.model_validate({"targets": {"High": {"first_response": "1h"}}})
    options = JiraSync(status_messages=False)
    assert policy_of(SimpleNamespace(sla=policy)) is policy
    assert sync_of(SimpleNamespace(sync=options)) is options
    assert policy_of(SimpleNamespace(sla={"targets": {}})) == SlaPolicy()  # not validated: ignored
    assert policy_of(object()) == SlaPolicy()
    assert sync_of(object()) == JiraSync()
