"""Validation and application of issue fields, the way Jira answers bad ones.

Create, edit (`fields` and `update` operations), transition and assign all go through here, so
the same value is judged the same way everywhere. Every problem found in one request is
collected and raised together as a 400 with `errors: {field: message}`, like Jira does; the
messages are Jira's own wording where we know it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Literal

from app.sandbox.jira_models import CustomField, Issue, IssueType, JiraApiError, Project, User
from app.sandbox.jira_state import JiraState

SUMMARY_MAX: Final = 255
TEXT_MAX: Final = 255
RichText = Literal["wiki", "adf"]  # REST v2 speaks wiki strings, v3 Atlassian Document Format
_BAD_OPERATION = (
    "Can not instantiate value of type [simple type, class com.atlassian.jira.rest.api.issue.FieldOperation] "
    "from JSON String; no single-String constructor/factory method"
)


class _Invalid:
    pass


_INVALID: Final = _Invalid()


def adf_to_text(node: Any) -> str:
    """Flatten an ADF document to plain text: one line per block, hard breaks as newlines."""
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    children = [adf_to_text(c) for c in node.get("content", []) or []]
    joiner = "\n" if node.get("type") in ("doc", "bulletList", "orderedList", "listItem") else ""
    return joiner.join(children)


def text_to_adf(text: str) -> dict[str, Any]:
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


@dataclass
class _Edit:
    """Parsed, validated changes, applied only when the whole request is valid."""

    values: dict[str, Any] = field(default_factory=dict)
    add_labels: list[str] = field(default_factory=list)
    remove_labels: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


class FieldRules:
    """Judges field values for one request (who sends it and in which rich-text dialect)."""

    def __init__(self, state: JiraState, actor: User, rich: RichText) -> None:
        self.state = state
        self.actor = actor
        self.rich = rich

    # -- entry points --------------------------------------------------------------------------
    def create(self, body: Any) -> Issue:
        fields = _object(body, "fields")
        project = self._project(fields.pop("project", None))
        issue_type = self._issue_type(project, fields.pop("issuetype", None))
        update = _object(body, "update")
        edit = self._parse(fields, update)
        for name in sorted((set(fields) | set(update)) & self.state.off_screen(project)):
            edit.errors[name] = _cannot_set(name)
        if issue_type is None:
            edit.errors["issuetype"] = "valid issue type is required"
        if not edit.values.get("summary"):
            edit.errors.setdefault("summary", "You must specify a summary of the issue.")
        if edit.errors:
            raise JiraApiError(400, errors=edit.errors)
        assert issue_type is not None
        reporter = edit.values.pop("reporter", self.actor)
        issue = self.state.new_issue(project, issue_type, edit.values.pop("summary"), reporter)
        issue.creator = self.actor
        self._apply(issue, edit)
        return issue

    def edit(self, issue: Issue, body: Any) -> None:
        edit = self._parse(_object(body, "fields"), _object(body, "update"))
        if "summary" in edit.values and not edit.values["summary"]:
            edit.errors.setdefault("summary", "You must specify a summary of the issue.")
        if edit.errors:
            raise JiraApiError(400, errors=edit.errors)
        self._apply(issue, edit)

    def transition(self, issue: Issue, body: Any) -> None:
        wanted = _object(body, "transition").get("id")
        if wanted is None:
            raise JiraApiError(400, ["Missing 'transition' identifier"])
        transition = next((t for t in self.state.available_transitions(issue) if t.id == str(wanted)), None)
        if transition is None:
            raise JiraApiError(400, [f"Transition id '{wanted}' is not valid for this issue."])
        fields = _object(body, "fields")
        resolution = None
        errors: dict[str, str] = {}
        raw_resolution = fields.pop("resolution", None)
        if raw_resolution is not None:
            resolution = self._named(raw_resolution, self.state.resolutions)
            if resolution is None or transition.to.category != "done":
                errors["resolution"] = "Could not find valid 'id' or 'name' in resolution object."
        edit = self._parse(fields, _object(body, "update"))
        edit.errors.update(errors)
        if edit.errors:
            raise JiraApiError(400, errors=edit.errors)
        self.state.transition(issue, transition, resolution)
        self._apply(issue, edit)

    def assign(self, issue: Issue, body: Any) -> None:
        key = "accountId" if self.state.is_cloud else "name"
        ident = body.get(key) if isinstance(body, dict) else _INVALID
        if ident is _INVALID or (ident is not None and not isinstance(ident, str)):
            raise JiraApiError(400, errors={"assignee": f"Specify the assignee by '{key}'."})
        errors: dict[str, str] = {}
        # None unassigns; "-1" means "automatic", which is the project default: unassigned here.
        user = None if ident in (None, "-1") else self._assignee({key: ident}, errors)
        if errors:
            raise JiraApiError(400, errors=errors)
        issue.assignee = user
        self.state.touch(issue)

    # -- parsing -------------------------------------------------------------------------------
    def _project(self, ref: Any) -> Project:
        project = None
        if isinstance(ref, dict):
            project = self.state.project(str(ref.get("id") or ref.get("key") or ""))
        if project is None:
            raise JiraApiError(400, errors={"project": "valid project is required"})
        return project

    def _issue_type(self, project: Project, ref: Any) -> IssueType | None:
        if not isinstance(ref, dict):
            return None
        wanted = {str(ref[k]) for k in ("id", "name") if k in ref}
        found = next((t for t in project.issue_types if wanted & {t.id, t.name}), None)
        if found is None:
            raise JiraApiError(400, errors={"issuetype": "The issue type selected is invalid."})
        return found

    def _parse(self, fields: dict[str, Any], update: dict[str, Any]) -> _Edit:
        edit = _Edit()
        for name, value in fields.items():
            parsed = self._value(name, value, edit.errors)
            if parsed is not _INVALID:
                edit.values[name] = parsed
        for name, operations in update.items():
            if not isinstance(operations, list) or not all(isinstance(o, dict) for o in operations):
                raise JiraApiError(400, [_BAD_OPERATION])
            for operation in operations:
                self._operation(name, operation, edit)
        return edit

    def _operation(self, name: str, operation: dict[str, Any], edit: _Edit) -> None:
        for verb, value in operation.items():
            if name == "labels" and verb in ("add", "remove"):
                checked = self._labels([value], edit.errors)
                if checked is not _INVALID:
                    (edit.add_labels if verb == "add" else edit.remove_labels).extend(checked)
            elif name == "comment" and verb == "add":
                body = value.get("body") if isinstance(value, dict) else None
                text = self.rich_text(name, body, edit.errors)
                if isinstance(text, str) and text.strip():
                    edit.comments.append(text)
                elif text is not _INVALID:
                    edit.errors["comment"] = "Comment body can not be empty!"
            elif verb == "set":
                parsed = self._value(name, value, edit.errors)
                if parsed is not _INVALID:
                    edit.values[name] = parsed
            else:
                edit.errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                )

    def _value(self, name: str, value: Any, errors: dict[str, str]) -> Any:
        if name == "summary":
            return self._summary(value, errors)
        if name == "description":
            return self.rich_text(name, value, errors)
        if name == "labels":
            return self._labels(value, errors)
        if name == "priority":
            return self._priority(value, errors)
        if name == "assignee":
            return None if value is None else self._assignee(value, errors)
        if name == "reporter":
            reporter = self.state.user_from_ref(value)
            if reporter is None:
                errors[name] = "The reporter specified is not a user."
                return _INVALID
            return reporter
        if name == "duedate":
            return self._date(name, value, errors)
        if name == "security":
            level = None if value is None else self._named(value, self.state.security_levels)
            if value is not None and level is None:
                errors[name] = "Security level specified is not valid."
                return _INVALID
            return level
        if name in self.state.custom_fields:
            custom = self.state.custom_fields[name]
            if custom.options:
                return self._custom_option(custom, value, errors)
            return self._custom_text(name, value, errors)
        errors[name] = _cannot_set(name)
        return _INVALID

    def _summary(self, value: Any, errors: dict[str, str]) -> Any:
        if not isinstance(value, str) or not value.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(value) > SUMMARY_MAX:
            errors["summary"] = "Summary must be less than 255 characters."
        elif "\n" in value or "\r" in value:
            errors["summary"] = "The summary is invalid because it contains newline characters."
        else:
            return value
        return _INVALID

    def rich_text(self, name: str, value: Any, errors: dict[str, str]) -> Any:
        if value is None:
            return None
        if self.rich == "adf":
            if isinstance(value, dict) and value.get("type") == "doc":
                return adf_to_text(value)
            errors[name] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        elif isinstance(value, str):
            return value
        else:
            errors[name] = "Operation value must be a string"
        return _INVALID

    def _labels(self, value: Any, errors: dict[str, str]) -> Any:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors["labels"] = "Operation value must be a string"
            return _INVALID
        for label in value:
            if not label or any(c.isspace() for c in label):
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
                return _INVALID
            if len(label) > 255:
                errors["labels"] = (
                    "The label exceeds the maximum length for a single label of 255 characters."
                )
                return _INVALID
        return list(dict.fromkeys(value))

    def _priority(self, value: Any, errors: dict[str, str]) -> Any:
        if not isinstance(value, dict) or not any(isinstance(value.get(k), str) for k in ("id", "name")):
            errors["priority"] = "Specify the Priority (id or name) in the string format"
            return _INVALID
        found = self._named(value, self.state.priorities)
        if found is None:
            errors["priority"] = "The priority selected is invalid."
            return _INVALID
        return found

    def _assignee(self, value: Any, errors: dict[str, str]) -> Any:
        user = self.state.user_from_ref(value)
        if user is None:
            keys = ("accountId", "id", "name", "key")
            shown = next((value[k] for k in keys if isinstance(value, dict) and k in value), value)
            errors["assignee"] = f"User '{shown}' does not exist."
            return _INVALID
        if not user.active:
            errors["assignee"] = f"User '{user.display_name}' cannot be assigned issues."
            return _INVALID
        return user

    def _custom_text(self, name: str, value: Any, errors: dict[str, str]) -> Any:
        if value is None or (isinstance(value, str) and len(value) <= TEXT_MAX):
            return value
        errors[name] = (
            "Operation value must be a string"
            if not isinstance(value, str)
            else f"The entered text is too long. It exceeds the allowed limit of {TEXT_MAX} characters."
        )
        return _INVALID

    @staticmethod
    def _custom_option(custom: CustomField, value: Any, errors: dict[str, str]) -> Any:
        """A select list takes `{"value": v}` or `{"id": i}`, a multi-select a list of them."""
        if value is None:
            return None
        many = custom.kind == "options"
        if many != isinstance(value, list):
            errors[custom.id] = "data was not an array" if many else "data was not an object"
            return _INVALID
        by_id = {custom.option_id(v): v for v in custom.options}
        chosen: list[dict[str, str]] = []
        for ref in value if many else [value]:
            if not isinstance(ref, dict) or not ({"id", "value"} & ref.keys()):
                errors[custom.id] = "Could not find valid 'id' or 'value' in the Option object."
                return _INVALID
            option = by_id.get(str(ref["id"])) if "id" in ref else ref["value"]
            if option not in custom.options:
                what = f"id '{ref['id']}'" if "id" in ref else f"value '{ref['value']}'"
                errors[custom.id] = f"Option {what} is not valid"
                return _INVALID
            chosen.append({"value": option, "id": custom.option_id(option)})
        return chosen if many else chosen[0]

    @staticmethod
    def _date(name: str, value: Any, errors: dict[str, str]) -> Any:
        if value is None:
            return None
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError(value)
            return date.fromisoformat(value).isoformat()
        except ValueError:
            errors[name] = "Error parsing date string: " + str(value)
            return _INVALID

    @staticmethod
    def _named(ref: Any, options: list[Any]) -> Any:
        if not isinstance(ref, dict):
            return None
        return next((o for o in options if ref.get("id") == o.id or ref.get("name") == o.name), None)

    # -- applying ------------------------------------------------------------------------------
    def _apply(self, issue: Issue, edit: _Edit) -> None:
        for name, value in edit.values.items():
            if name in self.state.custom_fields or name == "duedate":
                issue.custom[name] = value
            else:
                setattr(issue, name, value)
        labels = [label for label in issue.labels if label not in edit.remove_labels]
        issue.labels = list(dict.fromkeys(labels + edit.add_labels))
        for text in edit.comments:
            self.state.add_comment(issue, text, self.actor)
        self.state.touch(issue)


def _object(body: Any, key: str) -> dict[str, Any]:
    value = body.get(key) if isinstance(body, dict) else None
    return dict(value) if isinstance(value, dict) else {}


def _cannot_set(name: str) -> str:
    return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
