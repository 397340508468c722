"""Build what Slack sends back for a rendered modal: `view.state.values` filled in as a user would.

Slack reports each input block as `state.values[block_id][action_id] = {"type": <element type>, ...}`
with the answer under a key that depends on the element type. `submission_view` puts a rendered view
into the real `view_submission` fixture (`../shared/fixtures/slack/view_submission.json`) when it is
there, so the tests read the same envelope Slack sends.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from tests.specs.shared_dir import shared_dir

_MINIMAL_SUBMISSION: dict[str, Any] = {
    "type": "view_submission",
    "user": {"id": "W111", "team_id": "T111"},
    "view": {"id": "V111", "type": "modal", "state": {"values": {}}, "hash": "1596530361.3wRYuk3R"},
}


def view_submission_payload() -> dict[str, Any]:
    """The real view_submission fixture, or a minimal one of the same shape without the shared dir."""
    root = shared_dir()
    path = root / "fixtures" / "slack" / "view_submission.json" if root else None
    if path is not None and path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return copy.deepcopy(_MINIMAL_SUBMISSION)


def _option(element: Mapping[str, Any], value: str) -> dict[str, Any]:
    for option in element.get("options", []):
        if option["value"] == value:
            return {"text": option["text"], "value": value}
    # Not one of the rendered options: what a tampered client or a stale form would send.
    return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}


def element_state(element: Mapping[str, Any], answer: object) -> dict[str, Any]:
    """The state entry Slack reports for `element` holding `answer` (None: left empty)."""
    kind = element["type"]
    if kind in ("plain_text_input", "url_text_input"):
        return {"type": kind, "value": answer}
    if kind == "static_select":
        return {"type": kind, "selected_option": None if answer is None else _option(element, str(answer))}
    if kind == "multi_static_select":
        values = list(answer) if isinstance(answer, list | tuple) else []
        return {"type": kind, "selected_options": [_option(element, v) for v in values]}
    if kind == "users_select":
        return {"type": kind, "selected_user": answer}
    if kind == "datepicker":
        return {"type": kind, "selected_date": answer}
    raise AssertionError(f"no state shape for {kind}")


def state_for(view: Mapping[str, Any], answers: Mapping[str, object]) -> dict[str, Any]:
    """`state.values` for every input block of `view`; blocks missing from `answers` are empty."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        values[block["block_id"]] = {
            element["action_id"]: element_state(element, answers.get(block["block_id"]))
        }
    return values


def submission_view(view: Mapping[str, Any], answers: Mapping[str, object]) -> dict[str, Any]:
    """The `view` object of a view_submission payload for the rendered `view` and these answers."""
    payload = view_submission_payload()
    submitted = payload["view"]
    submitted.update(
        {
            "blocks": copy.deepcopy(list(view["blocks"])),
            "callback_id": view.get("callback_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "state": {"values": state_for(view, answers)},
        }
    )
    return submitted
