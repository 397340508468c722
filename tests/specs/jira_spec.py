"""Check requests to (and answers of) the fake Jira against Atlassian's Jira platform OpenAPI spec.

`JiraSpecChecker(shared_dir, base_url)` is a `HTTPFake.request_checker`: it maps a
`/rest/api/2/...` or `/rest/api/latest/...` request onto the `/rest/api/3/...` operation of the
same shape and validates path, method, query parameters (including ones the spec does not know)
and the JSON body. Rich-text parts (description, environment, comment bodies) are left out:
v2 sends wiki strings where v3 sends ADF. `check_response` does the same for the fake's answers.

Two documented leniencies mirror how Jira's JSON reader (Jackson) behaves: an explicit `null`
counts as an absent value, and a number or boolean is accepted where a string is expected (the
`jira` package sends transition ids as numbers). Data Center's `/rest/api/2/search` is not in
the Cloud spec in the shape DC accepts (the `jira` package sends `validateQuery=True`), so its
requests are checked against our own expectations instead.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from jsonschema_path import SchemaPath
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import V30RequestBodyValidator, V30RequestParametersValidator
from openapi_core.validation.response.validators import V30ResponseDataValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from app.sandbox.http_fake import FakeRequest, FakeResponse
from tests.specs.shared_dir import shared_dir, warn_specs_missing

SPEC_PATH = Path("specs/jira/platform-v3.openapi.json")
_VERSIONED = re.compile(r"^/rest/api/(?:2|latest)/")
_DC_SEARCH = re.compile(r"^/rest/api/(?:2|latest)/search$")
# Paths outside the platform spec that the `jira` package calls (add_remote_link lists app links).
_OUTSIDE_SPEC = ("/rest/applinks/",)
# Query parameters the `jira` package sends that Cloud ignores (Data Center-era user search flags).
_TOLERATED_QUERY = {"/rest/api/3/user/search": {"includeActive", "includeInactive"}}
_DC_SEARCH_QUERY = {"jql", "startAt", "maxResults", "validateQuery", "fields", "expand", "properties"}
_DC_SEARCH_BODY: dict[str, tuple[type, ...]] = {
    "jql": (str,),
    "startAt": (int,),
    "maxResults": (int,),
    "validateQuery": (bool, str),
    "fields": (list,),
    "expand": (list, str),
    "properties": (list,),
    "fieldsByKeys": (bool,),
}
_VALIDATE_QUERY = {"true", "false", "strict", "warn", "none"}
# Operations whose real answer is an array of what the spec declares as the (single) answer.
_SPEC_SAYS_OBJECT = {("GET", "/rest/api/3/issue/{issueIdOrKey}/remotelink")}
# Jira writes timestamps as 2026-01-31T10:00:00.000+0000 (no colon in the offset): not RFC 3339,
# but what every Jira answers, so the checker takes both.
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


def _is_jira_datetime(value: Any) -> bool:
    return not isinstance(value, str) or _DATETIME.match(value) is not None


@functools.lru_cache(maxsize=2)
def _spec_dict(path: str) -> dict[str, Any]:
    """The parsed spec, loaded once per process (2.4 MB: about a second)."""
    with open(path, encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@functools.lru_cache(maxsize=64)
def _schema_path(path: str, base_url: str) -> SchemaPath:
    # A shallow copy with our own `servers` is enough: nothing below mutates the spec.
    return SchemaPath.from_dict({**_spec_dict(path), "servers": [{"url": base_url}]})


class _Request:
    """The request protocol openapi-core reads."""

    def __init__(self, base_url: str, method: str, path: str, query: ImmutableMultiDict[str, str], body: Any):
        self.host_url = base_url
        self.path = path
        self.method = method.lower()
        self.body = None if body is None else json.dumps(body).encode()
        self.content_type = "application/json"
        self.parameters = RequestParameters(query=query, header=Headers(), cookie=ImmutableMultiDict())

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path


class _Response:
    def __init__(self, response: FakeResponse) -> None:
        self.status_code = response.status
        self.content_type = "application/json"
        self.headers = Headers()
        self.data = json.dumps(response.body).encode()


class JiraSpecChecker:
    """Validate fake-Jira traffic against the Jira platform spec; callable as a request checker."""

    def __init__(self, shared_dir: Path, base_url: str) -> None:
        spec_file = str(Path(shared_dir) / SPEC_PATH)
        self.base_url = base_url.rstrip("/")
        self.spec = _spec_dict(spec_file)
        schema = _schema_path(spec_file, self.base_url)
        formats: dict[str, Callable[[Any], bool]] = {"date-time": _is_jira_datetime}
        self._params = V30RequestParametersValidator(schema, extra_format_validators=formats)
        self._body = V30RequestBodyValidator(schema, extra_format_validators=formats)
        self._response = V30ResponseDataValidator(schema, extra_format_validators=formats)

    # -- requests ------------------------------------------------------------------------------
    def __call__(self, request: FakeRequest) -> list[str]:
        if request.path.startswith(_OUTSIDE_SPEC):
            return []
        if _DC_SEARCH.match(request.path):
            return self._check_dc_search(request)
        path = _VERSIONED.sub("/rest/api/3/", request.path)
        operation = self._operation(request.method, path)
        if operation is None:
            return [f"{request.method} {path} is not an operation of the Jira platform spec"]
        problems = self._unknown_query(path, operation, request.query)
        query = ImmutableMultiDict([(k, v) for k, values in request.query.items() for v in values])
        problems += [
            _describe(e)
            for e in self._params.iter_errors(_Request(self.base_url, request.method, path, query, None))
        ]
        if request.body:
            try:
                body = json.loads(request.body)
            except ValueError as exc:
                return [*problems, f"body is not JSON: {exc}"]
            if path != request.path:  # v2 / latest: rich text is wiki markup, not ADF
                body = _without_rich_text(body)
            probe = _Request(self.base_url, request.method, path, ImmutableMultiDict(), body)
            problems += [p for e in self._body.iter_errors(probe) for p in _body_problems(e)]
        return problems

    def _template(self, path: str) -> str | None:
        return next((t for t in _templates(self.spec) if _template_regex(t).fullmatch(path)), None)

    def _operation(self, method: str, path: str) -> dict[str, Any] | None:
        for template in _templates(self.spec):
            item = self.spec["paths"][template]
            if _template_regex(template).fullmatch(path) and method.lower() in item:
                operation: dict[str, Any] = {
                    **item[method.lower()],
                    "_path_parameters": item.get("parameters", []),
                }
                return operation
        return None

    def _unknown_query(self, path: str, operation: dict[str, Any], query: dict[str, list[str]]) -> list[str]:
        declared = {
            p.get("name")
            for p in [*operation["_path_parameters"], *operation.get("parameters", [])]
            if p.get("in") == "query"
        }
        allowed = declared | _TOLERATED_QUERY.get(self._template(path) or "", set())
        return [
            f"query parameter {name!r} is not a parameter of this operation"
            for name in query
            if name not in allowed
        ]

    def _check_dc_search(self, request: FakeRequest) -> list[str]:
        problems = [
            f"query parameter {n!r} is not a Data Center search parameter"
            for n in request.query
            if n not in _DC_SEARCH_QUERY
        ]
        values = {k: v[-1] for k, v in request.query.items()}
        for name in ("startAt", "maxResults"):
            if name in values and not values[name].lstrip("-").isdigit():
                problems.append(f"{name} must be an integer, not {values[name]!r}")
        if "validateQuery" in values and values["validateQuery"].lower() not in _VALIDATE_QUERY:
            problems.append(f"validateQuery must be one of {sorted(_VALIDATE_QUERY)}")
        if request.method == "POST":
            try:
                body = json.loads(request.body or b"null")
            except ValueError as exc:
                return [*problems, f"body is not JSON: {exc}"]
            if not isinstance(body, dict):
                return [*problems, "body must be a JSON object"]
            for key, value in body.items():
                if key not in _DC_SEARCH_BODY:
                    problems.append(f"body field {key!r} is not a Data Center search field")
                elif value is not None and not isinstance(value, _DC_SEARCH_BODY[key]):
                    problems.append(f"body field {key!r} has the wrong type {type(value).__name__}")
        return problems

    # -- responses -----------------------------------------------------------------------------
    def check_response(self, request: FakeRequest, response: FakeResponse) -> list[str]:
        """Problems with a successful JSON answer of the fake (errors and empty bodies are not checked)."""
        if (
            not 200 <= response.status < 300
            or response.body is None
            or request.path.startswith(_OUTSIDE_SPEC)
        ):
            return []
        path = _VERSIONED.sub("/rest/api/3/", request.path)
        if _DC_SEARCH.match(request.path):
            path = "/rest/api/3/search"
        probe = _Request(self.base_url, request.method, path, ImmutableMultiDict(), None)
        answers = [response]
        if (request.method, self._template(path)) in _SPEC_SAYS_OBJECT and isinstance(response.body, list):
            answers = [FakeResponse(response.status, item) for item in response.body]
        errors = [e for a in answers for e in self._response.iter_errors(probe, _Response(a))]
        return [p for e in errors for p in _body_problems(e, lenient=False)]


def _templates(spec: dict[str, Any]) -> list[str]:
    """Path templates, literal ones first: `/filter/favourite` must win over `/filter/{id}`."""
    return _sorted_templates(tuple(spec["paths"]))


@functools.lru_cache(maxsize=4)
def _sorted_templates(templates: tuple[str, ...]) -> list[str]:
    return sorted(templates, key=lambda t: (t.count("{"), t))


def jira_checker_or_none(base_url: str) -> JiraSpecChecker | None:
    """The checker for a fake at `base_url`, or None (with a `SpecsMissingWarning`) without the specs."""
    root = shared_dir()
    if root is None or not (root / SPEC_PATH).is_file():
        warn_specs_missing("Jira spec checks")
        return None
    return JiraSpecChecker(root, base_url)


@functools.lru_cache(maxsize=1024)
def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def _without_rich_text(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    trimmed = copy.deepcopy(body)
    trimmed.pop("body", None)  # comment bodies
    for section in ("fields", "update"):
        part = trimmed.get(section)
        if isinstance(part, dict):
            for name in ("description", "environment", "comment"):
                part.pop(name, None)
    return trimmed


def _schema_errors(error: BaseException) -> Iterator[Any]:
    cause: BaseException | None = error
    while cause is not None:
        found = getattr(cause, "schema_errors", None)
        if found:
            yield from found
            return
        cause = cause.__cause__
    yield None


def _jackson_accepts(schema_error: Any) -> bool:
    """Whether Jira's JSON reader would accept the value anyway (null as absent, scalar to string)."""
    instance = getattr(schema_error, "instance", object())
    if instance is None:
        return True
    expected = getattr(schema_error, "validator_value", None)
    return (
        getattr(schema_error, "validator", None) == "type"
        and expected == "string"
        and isinstance(instance, (int, float, bool))
    )


def _body_problems(error: BaseException, *, lenient: bool = True) -> Iterable[str]:
    for schema_error in _schema_errors(error):
        if schema_error is None:
            yield _describe(error)
        elif not (lenient and _jackson_accepts(schema_error)):
            where = "/".join(str(p) for p in getattr(schema_error, "absolute_path", [])) or "(root)"
            yield f"body {where}: {getattr(schema_error, 'message', schema_error)}"


def _describe(error: BaseException) -> str:
    cause = error.__cause__
    return f"{error!r}" + (f" caused by {cause!r}" if cause is not None else "")
