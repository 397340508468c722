"""The template's `intake` section and bucket `inputs`: defaults, shapes and the problems an operator sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.config.loader import TemplateError
from app.config.template import JIRA_SHAPES, FormInput, Intake
from tests.intake_templates import bucket_data, example_data, template_from

Mutation = Callable[[dict[str, Any]], None]


def errors_of(mutate: Mutation) -> str:
    data = example_data()
    mutate(data)
    with pytest.raises(TemplateError) as error:
        template_from(data)
    return str(error.value)


def set_inputs(key: str, *inputs: dict[str, Any]) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        bucket_data(data, key)["inputs"] = list(inputs)

    return mutate


def select(**extra: Any) -> dict[str, Any]:
    return {"key": "system", "label": "System", "type": "select", "jira_field": "customfield_10042",
            "options": ["a", "b"], **extra}  # fmt: skip


def test_example_documents_exactly_the_defaults() -> None:
    data = example_data()
    assert template_from(data).intake == Intake()
    del data["intake"]
    template = template_from(data)
    assert template.intake == Intake()
    assert template.intake.allow_priority_override is False
    assert template.intake.impact.label == "Who is affected?"
    assert template.intake.urgency.keys() == ("not-blocked", "slowed", "blocked")


def test_example_buckets_have_inputs() -> None:
    template = template_from(example_data())
    system, needed_by = template.bucket("access-request").inputs
    assert (system.jira_field, system.type, system.required) == ("customfield_10042", "select", True)
    assert (needed_by.jira_field, needed_by.type, needed_by.shape) == ("duedate", "date", "date")
    assert system.block_id == "input:system"
    assert template.bucket("question").inputs == ()


def test_option_shorthand_and_labels() -> None:
    data = example_data()
    set_inputs("question", select(options=["Vault", {"value": "AWS console", "label": "AWS"}]))(data)
    (field,) = template_from(data).bucket("question").inputs
    assert [(o.value, o.text) for o in field.options] == [("Vault", "Vault"), ("AWS console", "AWS")]


@pytest.mark.parametrize(("kind", "default"), [(k, v[0]) for k, v in JIRA_SHAPES.items()])
def test_jira_shape_defaults_by_type(kind: str, default: str) -> None:
    options = ["a"] if kind in ("select", "multi_select") else []
    field = FormInput(key="x", label="X", type=kind, jira_field="customfield_1", options=options)  # type: ignore[arg-type]
    assert field.shape == default


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["intake"]["matrix"]["team"].pop("slowed"),
            "matrix['team'] has no cell for urgency 'slowed'",
        ),
        (lambda d: d["intake"]["matrix"].pop("customers"), "matrix has no row for impact 'customers'"),
        (lambda d: d["intake"]["matrix"]["team"].update(panic="High"), "names unknown urgency 'panic'"),
        (lambda d: d["intake"]["matrix"].update(aliens={}), "matrix names unknown impact 'aliens'"),
        (
            lambda d: d["intake"]["matrix"]["person"].update(slowed="Urgent"),
            "intake.matrix['person']['slowed'] 'Urgent' is not one of priorities",
        ),
        (
            lambda d: d["intake"]["impact"]["options"].append({"key": "team", "label": "Again"}),
            "duplicate option keys: team",
        ),
        (lambda d: d["intake"]["urgency"].update(options=[]), "intake.urgency.options"),
        (
            lambda d: d["intake"]["impact"]["options"][0].update(label="x" * 76),
            "intake.impact.options[0].label",
        ),
        (lambda d: d["intake"]["impact"]["options"][0].update(key="Person"), "intake.impact.options[0].key"),
        (lambda d: d["intake"].update(allow_priority_override="sometimes"), "intake.allow_priority_override"),
    ],
)
def test_intake_problems_are_named(mutate: Mutation, expected: str) -> None:
    message = errors_of(mutate)
    assert message.startswith("bridge.yaml")
    assert expected in message


def test_other_priority_names_need_their_own_matrix() -> None:
    def mutate(data: dict[str, Any]) -> None:
        del data["intake"]
        data.pop("sla", None)  # its targets name the default priorities too
        data["priorities"] = ["P1", "P2", "P3"]
        data["default_priority"] = "P2"
        for bucket in data["buckets"]:
            for attr in ("default_priority", "priority_floor", "priority_ceiling"):
                bucket.pop(attr, None)

    message = errors_of(mutate)
    assert "is not one of priorities (the default intake matrix uses Highest..Lowest" in message


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ((select(options=[]),), "a select input needs options"),
        (({"key": "t", "label": "T", "type": "text", "jira_field": "customfield_1", "options": ["a"]},),
         "a text input takes no options"),
        ((select(options=["a", "a"]),), "duplicate option values: a"),
        ((select(jira_shape="names"),), "does not fit a select input; use one of option, string, name"),
        ((select(type="multi_select", jira_shape="option"),), "does not fit a multi_select input"),
        (({"key": "u", "label": "U", "type": "user", "jira_field": "assignee", "jira_shape": "string"},),
         "does not fit a user input"),
        ((select(allow_past=True),), "allow_past applies to date inputs only"),
        ((select(jira_field="labels"),), "jira_field 'labels' is set by the bridge itself"),
        ((select(jira_field="priority"),), "jira_field 'priority' is set by the bridge itself"),
        ((select(jira_field="customfield_abc"),), "a custom field id reads customfield_<number>"),
        ((select(jira_field="customfield_"),), "a custom field id reads customfield_<number>"),
        ((select(jira_field="Due Date"),), "jira_field"),
        ((select(), select()), "duplicate input keys: system"),
        ((select(), select(key="other")), "duplicate input jira_field: customfield_10042"),
        ((select(type="dropdown"),), "inputs[0].type"),
        ((select(options=[{"value": "v", "label": "x" * 76}]),), "inputs[0].options[0].label"),
        ((select(options=[f"o{i}" for i in range(101)]),), "inputs[0].options"),
        ((select(placeholder="p" * 151),), "inputs[0].placeholder"),
        ((select(colour="blue"),), "inputs[0].colour"),
        (tuple(select(key=f"k{i}", jira_field=f"customfield_{i}") for i in range(51)), "buckets[1].inputs"),
    ],
)  # fmt: skip
def test_input_problems_are_named(inputs: tuple[dict[str, Any], ...], expected: str) -> None:
    message = errors_of(set_inputs("access-request", *inputs))
    assert expected in message


def test_at_most_100_buckets_and_teams() -> None:
    def many_buckets(data: dict[str, Any]) -> None:
        data["buckets"] += [{"key": f"b{i}", "name": f"B{i}"} for i in range(100)]

    assert "buckets" in errors_of(many_buckets)

    data = example_data()
    data["buckets"] = data["buckets"][:1] + [{"key": f"b{i}", "name": f"B{i}"} for i in range(99)]
    data["defaults"]["default_bucket"] = data["buckets"][0]["key"]
    assert len(template_from(data).buckets) == 100


def test_a_full_intake_section_loads() -> None:
    data = example_data()
    data["intake"] = {
        "impact": {
            "label": "Blast radius?",
            "hint": "Pick the widest group that is affected.",
            "options": [
                {"key": "one", "label": "One", "description": "Just one person"},
                {"key": "all", "label": "All"},
            ],
        },
        "urgency": {
            "label": "When?",
            "options": [{"key": "later", "label": "Later"}, {"key": "now", "label": "Now"}],
        },
        "matrix": {"one": {"later": "Low", "now": "Medium"}, "all": {"later": "High", "now": "Highest"}},
        "allow_priority_override": True,
    }
    intake = template_from(data).intake
    assert intake.priority("all", "now") == "Highest"
    assert intake.impact.options[0].description == "Just one person"
    assert intake.allow_priority_override is True
    with pytest.raises(KeyError):
        intake.priority("one", "whenever")


def test_team_members_are_slack_user_ids() -> None:
    data = example_data()
    data["teams"][0]["members"] = ["U012AB3CD", "W0ABCDEF1"]
    assert template_from(data).team("platform").members == ("U012AB3CD", "W0ABCDEF1")
    assert template_from(example_data()).team("networking").members == ()
    data["teams"][0]["members"] = ["@alice"]
    with pytest.raises(TemplateError, match=r"teams\[0\]\.members\[0\]"):
        template_from(data)
