"""Block Kit of the intake modal, built and validated with `slack_sdk.models`.

One builder serves every way the modal is opened and every re-render: the dispatcher calls it for
`views.open`, again with the new bucket when the bucket select changes (`views.update` with the
view's hash), and with the ticket's current answers for "Edit details". Block ids are stable, so
Slack keeps what the requester already typed across a re-render, and errors from
`parse_submission` land on the field they are about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Literal

from slack_sdk.models.blocks import (
    Block,
    BlockElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticMultiSelectElement,
    StaticSelectElement,
    UrlInputElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from app.config.template import VIEW_BYTES_MAX, Bucket, FormInput, Question, Team, Template
from app.slack.ids import ActionId, CallbackId
from app.slack.metadata import PRIVATE_METADATA_MAX

SUMMARY_MAX = 255
"""Jira's limit on an issue summary."""
DESCRIPTION_MAX = 3000
"""Slack's limit on a plain-text input (Jira would take more)."""
TEXT_INPUT_MAX = 255
"""Jira's limit on a single-line text field."""
LONG_TEXT_INPUT_MAX = 3000
VIEW_BLOCKS_MAX = 100
OPTION_TEXT_MAX = 75
CONTEXT_TEXT_MAX = 3000
ELLIPSIS = "…"

ModalMode = Literal["raise", "edit", "private"]

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
USER_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")


class FieldBlock(StrEnum):
    """`block_id` of the modal's fixed blocks; a bucket input's block id is `FormInput.block_id`."""

    team = "team"
    bucket = "bucket"
    bucket_help = "bucket_help"
    summary = "summary"
    impact = "impact"
    urgency = "urgency"
    priority = "priority"
    description = "description"


# Which Block Kit element each input type becomes; `parse_submission` checks the state's element type.
ELEMENT_TYPES: dict[str, str] = {
    "text": "plain_text_input",
    "long_text": "plain_text_input",
    "select": "static_select",
    "multi_select": "multi_static_select",
    "user": "users_select",
    "date": "datepicker",
    "url": "url_text_input",
}

_TEXTS: dict[ModalMode, tuple[str, str, CallbackId]] = {
    "raise": ("Raise an interrupt", "Raise", CallbackId.intake_modal),
    "edit": ("Edit interrupt", "Save", CallbackId.edit_modal),
    "private": ("Ask privately", "Send privately", CallbackId.intake_modal),
}
PRIVATE_NOTE = (
    ":lock: Private: nothing is posted in a channel. Only the on-call person (and who can see the Jira "
    "ticket) will read this; we answer you in this DM."
)


def intake_view(
    template: Template,
    *,
    teams: Sequence[Team],
    selected_team: str | None,
    selected_bucket: str | None,
    values: Mapping[str, object],
    private_metadata: str,
    mode: ModalMode = "raise",
) -> dict[str, Any]:
    """The intake modal as a `views.open` / `views.update` view payload.

    `teams` are the teams that could own the request: a team select is shown only when there are
    several (with one, the team travels in the signed metadata). `values` are initial values keyed
    by block id ("summary", "description", "impact", "urgency", "priority", "input:<key>"): a string,
    or a sequence of strings for multi-selects; values that are not valid options are left out.
    Raises ValueError when `private_metadata` is over Slack's 3,000 characters.
    """
    if len(private_metadata) > PRIVATE_METADATA_MAX:
        raise ValueError(f"private_metadata is {len(private_metadata)} characters; Slack allows 3000")
    bucket = _find_bucket(template, selected_bucket)
    blocks = _blocks(template, teams, selected_team, bucket, values)
    note = [ContextBlock(elements=[MarkdownTextObject(text=PRIVATE_NOTE)])] if mode == "private" else []
    blocks = [*note, *blocks]
    title, submit, callback_id = _TEXTS[mode]
    view = View(
        type="modal",
        callback_id=callback_id.value,
        title=PlainTextObject(text=title),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
        private_metadata=private_metadata,
    )
    # to_dict() runs slack_sdk's validators (title length, block count, metadata length) and raises.
    rendered = view.to_dict()
    if bucket is not None and _json_size(rendered) > VIEW_BYTES_MAX:
        # The template check bounds everything but free text typed into the bucket's inputs; on a
        # re-render Slack keeps that text anyway (same block ids), so it is the part to drop.
        view.blocks = [*note, *_blocks(template, teams, selected_team, bucket, values, free_text=False)]
        rendered = view.to_dict()
    if _json_size(rendered) > VIEW_BYTES_MAX:
        raise ValueError(f"the intake view is {_json_size(rendered)} bytes; Slack allows {VIEW_BYTES_MAX}")
    return rendered


