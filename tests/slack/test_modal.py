"""The intake modal's Block Kit: valid for slack_sdk and Slack's views.open spec, re-rendered per bucket."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.models.views import View

from app.config.template import Template
from app.sandbox.fake_slack import DEFAULT_BOT_TOKEN, FakeSlack
from app.sandbox.http_fake import FakeRequest
from app.slack.ids import ActionId, CallbackId
from app.slack.modal import intake_view
from app.slack.modal_submission import state_values
from tests.intake_templates import all_types_template, bucket_data, example_data, template_from
from tests.slack.modal_state import state_for
from tests.specs.slack_spec import slack_checker_or_none

METADATA = "signed.metadata"


def render(template: Template, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "teams": template.teams,
        "selected_team": None,
        "selected_bucket": None,
        "values": {},
        "private_metadata": METADATA,
    }
    arguments.update(overrides)
    return intake_view(template, **arguments)


def blocks_by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block for block in view["blocks"]}


def block_ids(view: dict[str, Any]) -> list[str]:
    return [block["block_id"] for block in view["blocks"]]


def every_text(node: object) -> list[dict[str, Any]]:
    """Every text object in a view, however deep."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
            found.append(node)
        for value in node.values():
            found += every_text(value)
    elif isinstance(node, list):
        for value in node:
            found += every_text(value)
    return found


def assert_valid_view(view: dict[str, Any]) -> None:
    """slack_sdk parses it back into the same view and its validators (lengths, counts) pass."""
    assert View(**view).to_dict() == view
    assert len(view["title"]["text"]) <= 24
    assert len(view["blocks"]) <= 100
    assert len(view["private_metadata"]) <= 3000
    assert len(json.dumps(view)) < 250_000  # views.open's view_too_large
    for block in view["blocks"]:
        options = block.get("element", {}).get("options", [])
        assert len(options) <= 100
        for option in options:
            assert len(option["text"]["text"]) <= 75
            assert len(option.get("description", {}).get("text", "")) <= 75
            assert len(option["value"]) <= 150
    ids = block_ids(view)
    assert len(ids) == len(set(ids))


def test_raise_view_layout() -> None:
    template = template_from(example_data())
    view = render(template, selected_bucket="access-request", values={"summary": "Need Vault access"})
    assert_valid_view(view)
    assert view["type"] == "modal"
    assert view["callback_id"] == CallbackId.intake_modal
    assert view["title"]["text"] == "Raise an interrupt"
    assert view["submit"]["text"] == "Raise"
    assert view["private_metadata"] == METADATA
    assert block_ids(view) == [
        "team",
        "bucket",
        "bucket_help",
        "summary",
        "impact",
        "urgency",
        "input:system",
        "input:needed-by",
        "description",
    ]
    blocks = blocks_by_id(view)
    assert blocks["summary"]["element"]["initial_value"] == "Need Vault access"
    assert blocks["summary"]["element"]["max_length"] == 255
    assert blocks["summary"]["optional"] is False
    assert blocks["description"]["optional"] is True
    assert blocks["description"]["element"]["multiline"] is True
    assert blocks["input:system"]["optional"] is False
    assert blocks["input:needed-by"]["optional"] is True
    assert blocks["input:needed-by"]["element"]["type"] == "datepicker"
    assert [o["value"] for o in blocks["impact"]["element"]["options"]] == list(template.intake.impact.keys())
    assert blocks["impact"]["label"]["text"] == "Who is affected?"
    assert blocks["urgency"]["label"]["text"] == "Is work blocked?"


def test_bucket_select_dispatches_and_describes_buckets() -> None:
    template = template_from(example_data())
    view = render(template, selected_bucket="incident")
    bucket = blocks_by_id(view)["bucket"]
    assert bucket["dispatch_action"] is True
    assert bucket["element"]["action_id"] == ActionId.intake_bucket
    assert bucket["element"]["initial_option"]["value"] == "incident"
    by_value = {o["value"]: o for o in bucket["element"]["options"]}
    assert set(by_value) == {b.key for b in template.buckets}
    assert by_value["incident"]["description"]["text"] == template.bucket("incident").description
    help_block = blocks_by_id(view)["bucket_help"]
    assert help_block["type"] == "context"
    assert help_block["elements"][0]["text"] == template.bucket("incident").description


def test_no_bucket_selected_shows_no_inputs_and_no_help() -> None:
    template = template_from(example_data())
    view = render(template)
    assert_valid_view(view)
    assert "initial_option" not in blocks_by_id(view)["bucket"]["element"]
    assert not [i for i in block_ids(view) if i.startswith("input:") or i == "bucket_help"]


def test_team_select_only_when_several_teams_could_own_it() -> None:
    template = template_from(example_data())
    several = render(template, selected_team="networking")
    team = blocks_by_id(several)["team"]
    assert team["element"]["action_id"] == ActionId.intake_team
    assert [o["value"] for o in team["element"]["options"]] == ["platform", "networking"]
    assert team["element"]["initial_option"]["value"] == "networking"
    one = render(template, teams=template.teams[:1], selected_team="platform")
    assert "team" not in block_ids(one)


