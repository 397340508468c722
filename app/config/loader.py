"""Load the workflow template from YAML with errors that name the file, the key path and the problem."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from app.config.template import Template


class TemplateError(Exception):
    """The workflow template cannot be used; the message is meant for a human."""


def load_template(path: Path) -> Template:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{path}: workflow template not found (set BRIDGE_CONFIG)") from None
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read workflow template: {exc.strerror}") from None
    return parse_template(raw, source=str(path))


def parse_template(raw: str, *, source: str) -> Template:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f": line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TemplateError(f"{source}{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: the template must be a YAML mapping at the top level")
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(_describe(source, exc)) from None


def _describe(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: {exc.error_count()} problem(s) in the workflow template:"]
    for error in exc.errors():
        path = _key_path(error["loc"])
        lines.append(f"  - {path or '<top level>'}: {error['msg']}")
    return "\n".join(lines)


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)