def _blocks(
    template: Template,
    teams: Sequence[Team],
    selected_team: str | None,
    bucket: Bucket | None,
    values: Mapping[str, object],
    *,
    free_text: bool = True,
) -> list[Block]:
    blocks: list[Block] = []
    if len(teams) > 1:
        blocks.append(_team_block(teams, selected_team))
    blocks.append(_bucket_block(template, bucket))
    if bucket is not None and bucket.description.strip():
        help_text = PlainTextObject(text=_clip(bucket.description.strip(), CONTEXT_TEXT_MAX), emoji=True)
        blocks.append(ContextBlock(block_id=FieldBlock.bucket_help.value, elements=[help_text]))
    blocks.append(_text_block(FieldBlock.summary, "Summary", values, max_length=SUMMARY_MAX, required=True))
    intake = template.intake
    blocks.append(_question_block(FieldBlock.impact, intake.impact, values))
    blocks.append(_question_block(FieldBlock.urgency, intake.urgency, values))
    if intake.allow_priority_override:
        blocks.append(_priority_block(template, values))
    if bucket is not None:
        input_values = values if free_text else _without_free_text(bucket, values)
        blocks.extend(_input_block(field, input_values) for field in bucket.inputs)
    blocks.append(
        _text_block(
            FieldBlock.description,
            "Description",
            values,
            max_length=DESCRIPTION_MAX,
            required=False,
            multiline=True,
            hint="Anything that helps: what you tried, links, error messages.",
        )
    )
    if len(blocks) > VIEW_BLOCKS_MAX:
        raise ValueError(f"{len(blocks)} blocks; Slack allows {VIEW_BLOCKS_MAX} in a modal")
    return blocks


def _without_free_text(bucket: Bucket, values: Mapping[str, object]) -> dict[str, object]:
    free = {f.block_id for f in bucket.inputs if f.type in ("text", "long_text", "url")}
    return {key: value for key, value in values.items() if key not in free}


def _json_size(view: Mapping[str, Any]) -> int:
    return len(json.dumps(view))


def _find_bucket(template: Template, key: str | None) -> Bucket | None:
    if key is None:
        return None
    try:
        return template.bucket(key)
    except KeyError:
        return None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def _option(value: str, text: str, description: str | None = None) -> Option:
    described = _clip(description.strip(), OPTION_TEXT_MAX) if description and description.strip() else None
    return Option(
        value=value,
        text=PlainTextObject(text=_clip(text, OPTION_TEXT_MAX), emoji=True),
        description=described,
    )