def test_bucket_change_rerenders_with_that_buckets_inputs_and_keeps_answers() -> None:
    template = template_from(example_data())
    first = render(template, selected_bucket="access-request")
    typed = {
        "summary": "Prod API is down",
        "impact": "customers",
        "urgency": "blocked",
        "input:system": "Vault",
    }
    # What a block_actions payload carries when the requester switches the bucket to "incident".
    changed = {"state": {"values": state_for(first, {**typed, "bucket": "incident"})}}
    values = state_values(changed)
    assert values["bucket"] == "incident"
    second = render(template, selected_bucket=str(values["bucket"]), values=values)
    assert_valid_view(second)
    ids = block_ids(second)
    assert "input:service" in ids
    assert "input:system" not in ids
    assert "input:needed-by" not in ids
    blocks = blocks_by_id(second)
    assert blocks["summary"]["element"]["initial_value"] == "Prod API is down"
    assert blocks["impact"]["element"]["initial_option"]["value"] == "customers"
    assert blocks["urgency"]["element"]["initial_option"]["value"] == "blocked"
    assert blocks["bucket_help"]["elements"][0]["text"] == template.bucket("incident").description
    # The block ids that both renders share are the same, so Slack keeps what was typed.
    assert set(block_ids(first)) & set(ids) >= {
        "team",
        "bucket",
        "summary",
        "impact",
        "urgency",
        "description",
    }


def test_every_input_type_renders_with_initial_values() -> None:
    template = all_types_template()
    values = {
        "input:title": "A title",
        "input:steps": "1. open\n2. fail",
        "input:system": "AWS console",
        "input:envs": ["staging", "prod"],
        "input:approver": "U012AB3CD",
        "input:needed-by": "2030-01-31",
        "input:link": "https://ci.example.com/1",
    }
    view = render(template, selected_bucket="access-request", values=values)
    assert_valid_view(view)
    blocks = blocks_by_id(view)
    element = {key: blocks[key]["element"] for key in blocks if key.startswith("input:")}
    assert element["input:title"]["type"] == "plain_text_input"
    assert element["input:title"]["initial_value"] == "A title"
    assert element["input:title"]["max_length"] == 255
    assert element["input:steps"]["multiline"] is True
    assert element["input:steps"]["initial_value"] == "1. open\n2. fail"
    assert element["input:system"]["initial_option"]["text"]["text"] == "AWS"
    assert [o["value"] for o in element["input:envs"]["initial_options"]] == ["staging", "prod"]
    assert element["input:envs"]["type"] == "multi_static_select"
    assert element["input:approver"] == {
        "type": "users_select",
        "action_id": ActionId.intake_input,
        "initial_user": "U012AB3CD",
    }
    assert element["input:needed-by"]["initial_date"] == "2030-01-31"
    assert element["input:link"]["type"] == "url_text_input"
    assert element["input:link"]["initial_value"] == "https://ci.example.com/1"


def test_initial_values_that_are_not_valid_are_left_out() -> None:
    template = all_types_template()
    values = {
        "impact": "everyone",
        "input:system": "Jenkins",
        "input:envs": ["moon"],
        "input:approver": "not-a-user",
        "input:needed-by": "31/01/2030",
        "summary": "s" * 300,
    }
    view = render(template, selected_bucket="access-request", values=values)
    assert_valid_view(view)
    blocks = blocks_by_id(view)
    assert "initial_option" not in blocks["impact"]["element"]
    assert "initial_option" not in blocks["input:system"]["element"]
    assert "initial_options" not in blocks["input:envs"]["element"]
    assert "initial_user" not in blocks["input:approver"]["element"]
    assert "initial_date" not in blocks["input:needed-by"]["element"]
    summary = blocks["summary"]["element"]["initial_value"]
    assert len(summary) == 255
    assert summary.endswith("…")


def test_priority_select_only_when_the_template_allows_it() -> None:
    assert "priority" not in block_ids(render(all_types_template()))
    view = render(all_types_template(allow_priority_override=True), values={"priority": "High"})
    assert_valid_view(view)
    priority = blocks_by_id(view)["priority"]
    assert priority["optional"] is True
    assert [o["value"] for o in priority["element"]["options"]] == [
        "Highest",
        "High",
        "Medium",
        "Low",
        "Lowest",
    ]
    assert priority["element"]["initial_option"]["value"] == "High"
    assert block_ids(view).index("priority") == block_ids(view).index("urgency") + 1


def test_edit_mode() -> None:
    view = render(template_from(example_data()), mode="edit", selected_bucket="question")
    assert_valid_view(view)
    assert view["callback_id"] == CallbackId.edit_modal
    assert view["title"]["text"] == "Edit interrupt"
    assert view["submit"]["text"] == "Save"


LONG = "Wörds ✓ " * 40


