"""deploy/slack-manifest.yaml is a valid Slack app manifest and agrees with the code.

Drift between the manifest and the code only shows up after someone recreates the Slack app, so
every agreement is a function returning problems: the tests assert the shipped manifest has none,
and `test_each_drift_is_caught` edits a copy of the file to prove each check can fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft7Validator, ValidationError, validators

from app.slack.ids import DEFAULT_COMMAND, CallbackId
from tests.specs.shared_dir import shared_dir, warn_specs_missing

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "deploy" / "slack-manifest.yaml"
MAIN = REPO / "app" / "main.py"
SCHEMA_VERSIONS = ("1.0.0", "2.0.0")

# The CallbackId members that are shortcuts (the rest are modals), with their shortcut type.
SHORTCUTS = {CallbackId.raise_interrupt_message: "message", CallbackId.raise_interrupt_global: "global"}
# The bot scope each subscribed event needs (Slack's Events API reference); an event missing here
# is reported, so that subscribing to a new event means looking its scope up.
EVENT_SCOPES = {
    "reaction_added": "reactions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
}
# Events the bridge is built on; the later features need the message events too.
REQUIRED_EVENTS = ("reaction_added", "message.channels", "message.groups", "message.im")
# Slack Web API families, to spot `client.chat_postMessage(...)`-style calls besides `_call("...")`.
_API_FAMILIES = "auth|chat|conversations|files|reactions|usergroups|users|views"
_ADAPTER_CALL = re.compile(r"""_call\(\s*["']([a-z]+(?:\.[A-Za-z]+)+)["']""")
_SDK_CALL = re.compile(rf"\.((?:{_API_FAMILIES})_[A-Za-z_]+)\(")

Manifest = dict[str, Any]


def load_manifest(path: Path = MANIFEST) -> Manifest:
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(manifest, dict), f"{path.name} must hold a mapping"
    return manifest


def slack_events_route() -> str:
    """The path app/main.py mounts the Slack endpoint on (read from the source, as it is declared)."""
    source = MAIN.read_text(encoding="utf-8")
    found = re.findall(r"""Route\(\s*["']([^"']+)["'][^)]*slack_endpoint""", source)
    assert len(found) == 1, f"expected one Route(...) to the Slack endpoint in app/main.py, found {found}"
    return str(found[0])


def _section(manifest: Manifest, *keys: str) -> Any:
    value: Any = manifest
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _items(manifest: Manifest, *keys: str) -> list[Any]:
    value = _section(manifest, *keys)
    return value if isinstance(value, list) else []


# -- agreement checks: each returns the problems it finds ---------------------------------------
def shortcut_problems(manifest: Manifest) -> list[str]:
    problems = []
    shortcuts = _items(manifest, "features", "shortcuts")
    declared = {item.get("callback_id"): item.get("type") for item in shortcuts}
    if len(declared) != len(shortcuts):
        problems.append("two shortcuts share a callback_id: the app could not tell them apart")
    known = {member.value for member in CallbackId}
    for callback_id in declared:
        if callback_id not in known:
            problems.append(f"shortcut callback_id {callback_id!r} is not a CallbackId value")
        elif CallbackId(callback_id) not in SHORTCUTS:
            problems.append(
                f"shortcut callback_id {callback_id!r} is a CallbackId of a modal, not a shortcut"
            )
    for member, kind in SHORTCUTS.items():
        if member.value not in declared:
            problems.append(f"CallbackId.{member.name} ({member.value!r}) is missing from the shortcuts")
        elif declared[member.value] != kind:
            problems.append(
                f"shortcut {member.value!r} must be a {kind} shortcut, not {declared[member.value]}"
            )
    return problems


def command_problems(manifest: Manifest) -> list[str]:
    commands = [item.get("command") for item in _items(manifest, "features", "slash_commands")]
    if commands != [DEFAULT_COMMAND]:
        return [f"slash commands {commands} differ from the command the app handles ({DEFAULT_COMMAND})"]
    return []


def request_urls(manifest: Manifest) -> dict[str, Any]:
    """Every URL Slack delivers to, by where it is in the manifest (None where it is missing)."""
    urls = {
        "settings.event_subscriptions.request_url": _section(
            manifest, "settings", "event_subscriptions", "request_url"
        ),
        "settings.interactivity.request_url": _section(manifest, "settings", "interactivity", "request_url"),
    }
    for item in _items(manifest, "features", "slash_commands"):
        urls[f"features.slash_commands[{item.get('command')}].url"] = item.get("url")
    return urls


def url_problems(manifest: Manifest, route: str) -> list[str]:
    """Over HTTP, every delivery must reach the one route the service mounts, over https."""
    if _section(manifest, "settings", "socket_mode_enabled") is True:
        return []  # Socket Mode: Slack ignores request URLs
    problems = []
    if _section(manifest, "settings", "interactivity", "is_enabled") is not True:
        problems.append("interactivity is disabled: shortcuts and buttons would never reach the service")
    if _section(manifest, "settings", "interactivity", "message_menu_options_url") is not None:
        problems.append("message_menu_options_url is set but the service serves no external select options")
    for where, url in request_urls(manifest).items():
        if not isinstance(url, str):
            problems.append(f"{where} is missing")
            continue
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc:
            problems.append(f"{where} = {url!r} is not an https URL")
        if parts.path != route or parts.query:
            problems.append(f"{where} = {url!r} does not use the service's route {route}")
    return problems


def event_scope_problems(manifest: Manifest) -> list[str]:
    """The bridge's events are subscribed, and every subscription and feature has its scope."""
    events = _items(manifest, "settings", "event_subscriptions", "bot_events")
    scopes = set(_items(manifest, "oauth_config", "scopes", "bot"))
    problems = [f"bot event {event} is not subscribed" for event in REQUIRED_EVENTS if event not in events]
    for event in events:
        if event not in EVENT_SCOPES:
            problems.append(f"bot event {event}: add the scope it needs to EVENT_SCOPES in this test")
        elif EVENT_SCOPES[event] not in scopes:
            problems.append(f"bot event {event} needs the {EVENT_SCOPES[event]} bot scope")
    uses_commands = _items(manifest, "features", "shortcuts") or _items(
        manifest, "features", "slash_commands"
    )
    if uses_commands and "commands" not in scopes:
        problems.append("shortcuts and slash commands need the commands bot scope")
    return problems


def called_slack_methods() -> set[str]:
    """Web API methods the service calls (the sandbox fakes them, so it is left out)."""
    methods: set[str] = set()
    for path in (REPO / "app").rglob("*.py"):
        if "sandbox" in path.relative_to(REPO / "app").parts:
            continue
        source = path.read_text(encoding="utf-8")
        methods.update(_ADAPTER_CALL.findall(source))
        methods.update(name.replace("_", ".") for name in _SDK_CALL.findall(source))
    return methods


def method_scope_problems(manifest: Manifest, methods_dir: Path, methods: set[str]) -> list[str]:
    """Each called method that Slack describes gets one of the bot scopes Slack lists for it."""
    scopes = set(_items(manifest, "oauth_config", "scopes", "bot"))
    problems = []
    for method in sorted(methods):
        spec_path = methods_dir / f"{method}.json"
        if not spec_path.is_file():
            continue  # not described in the shared specs: nothing to check against
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        needed = set(spec.get("scope", {}).get("bot", []))
        if spec.get("no_scope_required") or not needed:
            continue
        if not needed & scopes:
            problems.append(f"{method} needs one of the bot scopes {sorted(needed)}")
    return problems


def all_problems(manifest: Manifest) -> list[str]:
    return (
        shortcut_problems(manifest)
        + command_problems(manifest)
        + url_problems(manifest, slack_events_route())
        + event_scope_problems(manifest)
    )


# -- schema -------------------------------------------------------------------------------------
def _regex_keyword(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    # Slack's schema spells some patterns `regex`, which draft-07 ignores; honour them as `pattern`.
    if validator.is_type(instance, "string") and not re.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


ManifestValidator = validators.extend(Draft7Validator, {"regex": _regex_keyword})


def manifest_schema(version: str) -> dict[str, Any]:
    root = shared_dir()
    path = root / "specs" / "slack" / f"manifest.schema.{version}.json" if root else None
    if path is None or not path.is_file():
        warn_specs_missing(f"Slack manifest schema {version} check")
        pytest.skip(f"Slack manifest schema {version} missing")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return schema


def schema_errors(manifest: Manifest, schema: dict[str, Any]) -> list[str]:
    errors = ManifestValidator(schema).iter_errors(manifest)
    return [f"{'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in errors]


def slack_methods_dir() -> Path:
    root = shared_dir()
    methods_dir = root / "specs" / "slack" / "methods" if root else None
    if methods_dir is None or not methods_dir.is_dir():
        warn_specs_missing("Slack manifest scope check")
        pytest.skip("Slack method specs missing")
    return methods_dir


# -- the shipped manifest -----------------------------------------------------------------------
@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_manifest_validates_against_slacks_schema(version: str) -> None:
    schema = manifest_schema(version)
    assert schema_errors(load_manifest(), schema) == []


def test_shortcut_callback_ids_are_the_apps() -> None:
    assert shortcut_problems(load_manifest()) == []


def test_slash_command_is_the_one_the_app_handles() -> None:
    manifest = load_manifest()
    assert command_problems(manifest) == []
    [command] = _items(manifest, "features", "slash_commands")
    assert command["usage_hint"] == "[help | oncall | faq <question> | text of your request]"


def test_every_request_url_uses_the_mounted_slack_route() -> None:
    route = slack_events_route()
    manifest = load_manifest()
    assert url_problems(manifest, route) == []
    assert len(request_urls(manifest)) == 3  # events, interactivity, /interrupt


def test_delivery_defaults_are_http_and_single_workspace() -> None:
    settings = load_manifest()["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False


def test_events_are_subscribed_with_their_scopes() -> None:
    assert event_scope_problems(load_manifest()) == []


def test_every_called_slack_method_has_a_bot_scope() -> None:
    methods_dir = slack_methods_dir()
    methods = called_slack_methods()
    described = {method for method in methods if (methods_dir / f"{method}.json").is_file()}
    assert {"chat.postMessage", "reactions.add"} <= described, (
        "the call scan found none of the adapter's calls"
    )
    assert method_scope_problems(load_manifest(), methods_dir, methods) == []


# -- each check can fail ------------------------------------------------------------------------
def _edit(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        # An edit that no longer applies would make its case pass vacuously.
        assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times, expected {count}"
        return text.replace(old, new)

    return edit


def _drop_line(line: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        kept = [each for each in text.splitlines() if each.split("#", 1)[0].strip() != line]
        assert len(kept) == len(text.splitlines()) - 1, f"{line!r} is not exactly one line of the manifest"
        return "\n".join(kept) + "\n"

    return edit


DRIFTS = {
    "unknown shortcut callback id": (
        _edit("callback_id: raise_interrupt_global", "callback_id: raise_interrupt_all"),
        "'raise_interrupt_all' is not a CallbackId value",
    ),
    "member name instead of value": (
        _edit("callback_id: raise_interrupt\n", "callback_id: raise_interrupt_message\n"),
        "CallbackId.raise_interrupt_message ('raise_interrupt') is missing from the shortcuts",
    ),
    "duplicate callback id": (
        _edit("callback_id: raise_interrupt\n", "callback_id: raise_interrupt_global\n"),
        "two shortcuts share a callback_id",
    ),
    "modal callback id as a shortcut": (
        _edit("callback_id: raise_interrupt_global", f"callback_id: {CallbackId.intake_modal.value}"),
        "is a CallbackId of a modal",
    ),
    "shortcut type swapped": (
        _edit("type: global", "type: message"),
        "must be a global shortcut",
    ),
    "renamed slash command": (
        _edit(f"command: {DEFAULT_COMMAND}", "command: /interrupts"),
        "differ from the command the app handles",
    ),
    "event URL on another path": (
        _edit(
            "request_url: https://YOUR-HOST/slack/events\n    bot_events",
            "request_url: https://YOUR-HOST/slack/event\n    bot_events",
        ),
        "settings.event_subscriptions.request_url = 'https://YOUR-HOST/slack/event' does not use",
    ),
    "command URL over plain http": (
        _edit(
            "url: https://YOUR-HOST/slack/events\n      description",
            "url: http://YOUR-HOST/slack/events\n      description",
        ),
        "is not an https URL",
    ),
    "interactivity URL removed": (
        _edit("is_enabled: true\n    request_url: https://YOUR-HOST/slack/events", "is_enabled: true"),
        "settings.interactivity.request_url is missing",
    ),
    "options URL set": (
        _edit(
            "is_enabled: true\n",
            "is_enabled: true\n    message_menu_options_url: https://YOUR-HOST/slack/events\n",
        ),
        "message_menu_options_url is set",
    ),
    "reaction_added unsubscribed": (
        _drop_line("- reaction_added"),
        "bot event reaction_added is not subscribed",
    ),
    "event without its scope": (
        _drop_line("- reactions:read"),
        "reaction_added needs the reactions:read bot scope",
    ),
    "event of unknown scope": (
        _edit("      - message.im", "      - message.im\n      - app_home_opened"),
        "app_home_opened: add the scope it needs",
    ),
    "commands scope dropped": (
        _drop_line("- commands"),
        "need the commands bot scope",
    ),
}


@pytest.mark.parametrize("drift", DRIFTS)
def test_each_drift_is_caught(drift: str, tmp_path: Path) -> None:
    edit, expected = DRIFTS[drift]
    assert all_problems(load_manifest()) == []
    copy = tmp_path / MANIFEST.name
    copy.write_text(edit(MANIFEST.read_text(encoding="utf-8")), encoding="utf-8")
    problems = all_problems(load_manifest(copy))
    assert any(expected in problem for problem in problems), problems


def test_a_route_change_is_caught() -> None:
    problems = url_problems(load_manifest(), "/slack/v2/events")
    assert len(problems) == len(request_urls(load_manifest()))


def test_a_dropped_method_scope_is_caught(tmp_path: Path) -> None:
    methods_dir = slack_methods_dir()
    copy = tmp_path / MANIFEST.name
    copy.write_text(_drop_line("- chat:write")(MANIFEST.read_text(encoding="utf-8")), encoding="utf-8")
    problems = method_scope_problems(load_manifest(copy), methods_dir, called_slack_methods())
    assert "chat.postMessage needs one of the bot scopes ['chat:write']" in problems


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_schema_violations_are_caught(version: str, tmp_path: Path) -> None:
    schema = manifest_schema(version)
    text = MANIFEST.read_text(encoding="utf-8")
    text = _edit("  name: interrupt-bridge\n", "  name: interrupt-bridge for platform support teams\n")(text)
    text = _edit('background_color: "#1d3557"', 'background_color: "navy"')(text)
    copy = tmp_path / MANIFEST.name
    copy.write_text(text, encoding="utf-8")
    errors = schema_errors(load_manifest(copy), schema)
    assert any(error.startswith("display_information.name:") for error in errors), errors
    assert any(error.startswith("display_information.background_color:") for error in errors), errors
