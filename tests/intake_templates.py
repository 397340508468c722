"""Workflow templates for intake tests: the example template, changed as a test needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.config.loader import parse_template
from app.config.template import Template

EXAMPLE = Path(__file__).resolve().parents[1] / "deploy" / "bridge.example.yaml"


def example_data() -> dict[str, Any]:
    """The example template as plain YAML data, a fresh copy each call."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def template_from(data: dict[str, Any]) -> Template:
    """Validate through the loader, so errors read as they would for an operator."""
    return parse_template(yaml.safe_dump(data, sort_keys=False), source="bridge.yaml")


def bucket_data(data: dict[str, Any], key: str) -> dict[str, Any]:
    bucket = next(b for b in data["buckets"] if b["key"] == key)
    assert isinstance(bucket, dict)
    return bucket


ALL_TYPES_INPUTS: list[dict[str, Any]] = [
    {"key": "title", "label": "Short title", "type": "text", "jira_field": "customfield_10001"},
    {"key": "steps", "label": "Steps", "type": "long_text", "jira_field": "customfield_10002"},
    {
        "key": "system",
        "label": "Which system?",
        "type": "select",
        "jira_field": "customfield_10042",
        "required": True,
        "options": ["GitHub", "Vault", {"value": "AWS console", "label": "AWS"}],
    },
    {
        "key": "envs",
        "label": "Environments",
        "type": "multi_select",
        "jira_field": "customfield_10003",
        "options": ["dev", "staging", "prod"],
    },
    {"key": "approver", "label": "Approver", "type": "user", "jira_field": "customfield_10050"},
    {"key": "needed-by", "label": "Needed by", "type": "date", "jira_field": "duedate"},
    {"key": "link", "label": "Link", "type": "url", "jira_field": "customfield_10004"},
    {
        "key": "tier",
        "label": "Tier",
        "type": "select",
        "jira_field": "customfield_10005",
        "jira_shape": "string",
        "options": ["gold", "silver"],
    },
    {
        "key": "version",
        "label": "Version",
        "type": "select",
        "jira_field": "customfield_10006",
        "jira_shape": "name",
        "options": ["1.0", "2.0"],
    },
    {
        "key": "parts",
        "label": "Components",
        "type": "multi_select",
        "jira_field": "components",
        "jira_shape": "names",
        "options": ["runners", "artifacts"],
    },
    {
        "key": "tags",
        "label": "Tags",
        "type": "multi_select",
        "jira_field": "customfield_10007",
        "jira_shape": "array",
        "options": ["a", "b", "c"],
    },
    {
        "key": "started",
        "label": "Started on",
        "type": "date",
        "jira_field": "customfield_10008",
        "allow_past": True,
    },
]


def all_types_template(*, allow_priority_override: bool = False, single_team: bool = False) -> Template:
    """The example template whose access-request bucket has one input of every type and shape."""
    data = example_data()
    bucket_data(data, "access-request")["inputs"] = ALL_TYPES_INPUTS
    data.setdefault("intake", {})["allow_priority_override"] = allow_priority_override
    if single_team:
        data["teams"] = data["teams"][:1]
    return template_from(data)
