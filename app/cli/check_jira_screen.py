"""What the create screen of a team's issue type must offer for the template to work (no I/O here).

A `screen` is Jira's create metadata for one project and issue type, as a dict from field id to
its FieldCreateMetadata: `required`, `hasDefaultValue`, `operations`, `allowedValues` and a
`schema` like `{"type": "array", "items": "option", "custom": "...:multiselect"}`. `names` maps
field ids to their names (`GET field`), to tell a field that does not exist from one that exists
but is not on this screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.cli.check import CheckResult
from app.config.template import JIRA_SHAPES, Bucket, FormInput, JiraShape, Team, Template

Screen = Mapping[str, Mapping[str, Any]]

# The fields the bridge sets on every ticket, and why it cannot do without them.
BRIDGE_FIELDS = {
    "summary": "every ticket has one",
    "description": "it carries the Slack message, the thread and a link back",
    "labels": "every ticket is labelled: bucket-<key> and the ib-<id> marker that keeps creation "
    "exactly-once",
    "priority": "the priority comes from the intake matrix and the bucket's floor and ceiling",
}
# Filled without the template's help: by the bridge, or by Jira (the reporter defaults to the caller).
_FILLED_ANYWAY = {"project", "issuetype", "reporter", *BRIDGE_FIELDS}
# Which (type, array item type) of a field's schema each jira_shape can fill.
_FITS: dict[JiraShape, set[tuple[str, str | None]]] = {
    "string": {("string", None)},
    "date": {("date", None)},
    "option": {("option", None), ("option-with-child", None)},
    "options": {("array", "option")},
    "name": {(t, None) for t in ("version", "component", "group", "securitylevel", "resolution")},
    "names": {("array", t) for t in ("version", "component", "group")},
    "array": {("array", "string")},
    "user": {("user", None)},
}


@dataclass(frozen=True)
class Finding:
    level: Literal["fail", "warn"]
    text: str


def report(name: str, findings: list[Finding], ok_detail: str) -> list[CheckResult]:
    """One FAIL line with every failure, one WARN line with every warning, or one PASS line."""
    fails = [f.text for f in findings if f.level == "fail"]
    warns = [f.text for f in findings if f.level == "warn"]
    results = [CheckResult(name, False, "\n".join(fails))] if fails else []
    if warns:
        results.append(CheckResult.warning(name, "\n".join(warns)))
    return results or [CheckResult(name, True, ok_detail)]


def field_label(field_id: str, names: Mapping[str, str]) -> str:
    name = names.get(field_id)
    return f"{field_id} ({name})" if name and name != field_id else field_id


def bridge_findings(
    template: Template,
    team: Team,
    screen: Screen,
    names: Mapping[str, str],
    *,
    priorities: Sequence[str],
    reporter_known: bool,
) -> list[Finding]:
    """The team's part: the bridge's own fields, `priorities` in the project's scheme, `jira.fields`,
    and required fields. `reporter_known`: whether a missing reporter is news (no WARN yet)."""
    findings: list[Finding] = []
    for field_id, why in BRIDGE_FIELDS.items():
        reason = _unsettable(field_id, screen, names)
        if reason is not None:
            findings.append(Finding("fail", f"{field_label(field_id, names)}: {reason}; {why}"))
    # Without Modify Reporter, Jira leaves the reporter off the screen; that WARN is already out.
    if reporter_known and "reporter" not in screen:
        findings.append(
            Finding(
                "warn",
                "reporter: not on the create screen; the bot reports and the description names the requester",
            )
        )
    offered = _allowed(screen.get("priority"), "name")
    missing = [p for p in priorities if offered is not None and p not in offered]
    if missing and offered is not None:
        findings.append(
            Finding(
                "fail",
                f"priority: the project's priority scheme lacks {', '.join(missing)} "
                f"(it offers {', '.join(offered)})",
            )
        )
    for field_id, value in team.jira.fields.items():
        what = f"jira.fields {field_label(field_id, names)}"
        findings += _value_findings(what, field_id, value, screen, names)
    return (
        findings + _unfilled(template, team, screen, names) + private_findings(template, team, screen, names)
    )


def private_findings(
    template: Template, team: Team, screen: Screen, names: Mapping[str, str]
) -> list[Finding]:
    """The security levels private tickets of the team get: on the screen and among its levels."""
    findings: list[Finding] = []
    seen: list[dict[str, Any]] = []
    for bucket in template.buckets:
        level = template.private.security_field(team.key, bucket.key)
        if level is None or level in seen:
            continue
        seen.append(level)
        what = f"private.security_levels {next(iter(level.values()))!r}"
        found = _value_findings(what, "security", level, screen, names)
        allowed_ids = _allowed(screen.get("security"), "id")
        if not found and "id" in level and allowed_ids is not None and level["id"] not in allowed_ids:
            found = [Finding("fail", f"{what}: not allowed by Jira: {level['id']}")]
        findings += found
    return findings


def bucket_findings(bucket: Bucket, screen: Screen, names: Mapping[str, str]) -> list[Finding]:
    """A bucket's part: its `fields` and its inputs (field on the screen, shape, options)."""
    findings: list[Finding] = []
    for field_id, value in bucket.fields.items():
        findings += _value_findings(f"fields {field_label(field_id, names)}", field_id, value, screen, names)
    for form_input in bucket.inputs:
        findings += _input_findings(form_input, screen, names)
    return findings


