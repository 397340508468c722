"""Reading the intake modal's `view_submission`: every answer checked, errors on the field they concern.

The view's state is data from the requester's client, and the template may have changed since the
modal was opened (a bucket or an option removed), so nothing in it is trusted: every select value
must still be one of the template's options, every type must be the one the modal rendered. Problems
come back as `{block_id: message}` for `response_action: errors`, never as a generic failure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from app.config.template import FormInput, Template
from app.slack.modal import (
    DATE_RE,
    DESCRIPTION_MAX,
    ELEMENT_TYPES,
    LONG_TEXT_INPUT_MAX,
    SUMMARY_MAX,
    TEXT_INPUT_MAX,
    USER_RE,
    FieldBlock,
)

URL_MAX = 3000

_CHANGED = "This field changed since the form was opened. Please answer it again."
_UNREADABLE = "This answer could not be read. Please answer it again."
_STALE_OPTION = "That choice is no longer offered. Please pick one from the list."
_REQUIRED = "This field is required."


@dataclass(frozen=True)
class IntakeForm:
    """A valid submission of the intake modal.

    `jira_fields` maps Jira field ids to values already in Jira REST v2 shape (see
    `app.config.template.FormInput`); answers left empty are absent. `user_fields` maps Jira field ids
    to the Slack user id picked for them: the worker resolves that to a Jira user (an `accountId` on
    Cloud, a `name` on Data Center), which needs I/O. `values` are the raw answers keyed by block id,
    for `intake_view(values=...)`.
    """

    team: str
    bucket: str
    impact: str
    urgency: str
    requested_priority: str | None
    summary: str
    description: str
    jira_fields: dict[str, object] = field(default_factory=dict)
    user_fields: dict[str, str] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)


class _Unreadable(ValueError):
    """A state entry whose shape is not what Slack sends for its element type."""


def state_values(view: Mapping[str, Any]) -> dict[str, object]:
    """Every answer in the view's state keyed by block id, unjudged: a string, or a list for multi-selects.

    For re-rendering the modal after a `block_actions` (the bucket changed); answers that cannot be
    read are left out. `state_values(view).get("bucket")` is the bucket now selected.
    """
    values: dict[str, object] = {}
    for block_id, entry in _state(view).items():
        element = _element(entry)
        if element is None:
            continue
        try:
            value = _raw(element)
        except _Unreadable:
            continue
        if value is not None:
            values[str(block_id)] = value
    return values


def parse_submission(
    template: Template, view: Mapping[str, Any], *, team: str | None = None, today: date | None = None
) -> IntakeForm | dict[str, str]:
    """The submitted form, or errors keyed by block id for `{"response_action": "errors", ...}`.

    `team` is the team from the signed metadata, used when the modal showed no team select; with
    neither and several teams in the template this raises ValueError (a bug in the caller, not
    something the requester can fix). `today` (default: today in UTC) bounds dates: a date input
    without `allow_past` accepts yesterday too, for requesters whose local date is behind UTC.
    """
    state = _state(view)
    errors: dict[str, str] = {}
    reader = _Reader(state, errors)
    team_key = _team(template, view, reader, team)
    bucket_key = reader.pick(
        FieldBlock.bucket,
        [b.key for b in template.buckets],
        missing="Pick the kind of request.",
        stale="That bucket no longer exists. Please pick another one.",
    )
    intake = template.intake
    impact = reader.pick(FieldBlock.impact, intake.impact.keys(), missing="Pick an answer.")
    urgency = reader.pick(FieldBlock.urgency, intake.urgency.keys(), missing="Pick an answer.")
    requested = None
    if intake.allow_priority_override:
        requested = reader.pick(FieldBlock.priority, template.priorities, required=False)
    summary = " ".join((reader.text(FieldBlock.summary) or "").split())
    if not summary:
        errors.setdefault(FieldBlock.summary, "Write a one-line summary.")
    elif len(summary) > SUMMARY_MAX:
        errors[FieldBlock.summary] = f"Keep the summary to {SUMMARY_MAX} characters (it has {len(summary)})."
    description = (reader.text(FieldBlock.description) or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors[FieldBlock.description] = (
            f"Keep the description to {DESCRIPTION_MAX} characters (it has {len(description)})."
        )
    jira_fields: dict[str, object] = {}
    user_fields: dict[str, str] = {}
    if bucket_key is not None:
        floor = (today or datetime.now(UTC).date()) - timedelta(days=1)
        for form_input in template.bucket(bucket_key).inputs:
            value = _input_value(form_input, reader, floor)
            if value is None:
                continue
            if form_input.shape == "user":
                user_fields[form_input.jira_field] = str(value)
            else:
                jira_fields[form_input.jira_field] = _jira_value(form_input, value)
    if errors:
        return errors
    # Every None above recorded an error, so these only narrow the types.
    assert team_key is not None
    assert bucket_key is not None
    assert impact is not None
    assert urgency is not None
    return IntakeForm(
        team=team_key,
        bucket=bucket_key,
        impact=impact,
        urgency=urgency,
        requested_priority=requested,
        summary=summary,
        description=description,
        jira_fields=jira_fields,
        user_fields=user_fields,
        values=state_values(view),
    )


class _Reader:
    """Reads one block at a time, recording at most one error per block."""

    def __init__(self, state: Mapping[str, Any], errors: dict[str, str]) -> None:
        self.state = state
        self.errors = errors

    def has(self, block_id: str) -> bool:
        return block_id in self.state

    def raw(self, block_id: str, element_type: str) -> object:
        if block_id in self.errors:
            return None  # keep the first problem found: it is the one worth fixing
        element = _element(self.state.get(block_id))
        if element is None:
            return None
        if element.get("type") != element_type:
            self.errors[block_id] = _CHANGED
            return None
        try:
            return _raw(element)
        except _Unreadable:
            self.errors[block_id] = _UNREADABLE
            return None

    def text(self, block_id: str, element_type: str = "plain_text_input") -> str | None:
        value = self.raw(block_id, element_type)
        return value if isinstance(value, str) else None

    def pick(
        self,
        block_id: str,
        allowed: Collection[str],
        *,
        required: bool = True,
        missing: str = _REQUIRED,
        stale: str = _STALE_OPTION,
    ) -> str | None:
        value = self.raw(block_id, "static_select")
        if block_id in self.errors:
            return None
        if value is None:
            if required:
                self.errors[block_id] = missing
            return None
        if value not in allowed:
            self.errors[block_id] = stale
            return None
        return str(value)


def _team(template: Template, view: Mapping[str, Any], reader: _Reader, team: str | None) -> str | None:
    keys = [t.key for t in template.teams]
    if reader.has(FieldBlock.team) or FieldBlock.team in _rendered(view):
        return reader.pick(
            FieldBlock.team,
            keys,
            missing="Pick the team that should handle this.",
            stale="That team no longer takes requests here. Please pick another one.",
        )
    if team is not None:
        if team not in keys:
            reader.errors[FieldBlock.bucket] = (
                "The team this form was opened for no longer exists. Close it and raise the request again."
            )
            return None
        return team
    if len(keys) == 1:
        return keys[0]
    raise ValueError("the modal showed no team select and no team was given")


def _input_value(form_input: FormInput, reader: _Reader, floor: date) -> object:
    """The input's checked answer (a string or a list of strings), or None when empty or invalid."""
    block_id = form_input.block_id
    value = reader.raw(block_id, ELEMENT_TYPES[form_input.type])
    if block_id in reader.errors:
        return None
    if isinstance(value, str):
        value = value.strip() or None
    if not value:
        if form_input.required:
            reader.errors[block_id] = _REQUIRED
        return None
    problem = _problem(form_input, value, floor)
    if problem is not None:
        reader.errors[block_id] = problem
        return None
    return value


