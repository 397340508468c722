"""Reading a submitted intake modal: every input type, Jira shapes, and errors on the right field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.config.template import Template
from app.slack.modal import intake_view
from app.slack.modal_submission import IntakeForm, parse_submission, state_values
from tests.intake_templates import all_types_template, example_data, template_from
from tests.slack.modal_state import submission_view, view_submission_payload

TODAY = date(2030, 1, 15)
BASE = {
    "summary": "Need access to Vault",
    "bucket": "access-request",
    "impact": "person",
    "urgency": "slowed",
}


def rendered(template: Template, bucket: str | None = "access-request", **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "teams": template.teams,
        "selected_team": None,
        "selected_bucket": bucket,
        "values": {},
        "private_metadata": "meta",
    }
    arguments.update(overrides)
    return intake_view(template, **arguments)


def submit(
    template: Template,
    answers: dict[str, object],
    *,
    view: dict[str, Any] | None = None,
    team: str | None = None,
) -> IntakeForm | dict[str, str]:
    view = view or rendered(template, teams=template.teams[:1] if team else template.teams)
    return parse_submission(template, submission_view(view, answers), team=team, today=TODAY)


def form(template: Template, answers: dict[str, object], **kwargs: Any) -> IntakeForm:
    result = submit(template, answers, **kwargs)
    assert isinstance(result, IntakeForm), result
    return result


def errors(template: Template, answers: dict[str, object], **kwargs: Any) -> dict[str, str]:
    result = submit(template, answers, **kwargs)
    assert isinstance(result, dict), result
    return result


def test_fixture_envelope_is_the_real_view_submission() -> None:
    payload = view_submission_payload()
    assert payload["type"] == "view_submission"
    assert "state" in payload["view"]


def test_every_input_type_and_jira_shape() -> None:
    template = all_types_template()
    answers = {
        **BASE,
        "team": "networking",
        "description": "  Line one\nline two  ",
        "input:title": "  Short title ",
        "input:steps": "1. open\n2. fail",
        "input:system": "AWS console",
        "input:envs": ["staging", "prod"],
        "input:approver": "U012AB3CD",
        "input:needed-by": "2030-02-01",
        "input:link": "https://ci.example.com/builds/1",
        "input:tier": "gold",
        "input:version": "2.0",
        "input:parts": ["runners", "artifacts"],
        "input:tags": ["a", "c"],
        "input:started": "2029-12-01",
    }
    result = form(template, answers)
    assert (result.team, result.bucket, result.impact, result.urgency) == (
        "networking",
        "access-request",
        "person",
        "slowed",
    )
    assert result.requested_priority is None
    assert result.summary == "Need access to Vault"
    assert result.description == "Line one\nline two"
    assert result.jira_fields == {
        "customfield_10001": "Short title",
        "customfield_10002": "1. open\n2. fail",
        "customfield_10042": {"value": "AWS console"},
        "customfield_10003": [{"value": "staging"}, {"value": "prod"}],
        "duedate": "2030-02-01",
        "customfield_10004": "https://ci.example.com/builds/1",
        "customfield_10005": "gold",
        "customfield_10006": {"name": "2.0"},
        "components": [{"name": "runners"}, {"name": "artifacts"}],
        "customfield_10007": ["a", "c"],
        "customfield_10008": "2029-12-01",
    }
    assert result.user_fields == {"customfield_10050": "U012AB3CD"}
    assert result.values["input:envs"] == ["staging", "prod"]
    assert result.values["input:title"] == "  Short title "


def test_values_rerender_the_same_answers() -> None:
    template = all_types_template()
    answers = {
        **BASE,
        "team": "platform",
        "input:system": "Vault",
        "input:envs": ["dev"],
        "input:needed-by": "2030-03-01",
    }
    result = form(template, answers)
    again = rendered(template, values=result.values, selected_team=result.team)
    blocks = {b["block_id"]: b for b in again["blocks"]}
    assert blocks["input:system"]["element"]["initial_option"]["value"] == "Vault"
    assert [o["value"] for o in blocks["input:envs"]["element"]["initial_options"]] == ["dev"]
    assert blocks["input:needed-by"]["element"]["initial_date"] == "2030-03-01"
    assert blocks["summary"]["element"]["initial_value"] == BASE["summary"]


def test_optional_inputs_left_empty_are_not_sent_to_jira() -> None:
    result = form(all_types_template(), {**BASE, "team": "platform", "input:system": "Vault"})
    assert result.jira_fields == {"customfield_10042": {"value": "Vault"}}
    assert result.user_fields == {}
    assert result.description == ""


def test_missing_required_answers_are_errors_on_their_blocks() -> None:
    found = errors(all_types_template(), {"input:title": "x"})
    assert set(found) == {"team", "bucket", "summary", "impact", "urgency"}
    found = errors(all_types_template(), {**BASE, "team": "platform", "summary": "   \n "})
    assert found == {"summary": "Write a one-line summary.", "input:system": "This field is required."}


def test_required_multi_select_and_text_inputs() -> None:
    data = example_data()
    data["buckets"][1]["inputs"] = [
        {"key": "envs", "label": "Envs", "type": "multi_select", "jira_field": "customfield_1",
         "options": ["a"], "required": True},
        {"key": "why", "label": "Why", "type": "long_text", "jira_field": "customfield_2", "required": True},
        {"key": "who", "label": "Who", "type": "user", "jira_field": "customfield_3", "required": True},
        {"key": "when", "label": "When", "type": "date", "jira_field": "customfield_4", "required": True},
        {"key": "url", "label": "URL", "type": "url", "jira_field": "customfield_5", "required": True},
    ]  # fmt: skip
    template = template_from(data)
    found = errors(template, {**BASE, "team": "platform", "input:envs": [], "input:why": "  "})
    assert found == {f"input:{k}": "This field is required." for k in ("envs", "why", "who", "when", "url")}


@pytest.mark.parametrize(
    ("answers", "block", "message"),
    [
        ({"bucket": "retired-bucket"}, "bucket", "That bucket no longer exists"),
        ({"team": "sales"}, "team", "That team no longer takes requests here"),
        ({"impact": "everyone"}, "impact", "no longer offered"),
        ({"urgency": "yesterday"}, "urgency", "no longer offered"),
        ({"input:system": "Jenkins"}, "input:system", "no longer offered"),
        ({"input:envs": ["dev", "moon"]}, "input:envs", "Some of these choices are no longer offered"),
        ({"input:approver": "@alice"}, "input:approver", "pick a person"),
        ({"input:needed-by": "2030-02-30"}, "input:needed-by", "date picker"),
        ({"input:needed-by": "tomorrow"}, "input:needed-by", "date picker"),
        ({"input:needed-by": "2030-01-13"}, "input:needed-by", "today or a later date"),
        ({"input:link": "not a url"}, "input:link", "web address"),
        ({"input:link": "ftp://files.example.com/x"}, "input:link", "web address"),
        ({"input:link": "https://"}, "input:link", "web address"),
        ({"input:link": "https://exa mple.com"}, "input:link", "web address"),
        ({"input:title": "t" * 256}, "input:title", "Keep this to 255 characters (it has 256)"),
        ({"input:steps": "s" * 3001}, "input:steps", "Keep this to 3000 characters"),
        ({"summary": "s" * 256}, "summary", "Keep the summary to 255 characters (it has 256)"),
        ({"description": "d" * 3001}, "description", "Keep the description to 3000 characters"),
    ],
)
def test_bad_answers_are_errors_on_their_blocks(answers: dict[str, object], block: str, message: str) -> None:
    found = errors(all_types_template(), {**BASE, "team": "platform", "input:system": "Vault", **answers})
    assert list(found) == [block]
    assert message in found[block]


def test_dates_allow_yesterday_for_time_zones_and_the_past_when_configured() -> None:
    template = all_types_template()
    base = {**BASE, "team": "platform", "input:system": "Vault"}
    assert form(template, {**base, "input:needed-by": "2030-01-14"}).jira_fields["duedate"] == "2030-01-14"
    assert (
        form(template, {**base, "input:started": "1999-01-01"}).jira_fields["customfield_10008"]
        == "1999-01-01"
    )


def test_summary_is_one_line() -> None:
    result = form(
        all_types_template(), {**BASE, "team": "platform", "input:system": "Vault", "summary": " a\n b\t c "}
    )
    assert result.summary == "a b c"


def tampered(view: dict[str, Any], block_id: str, entry: dict[str, Any]) -> dict[str, Any]:
    values = view["state"]["values"]
    action_id = next(iter(values[block_id]))
    values[block_id][action_id] = entry
    return view


@pytest.mark.parametrize(
    ("block", "entry", "message"),
    [
        ("input:needed-by", {"type": "static_select", "selected_option": {"value": "2030-02-01"}}, "changed"),
        ("bucket", {"type": "plain_text_input", "value": "incident"}, "changed"),
        ("input:system", {"type": "static_select", "selected_option": "Vault"}, "could not be read"),
        ("input:envs", {"type": "multi_static_select", "selected_options": "dev"}, "could not be read"),
        ("summary", {"type": "plain_text_input", "value": 42}, "could not be read"),
        ("impact", {"type": "radio_buttons", "selected_option": {"value": "team"}}, "changed"),
    ],
)
def test_tampered_state_is_rejected_on_its_block(block: str, entry: dict[str, Any], message: str) -> None:
    template = all_types_template()
    answers = {**BASE, "team": "platform", "input:system": "Vault"}
    view = tampered(submission_view(rendered(template), answers), block, entry)
    found = parse_submission(template, view, today=TODAY)
    assert isinstance(found, dict)
    assert list(found) == [block]
    assert message in found[block]


def test_inputs_of_another_bucket_are_ignored() -> None:
    template = all_types_template()
    view = rendered(template, bucket="incident")
    answers = {**BASE, "team": "platform", "bucket": "incident", "input:service": "api"}
    submitted = submission_view(view, answers)
    # A stale block of the access-request bucket is still in the state: it is neither read nor sent.
    submitted["state"]["values"]["input:system"] = {"x": {"type": "static_select", "selected_option": None}}
    result = parse_submission(template, submitted, today=TODAY)
    assert isinstance(result, IntakeForm)
    assert result.jira_fields == {"customfield_10042": "api"}


def test_priority_override_read_only_when_allowed() -> None:
    allowed = all_types_template(allow_priority_override=True)
    answers = {**BASE, "team": "platform", "input:system": "Vault", "priority": "Highest"}
    assert form(allowed, answers).requested_priority == "Highest"
    assert form(allowed, {**answers, "priority": None}).requested_priority is None
    found = errors(allowed, {**answers, "priority": "Urgent"})
    assert list(found) == ["priority"]
    # A template that does not allow it never reads the field, whatever the state carries.
    refused = all_types_template()
    view = submission_view(rendered(allowed), answers)
    result = parse_submission(refused, view, today=TODAY)
    assert isinstance(result, IntakeForm)
    assert result.requested_priority is None


def test_team_from_the_signed_metadata_when_no_select_was_shown() -> None:
    template = all_types_template()
    answers = {**BASE, "input:system": "Vault"}
    assert form(template, answers, team="networking").team == "networking"
    found = errors(template, answers, team="retired-team")
    assert list(found) == ["bucket"]
    assert "no longer exists" in found["bucket"]
    view = rendered(template, teams=template.teams[:1])
    with pytest.raises(ValueError, match="no team"):
        parse_submission(template, submission_view(view, answers), today=TODAY)


def test_a_single_team_template_needs_no_team_at_all() -> None:
    template = all_types_template(single_team=True)
    view = rendered(template)
    result = parse_submission(template, submission_view(view, {**BASE, "input:system": "Vault"}), today=TODAY)
    assert isinstance(result, IntakeForm)
    assert result.team == "platform"


def test_a_submitted_team_block_wins_over_the_metadata_and_must_be_answered() -> None:
    template = all_types_template()
    view = rendered(template)
    answers = {**BASE, "input:system": "Vault"}
    found = parse_submission(template, submission_view(view, answers), team="platform", today=TODAY)
    assert found == {"team": "Pick the team that should handle this."}


def test_form_values_is_lenient() -> None:
    view = {
        "state": {
            "values": {
                "summary": {"a": {"type": "plain_text_input", "value": "s"}},
                "bucket": {"a": {"type": "static_select", "selected_option": {"value": "incident"}}},
                "input:envs": {"a": {"type": "multi_static_select", "selected_options": [{"value": "x"}]}},
                "input:who": {"a": {"type": "users_select", "selected_user": "U1AB"}},
                "input:when": {"a": {"type": "datepicker", "selected_date": None}},
                "broken": {"a": {"type": "static_select", "selected_option": "nope"}},
                "unknown": {"a": {"type": "channels_select", "selected_channel": "C1"}},
                "odd": "not a mapping",
            }
        }
    }
    assert state_values(view) == {
        "summary": "s",
        "bucket": "incident",
        "input:envs": ["x"],
        "input:who": "U1AB",
    }
    assert state_values({}) == {}
    assert state_values({"state": {"values": []}}) == {}
