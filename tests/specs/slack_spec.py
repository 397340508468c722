"""Checks requests to the fake Slack against Slack's own method descriptions.

`SlackSpecChecker(shared_dir)` is a `HTTPFake.request_checker`: for each `/api/<method>` request
it loads `specs/slack/methods/<method>.json` and validates the call's arguments against its
`args`, after the normalisation that specs/README.md describes (those `args` are JSON-Schema-like,
typed for form encoding): `token` travels in a header so it is not required, booleans arrive as
"1"/"0"/"true"/"false", numbers as strings, `users` as a comma-separated string, and JSON-bodied
calls send `blocks`/`metadata` as structures where the spec types a JSON string.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft7Validator

from app.sandbox.http_fake import FakeRequest
from tests.specs.shared_dir import shared_dir, warn_specs_missing
from tests.specs.slack_extra_methods import EXTRA_METHODS

# Typed as a (JSON-encoded) string in the spec; a JSON body carries the structure itself.
JSON_STRING_ARGS = frozenset({"blocks", "attachments", "unfurled_attachments", "metadata"})
_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}


def request_args(request: FakeRequest) -> dict[str, Any]:
    """Query string plus form or JSON body, decoded independently of the fake's own parser."""
    args: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
    if not request.body:
        return args
    if "application/json" in request.headers.get("content-type", ""):
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("JSON body is not an object")
        args.update(body)
    else:
        form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
        args.update({k: v[-1] for k, v in form.items()})
    return args


def _types(schema: dict[str, Any]) -> set[str]:
    """Every JSON type the (possibly anyOf/allOf-composed) schema mentions."""
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(declared)
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found |= _types(branch)
    return found


def _normalise(name: str, value: Any, schema: dict[str, Any]) -> Any:
    """Turn a form-encoded (or JSON-bodied) value into what the JSON-Schema-like spec describes."""
    types = _types(schema)
    if isinstance(value, str) and "string" not in types:
        if "boolean" in types and value in _BOOLEANS:
            return _BOOLEANS[value]
        if types & {"number", "integer"}:
            for convert in (int, float):
                try:
                    return convert(value)
                except ValueError:
                    pass
        if "array" in types:
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part for part in value.split(",") if part]
        if "object" in types and value.lstrip().startswith("{"):
            return json.loads(value)
    if isinstance(value, list | dict) and name in JSON_STRING_ARGS and "string" in types:
        return json.dumps(value)
    return value


class SlackSpecChecker:
    """A request checker validating `/api/<method>` calls against `specs/slack/methods`."""

    def __init__(self, shared: Path) -> None:
        self._methods_dir = shared / "specs" / "slack" / "methods"
        self._specs: dict[str, tuple[dict[str, Any], Draft7Validator] | None] = {}
        self._lock = threading.Lock()

    def _load(self, method: str) -> tuple[dict[str, Any], Draft7Validator] | None:
        with self._lock:
            if method not in self._specs:
                path = self._methods_dir / f"{method}.json"
                if "/" not in method and path.is_file():
                    spec = json.loads(path.read_text(encoding="utf-8"))
                else:
                    spec = EXTRA_METHODS.get(method)
                if spec is None:
                    self._specs[method] = None
                else:
                    args = dict(spec["args"])
                    args["required"] = [name for name in args.get("required", []) if name != "token"]
                    self._specs[method] = (spec, Draft7Validator(args))
            return self._specs[method]

    def __call__(self, request: FakeRequest) -> list[str]:
        if not request.path.startswith("/api/"):
            return []  # the sandbox control API and the upload URL are not Slack methods
        method = request.path.removeprefix("/api/")
        loaded = self._load(method)
        if loaded is None:
            return [f"no Slack spec for method {method!r}"]
        spec, validator = loaded
        problems: list[str] = []
        if "token" in request.query:
            problems.append("token in the query string (Slack refuses that; send it as a Bearer header)")
        try:
            args = request_args(request)
        except ValueError as exc:
            return [*problems, f"undecodable body: {exc}"]
        is_json = "application/json" in request.headers.get("content-type", "")
        if is_json and request.body and not spec.get("json_input_supported"):
            problems.append(f"{method} does not accept JSON bodies")
        args.pop("token", None)
        properties: dict[str, Any] = spec["args"].get("properties", {})
        problems += [f"unknown argument {name!r}" for name in args if name not in properties]
        try:
            normalised = {k: _normalise(k, v, properties[k]) for k, v in args.items() if k in properties}
        except ValueError as exc:
            return [*problems, f"undecodable argument: {exc}"]
        for error in sorted(
            validator.iter_errors(normalised), key=lambda e: (str(list(e.absolute_path)), e.message)
        ):
            where = "/".join(str(p) for p in error.absolute_path) or "args"
            problems.append(f"{where}: {error.message}")
        return problems


def slack_checker_or_none() -> SlackSpecChecker | None:
    """The checker for the shared specs, or None (with a `SpecsMissingWarning`) when they are missing."""
    shared = shared_dir()
    if shared is None or not (shared / "specs" / "slack" / "methods").is_dir():
        warn_specs_missing("Slack spec checks")
        return None
    return SlackSpecChecker(shared)
