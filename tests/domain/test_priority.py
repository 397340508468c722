"""Priority from the impact x urgency matrix, the requester's own pick, and the bucket's floor and ceiling."""

from __future__ import annotations

import itertools

import pytest

from app.config.template import Template
from app.domain.priority import priority_for
from tests.intake_templates import EXAMPLE, bucket_data, example_data, template_from

# The documented default (deploy/bridge.example.yaml): rows are impact, columns urgency.
DEFAULT_MATRIX = {
    ("person", "not-blocked"): "Lowest",
    ("person", "slowed"): "Low",
    ("person", "blocked"): "Medium",
    ("team", "not-blocked"): "Low",
    ("team", "slowed"): "Medium",
    ("team", "blocked"): "High",
    ("many-teams", "not-blocked"): "Medium",
    ("many-teams", "slowed"): "High",
    ("many-teams", "blocked"): "High",
    ("customers", "not-blocked"): "Medium",
    ("customers", "slowed"): "High",
    ("customers", "blocked"): "Highest",
}
IMPACTS = ["person", "team", "many-teams", "customers"]
URGENCIES = ["not-blocked", "slowed", "blocked"]


def template(*, allow_override: bool = False) -> Template:
    data = example_data()
    data["intake"]["allow_priority_override"] = allow_override
    return template_from(data)


def without_intake_section() -> Template:
    data = example_data()
    del data["intake"]
    return template_from(data)


def test_the_table_covers_every_cell() -> None:
    assert set(DEFAULT_MATRIX) == set(itertools.product(IMPACTS, URGENCIES))
    assert EXAMPLE.is_file()


@pytest.mark.parametrize(("impact", "urgency"), sorted(DEFAULT_MATRIX))
def test_every_cell_of_the_default_matrix(impact: str, urgency: str) -> None:
    expected = DEFAULT_MATRIX[(impact, urgency)]
    for t in (template(), without_intake_section()):
        # "question" has neither floor nor ceiling, so the cell comes through unchanged.
        assert priority_for(t, t.bucket("question"), impact=impact, urgency=urgency) == expected


def test_default_matrix_never_lowers_priority_as_impact_or_urgency_rises() -> None:
    t = template()
    for i, impact in enumerate(IMPACTS):
        for j, urgency in enumerate(URGENCIES):
            rank = t.rank(DEFAULT_MATRIX[(impact, urgency)])
            if i:
                assert rank <= t.rank(DEFAULT_MATRIX[(IMPACTS[i - 1], urgency)])
            if j:
                assert rank <= t.rank(DEFAULT_MATRIX[(impact, URGENCIES[j - 1])])


@pytest.mark.parametrize(("impact", "urgency"), sorted(DEFAULT_MATRIX))
def test_incident_floor_is_high(impact: str, urgency: str) -> None:
    t = template()
    got = priority_for(t, t.bucket("incident"), impact=impact, urgency=urgency)
    cell = DEFAULT_MATRIX[(impact, urgency)]
    assert got == ("Highest" if cell == "Highest" else "High")


@pytest.mark.parametrize(("impact", "urgency"), sorted(DEFAULT_MATRIX))
def test_feature_request_ceiling_is_medium(impact: str, urgency: str) -> None:
    t = template()
    got = priority_for(t, t.bucket("feature-request"), impact=impact, urgency=urgency)
    cell = DEFAULT_MATRIX[(impact, urgency)]
    assert got == (cell if t.rank(cell) >= t.rank("Medium") else "Medium")


def test_floor_and_ceiling_together_pin_the_priority() -> None:
    data = example_data()
    bucket = bucket_data(data, "question")
    bucket["priority_floor"] = "Medium"
    bucket["priority_ceiling"] = "Medium"
    t = template_from(data)
    got = {priority_for(t, t.bucket("question"), impact=i, urgency=u) for i, u in DEFAULT_MATRIX}
    assert got == {"Medium"}


def test_override_refused_when_the_template_does_not_allow_it() -> None:
    t = template(allow_override=False)
    bucket = t.bucket("question")
    assert priority_for(t, bucket, impact="person", urgency="not-blocked", requested="Highest") == "Lowest"
    # Even a name that is not a priority is ignored, not trusted: the requester had no such field.
    assert priority_for(t, bucket, impact="team", urgency="slowed", requested="Urgent!!") == "Medium"


def test_override_allowed_replaces_the_matrix() -> None:
    t = template(allow_override=True)
    bucket = t.bucket("question")
    assert priority_for(t, bucket, impact="person", urgency="not-blocked", requested="Highest") == "Highest"
    assert priority_for(t, bucket, impact="customers", urgency="blocked", requested="Low") == "Low"
    assert priority_for(t, bucket, impact="team", urgency="slowed", requested=None) == "Medium"


def test_override_still_obeys_floor_and_ceiling() -> None:
    t = template(allow_override=True)
    assert (
        priority_for(t, t.bucket("incident"), impact="person", urgency="slowed", requested="Lowest") == "High"
    )
    feature = t.bucket("feature-request")
    assert priority_for(t, feature, impact="person", urgency="slowed", requested="Highest") == "Medium"


def test_unknown_requested_priority_is_an_error_when_overrides_are_allowed() -> None:
    t = template(allow_override=True)
    with pytest.raises(ValueError, match="'Urgent' is not one of"):
        priority_for(t, t.bucket("question"), impact="team", urgency="slowed", requested="Urgent")


@pytest.mark.parametrize(("impact", "urgency"), [("everyone", "blocked"), ("team", "on-fire")])
def test_unknown_answers_are_an_error(impact: str, urgency: str) -> None:
    t = template()
    with pytest.raises(ValueError, match="no intake matrix cell"):
        priority_for(t, t.bucket("question"), impact=impact, urgency=urgency)


def test_custom_matrix_and_priority_names() -> None:
    data = example_data()
    data.pop("sla", None)  # its targets name the default priorities
    data["priorities"] = ["P1", "P2", "P3"]
    data["default_priority"] = "P2"
    for bucket in data["buckets"]:
        for attr in ("default_priority", "priority_floor", "priority_ceiling"):
            bucket.pop(attr, None)
    bucket_data(data, "incident")["priority_floor"] = "P2"
    data["intake"] = {
        "impact": {
            "label": "Scope?",
            "options": [{"key": "small", "label": "Small"}, {"key": "big", "label": "Big"}],
        },
        "urgency": {
            "label": "Now?",
            "options": [{"key": "later", "label": "Later"}, {"key": "now", "label": "Now"}],
        },
        "matrix": {"small": {"later": "P3", "now": "P2"}, "big": {"later": "P2", "now": "P1"}},
    }
    t = template_from(data)
    assert priority_for(t, t.bucket("question"), impact="small", urgency="later") == "P3"
    assert priority_for(t, t.bucket("question"), impact="big", urgency="now") == "P1"
    assert priority_for(t, t.bucket("incident"), impact="small", urgency="later") == "P2"
