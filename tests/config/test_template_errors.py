"""Template errors name the file, the key path and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config.loader import TemplateError, load_template, parse_template

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "bridge.example.yaml"


def test_example_template_is_valid() -> None:
    template = load_template(EXAMPLE)
    assert {t.key for t in template.teams} == {"platform", "networking"}


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (("default_priority: Medium", "default_priority: Urgent"), "default_priority 'Urgent' is not one of"),
        (("priority_floor: High ", "priority_floor: Critical "), "priority_floor 'Critical' is not one of"),
        (("channels: [C0NETSUP]", "channels: [C0PLATSUP]"), "duplicate team channels: C0PLATSUP"),
        (("emoji: [lock]", "emoji: [ticket]"), "duplicate trigger emoji"),
        (("project: NET", "project: net"), "teams[1].jira.project"),
        (
            ("*<{ticket_url}|{ticket_key}>*", "*<{ticket_url}|{ticket_id}>*"),
            "unknown placeholder {ticket_id}",
        ),
        (
            ("    default_priority: Low\n", "    default_priority: Low\n    colour: blue\n"),
            "colour: Extra inputs",
        ),
    ],
)
def test_problems_are_named_with_their_key_path(mutation: tuple[str, str], expected: str) -> None:
    raw = EXAMPLE.read_text()
    assert mutation[0] in raw
    with pytest.raises(TemplateError) as error:
        parse_template(raw.replace(mutation[0], mutation[1], 1), source="bridge.yaml")
    assert str(error.value).startswith("bridge.yaml")
    assert expected in str(error.value)


def test_invalid_yaml_names_line_and_column() -> None:
    with pytest.raises(TemplateError, match=r"^bridge.yaml: line 3, column 1: invalid YAML"):
        parse_template("teams:\n  - key: [unclosed\n", source="bridge.yaml")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="workflow template not found"):
        load_template(tmp_path / "nope.yaml")