def big_template_data(inputs: int) -> dict[str, Any]:
    """100 teams, 100 buckets, `inputs` multi-selects of 100 options in a bucket; texts at their longest."""
    data = example_data()
    data["teams"] = [
        {"key": f"t{i}", "name": LONG, "channels": [f"C{i:03d}X"], "jira": {"project": "PLAT"}}
        for i in range(100)
    ]
    data["buckets"] = [{"key": f"b{i}", "name": LONG, "description": LONG * 10} for i in range(100)]
    data["defaults"]["default_bucket"] = "b0"
    data["buckets"][0]["inputs"] = [
        {
            "key": f"k{i}",
            "label": "L" * 2000,
            "type": "multi_select",
            "jira_field": f"customfield_{i}",
            "hint": "H" * 2000,
            "placeholder": "P" * 150,
            "options": [{"value": "v" * 145 + f"{j:05d}", "label": LONG[:75]} for j in range(100)],
        }
        for i in range(inputs)
    ]
    data["intake"]["allow_priority_override"] = True
    return data


def test_a_template_too_large_for_a_modal_is_refused_when_loaded() -> None:
    # model_validate, not the YAML loader: dumping this much YAML takes seconds.
    with pytest.raises(ValidationError, match=r"bucket 'b0': its intake modal could reach \d+ kB"):
        Template.model_validate(big_template_data(50))


def test_every_template_that_loads_renders_within_slacks_limits() -> None:
    low, high = 0, 50  # the most inputs that still load, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        try:
            Template.model_validate(big_template_data(middle))
            low = middle
        except ValueError:
            high = middle - 1
    assert low > 0
    template = Template.model_validate(big_template_data(low))
    picked = {f.block_id: [o.value for o in f.options] for f in template.bucket("b0").inputs}
    view = render(template, selected_bucket="b0", selected_team="t0", private_metadata="m" * 3000, values={
        **picked, "summary": "é" * 255, "description": "é" * 3000, "priority": "High",
    })  # fmt: skip
    assert_valid_view(view)
    assert len(view["blocks"]) == 8 + low
    assert len(json.dumps(view)) > 100_000  # the check leaves room, but not absurdly much
    assert all(len(t["text"]) <= 3000 for t in every_text(view))
    team_options = blocks_by_id(view)["team"]["element"]["options"]
    assert len(team_options) == 100
    assert team_options[0]["text"]["text"].endswith("…")


def test_typed_text_is_dropped_only_when_the_view_would_be_too_large() -> None:
    data = example_data()
    bucket_data(data, "question")["inputs"] = [
        {"key": f"k{i}", "label": "Notes", "type": "long_text", "jira_field": f"customfield_{i}"}
        for i in range(50)
    ]
    template = template_from(data)
    small = {f"input:k{i}": "typed" for i in range(50)}
    view = render(template, selected_bucket="question", values={**small, "summary": "kept"})
    assert blocks_by_id(view)["input:k7"]["element"]["initial_value"] == "typed"
    huge = {f"input:k{i}": "✓" * 3000 for i in range(50)}  # about 900 kB of JSON
    view = render(template, selected_bucket="question", values={**huge, "summary": "kept"})
    assert_valid_view(view)
    assert "initial_value" not in blocks_by_id(view)["input:k7"]["element"]
    assert blocks_by_id(view)["summary"]["element"]["initial_value"] == "kept"


def test_private_metadata_over_3000_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="3000"):
        render(template_from(example_data()), private_metadata="m" * 3001)


def test_views_open_and_update_pass_slacks_method_spec(fake_slack: FakeSlack) -> None:
    template = template_from(example_data())
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=f"{fake_slack.base_url}/api/")
    opened = client.views_open(trigger_id="12345.98765.abcd2358fdea", view=render(template))
    assert opened["ok"] is True
    changed = render(template, selected_bucket="access-request", values={"summary": "x"})
    updated = client.views_update(view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=changed)
    assert updated["ok"] is True
    assert [b["block_id"] for b in updated["view"]["blocks"]] == block_ids(changed)
    # The fixture fails the test on any request that breaks Slack's published views.* specs.


def test_view_as_a_form_encoded_json_string_passes_the_views_open_spec() -> None:
    checker = slack_checker_or_none()
    if checker is None:
        pytest.skip("no shared specs")
    view = render(template_from(example_data()), selected_bucket="access-request")
    body = f"trigger_id=12345.98765.abcd2358fdea&view={quote(json.dumps(view))}"
    request = FakeRequest(
        method="POST",
        path="/api/views.open",
        query={},
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=body.encode(),
    )
    assert checker(request) == []
    broken = FakeRequest(
        method="POST",
        path="/api/views.open",
        query={},
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=b"trigger_id=1.2.a",
    )
    assert checker(broken) != []  # the checker does look: `view` is required


def test_bucket_descriptions_are_trimmed_in_options_but_whole_in_the_help() -> None:
    data = example_data()
    bucket_data(data, "question")["description"] = "A long description. " * 10
    template = template_from(data)
    view = render(template, selected_bucket="question")
    assert_valid_view(view)
    option = next(o for o in blocks_by_id(view)["bucket"]["element"]["options"] if o["value"] == "question")
    assert option["description"]["text"].endswith("…")
    assert (
        blocks_by_id(view)["bucket_help"]["elements"][0]["text"]
        == template.bucket("question").description.strip()
    )