def _unsettable(field_id: str, screen: Screen, names: Mapping[str, str]) -> str | None:
    """Why a create cannot set the field, or None when it can."""
    if field_id not in screen:
        if field_id in names or field_id in BRIDGE_FIELDS:
            return "not on the create screen of this project and issue type (add it to the screen)"
        return "no such field in Jira"
    operations = screen[field_id].get("operations")
    if isinstance(operations, list) and operations and "set" not in operations:
        return f"cannot be set when creating (operations: {', '.join(map(str, operations))})"
    return None


def _input_findings(form_input: FormInput, screen: Screen, names: Mapping[str, str]) -> list[Finding]:
    what = f"input {form_input.key!r} -> {field_label(form_input.jira_field, names)}"
    reason = _unsettable(form_input.jira_field, screen, names)
    if reason is not None:
        return [Finding("fail", f"{what}: {reason}")]
    meta = screen[form_input.jira_field]
    schema = meta.get("schema")
    if isinstance(schema, Mapping) and not _fits(form_input.shape, schema):
        fitting = [s for s in JIRA_SHAPES[form_input.type] if _fits(s, schema)]
        fix = f"set jira_shape: {fitting[0]}" if fitting else f"a {form_input.type} input cannot fill it"
        return [
            Finding(
                "fail",
                f"{what}: sends the shape {form_input.shape!r} to a field of type {_kind(schema)}; {fix}",
            )
        ]
    key = {"option": "value", "options": "value", "name": "name", "names": "name"}.get(form_input.shape)
    allowed = _allowed(meta, key) if key is not None else None
    missing = [v for v in form_input.option_values() if allowed is not None and v not in allowed]
    if missing and allowed is not None:
        text = f"{what}: options Jira does not allow: {', '.join(missing)} (it allows: {', '.join(allowed)})"
        return [Finding("fail", text)]
    return []


def _value_findings(
    what: str, field_id: str, value: Any, screen: Screen, names: Mapping[str, str]
) -> list[Finding]:
    """A fixed value from `fields`: on the screen, and among the allowed values when Jira lists them."""
    reason = _unsettable(field_id, screen, names)
    if reason is not None:
        return [Finding("fail", f"{what}: {reason}")]
    refs = value if isinstance(value, list) else [value]
    for key in ("value", "name"):
        wanted = [str(r[key]) for r in refs if isinstance(r, Mapping) and key in r]
        allowed = _allowed(screen[field_id], key)
        missing = [w for w in wanted if allowed is not None and w not in allowed]
        if missing and allowed is not None:
            return [Finding("fail", f"{what}: not allowed by Jira: {', '.join(missing)}")]
    return []


def _unfilled(template: Template, team: Team, screen: Screen, names: Mapping[str, str]) -> list[Finding]:
    """Fields Jira requires that some bucket's tickets would be created without."""
    findings: list[Finding] = []
    for field_id, meta in screen.items():
        if not meta.get("required") or meta.get("hasDefaultValue") or field_id in _FILLED_ANYWAY:
            continue
        if field_id in team.jira.fields:
            continue
        label = field_label(field_id, names)
        bare: list[str] = []
        optional: list[str] = []
        for bucket in template.buckets:
            inputs = [i for i in bucket.inputs if i.jira_field == field_id]
            if field_id in bucket.fields or any(i.required for i in inputs):
                continue
            (optional if inputs else bare).append(bucket.key)
        if bare:
            findings.append(
                Finding(
                    "fail",
                    f"{label}: required by Jira, and nothing fills it for bucket {', '.join(bare)}: "
                    "set it in the team's jira.fields or the bucket's fields, or add a required input",
                )
            )
        if optional:
            findings.append(
                Finding(
                    "fail",
                    f"{label}: required by Jira, but the input asking for it is optional in bucket "
                    f"{', '.join(optional)}: make it required: true",
                )
            )
    return findings


def _fits(shape: JiraShape, schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind is None or kind == "any":
        return True  # nothing to judge by
    items = schema.get("items") if kind == "array" else None
    return (str(kind), None if items is None else str(items)) in _FITS[shape]


def _kind(schema: Mapping[str, Any]) -> str:
    items = schema.get("items")
    return (
        f"{schema.get('type')} of {items}"
        if schema.get("type") == "array" and items
        else str(schema.get("type"))
    )


def _allowed(meta: Mapping[str, Any] | None, key: str) -> list[str] | None:
    """The allowed values' `key` (value or name), disabled ones left out; None when Jira lists none."""
    values = meta.get("allowedValues") if meta is not None else None
    if not isinstance(values, list):
        return None
    return [str(v[key]) for v in values if isinstance(v, Mapping) and key in v and not v.get("disabled")]