def _label(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def _text(values: Mapping[str, object], block_id: str) -> str | None:
    value = values.get(block_id)
    return value if isinstance(value, str) and value else None


def _select(
    block_id: str,
    label: str,
    options: Sequence[Option],
    initial: str | None,
    *,
    action_id: ActionId = ActionId.intake_input,
    required: bool = True,
    hint: str = "",
    placeholder: str = "",
    dispatch: bool = False,
) -> InputBlock:
    chosen = next((o for o in options if o.value == initial), None)
    element = StaticSelectElement(
        action_id=action_id.value,
        options=list(options),
        initial_option=chosen,
        placeholder=_label(placeholder) if placeholder else None,
    )
    return InputBlock(
        block_id=str(block_id),
        label=_label(label),
        element=element,
        hint=_label(hint) if hint else None,
        optional=not required,
        dispatch_action=True if dispatch else None,
    )


def _team_block(teams: Sequence[Team], selected: str | None) -> InputBlock:
    options = [_option(team.key, team.name) for team in teams]
    return _select(FieldBlock.team, "Team", options, selected, action_id=ActionId.intake_team)


def _bucket_block(template: Template, bucket: Bucket | None) -> InputBlock:
    options = [_option(b.key, b.name, b.description) for b in template.buckets]
    return _select(
        FieldBlock.bucket,
        "What kind of request is it?",
        options,
        bucket.key if bucket else None,
        action_id=ActionId.intake_bucket,
        placeholder="Pick a bucket",
        dispatch=True,  # a change arrives as block_actions, so the bucket's own inputs can be shown
    )


def _question_block(block_id: FieldBlock, question: Question, values: Mapping[str, object]) -> InputBlock:
    options = [_option(choice.key, choice.label, choice.description) for choice in question.options]
    return _select(block_id, question.label, options, _text(values, block_id), hint=question.hint)


def _priority_block(template: Template, values: Mapping[str, object]) -> InputBlock:
    options = [_option(name, name) for name in template.priorities]
    return _select(
        FieldBlock.priority,
        "Priority",
        options,
        _text(values, FieldBlock.priority),
        required=False,
        hint="Leave empty to derive it from the answers above.",
    )


def _text_block(
    block_id: str,
    label: str,
    values: Mapping[str, object],
    *,
    max_length: int,
    required: bool,
    multiline: bool = False,
    hint: str = "",
    placeholder: str = "",
) -> InputBlock:
    initial = _text(values, block_id)
    element = PlainTextInputElement(
        action_id=ActionId.intake_input.value,
        initial_value=_clip(initial, max_length) if initial else None,
        multiline=True if multiline else None,
        max_length=max_length,
        placeholder=_label(placeholder) if placeholder else None,
    )
    return InputBlock(
        block_id=str(block_id),
        label=_label(label),
        element=element,
        hint=_label(hint) if hint else None,
        optional=not required,
    )


def _input_block(field: FormInput, values: Mapping[str, object]) -> InputBlock:
    if field.type in ("text", "long_text"):
        long = field.type == "long_text"
        return _text_block(
            field.block_id,
            field.label,
            values,
            max_length=LONG_TEXT_INPUT_MAX if long else TEXT_INPUT_MAX,
            required=field.required,
            multiline=long,
            hint=field.hint,
            placeholder=field.placeholder,
        )
    if field.type == "select":
        options = [_option(o.value, o.text) for o in field.options]
        initial = _text(values, field.block_id)
        return _select(
            field.block_id,
            field.label,
            options,
            initial,
            required=field.required,
            hint=field.hint,
            placeholder=field.placeholder,
        )
    placeholder = _label(field.placeholder) if field.placeholder else None
    element: BlockElement
    if field.type == "multi_select":
        options = [_option(o.value, o.text) for o in field.options]
        picked = values.get(field.block_id)
        wanted = set(picked) if isinstance(picked, list | tuple) else set()
        element = StaticMultiSelectElement(
            action_id=ActionId.intake_input.value,
            options=options,
            initial_options=[o for o in options if o.value in wanted] or None,
            placeholder=placeholder,
        )
    elif field.type == "user":
        user = _text(values, field.block_id)
        element = UserSelectElement(
            action_id=ActionId.intake_input.value,
            initial_user=user if user and USER_RE.match(user) else None,
            placeholder=placeholder,
        )
    elif field.type == "date":
        day = _text(values, field.block_id)
        element = DatePickerElement(
            action_id=ActionId.intake_input.value,
            initial_date=day if day and DATE_RE.match(day) else None,
            placeholder=placeholder,
        )
    else:
        url = _text(values, field.block_id)
        element = UrlInputElement(
            action_id=ActionId.intake_input.value, initial_value=url, placeholder=placeholder
        )
    return InputBlock(
        block_id=field.block_id,
        label=_label(field.label),
        element=element,
        hint=_label(field.hint) if field.hint else None,
        optional=not field.required,
    )