def _problem(form_input: FormInput, value: object, floor: date) -> str | None:
    kind = form_input.type
    if kind in ("text", "long_text"):
        limit = LONG_TEXT_INPUT_MAX if kind == "long_text" else TEXT_INPUT_MAX
        size = len(str(value))
        return f"Keep this to {limit} characters (it has {size})." if size > limit else None
    if kind == "select":
        return None if value in form_input.option_values() else _STALE_OPTION
    if kind == "multi_select":
        assert isinstance(value, list)
        unknown = [v for v in value if v not in form_input.option_values()]
        return "Some of these choices are no longer offered. Please pick from the list." if unknown else None
    if kind == "user":
        return None if USER_RE.match(str(value)) else "Please pick a person from the list."
    if kind == "date":
        day = _date(str(value))
        if day is None:
            return "Please pick a date with the date picker."
        return "Please pick today or a later date." if day < floor and not form_input.allow_past else None
    return None if _is_web_url(str(value)) else "Enter a full web address, starting with https://"


def _jira_value(form_input: FormInput, value: object) -> object:
    """The answer in the Jira REST v2 shape the input declares (`FormInput.shape`)."""
    shape = form_input.shape
    if shape == "option":
        return {"value": value}
    if shape == "name":
        return {"name": value}
    if isinstance(value, list):
        if shape == "options":
            return [{"value": v} for v in value]
        if shape == "names":
            return [{"name": v} for v in value]
        return list(value)
    return value


def _date(text: str) -> date | None:
    if not DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _is_web_url(text: str) -> bool:
    if len(text) > URL_MAX or any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _state(view: Mapping[str, Any]) -> Mapping[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def _rendered(view: Mapping[str, Any]) -> set[str]:
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return set()
    return {str(b.get("block_id")) for b in blocks if isinstance(b, Mapping)}


def _element(block: object) -> Mapping[str, Any] | None:
    """The state of the block's one element; its action id does not matter once the block is known."""
    if not isinstance(block, Mapping):
        return None
    return next((e for e in block.values() if isinstance(e, Mapping)), None)


def _raw(element: Mapping[str, Any]) -> object:
    """The element's answer as Slack reports it: a string, a list of strings, or None when empty."""
    kind = element.get("type")
    if kind in ("plain_text_input", "url_text_input"):
        return _optional_str(element.get("value"))
    if kind == "static_select":
        option = element.get("selected_option")
        return None if option is None else _option_value(option)
    if kind == "multi_static_select":
        options = element.get("selected_options")
        if options is None:
            return None
        if not isinstance(options, list):
            raise _Unreadable(kind)
        return list(dict.fromkeys(_option_value(o) for o in options))
    if kind == "users_select":
        return _optional_str(element.get("selected_user"))
    if kind == "datepicker":
        return _optional_str(element.get("selected_date"))
    raise _Unreadable(str(kind))


def _optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Unreadable(type(value).__name__)


def _option_value(option: object) -> str:
    value = option.get("value") if isinstance(option, Mapping) else None
    if not isinstance(value, str):
        raise _Unreadable("option")
    return value
