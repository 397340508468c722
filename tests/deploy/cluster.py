"""What the deploy tests compare manifests against: the app's routes, CLI, settings and image."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.config.loader import load_template
from app.main import create_app
from app.runtime import Connections, Runtime
from app.settings import Settings
from tests.deploy.test_static_files import dockerfile, setting_names

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
OVERLAY = DEPLOY / "k8s" / "overlays" / "example"
COMPOSE = DEPLOY / "docker-compose.yml"
# Routes Slack and Jira call from the internet; everything else stays inside the cluster.
WEBHOOK_ROUTES = frozenset({"/slack/events", "/jira/webhook"})
# Served behind the app's admin token (issue 6), and only through an Ingress with an allow-list.
GUARDED_PREFIXES = ("/reports",)
ALLOW_LIST_ANNOTATION = "nginx.ingress.kubernetes.io/whitelist-source-range"

Obj = dict[str, Any]


def app_routes() -> dict[str, set[str]]:
    """Path -> methods of the app `serve` runs (built, never started: nothing is contacted)."""
    settings = Settings(_env_file=None, DATABASE_URL="sqlite://", BRIDGE_CONFIG="unused.yaml")  # type: ignore[call-arg]
    connections = Connections(
        signing_secret="s" * 16,
        slack_token="xoxb-routes",
        slack_api_url="http://127.0.0.1:9/api/",
        jira_url="http://127.0.0.1:9",
        jira_email="a@example.com",
        jira_api_token="t" * 16,
        jira_pat=None,
    )
    template = load_template(DEPLOY / "bridge.example.yaml")  # the FAQ library reads it when built
    runtime = Runtime(settings=settings, template=lambda: template, connections=connections, run_worker=False)
    try:
        app = create_app(runtime)
        return {
            route.path: set(getattr(route, "methods", None) or ())
            for route in app.routes
            if isinstance(getattr(route, "path", None), str)
        }
    finally:
        runtime.engine.dispose()


def secret_settings() -> set[str]:
    """Settings that hold secrets: every `SecretStr` field, and DATABASE_URL (it carries a password)."""
    names = {
        field.alias
        for field in Settings.model_fields.values()
        if field.alias and "SecretStr" in str(field.annotation)
    }
    return names | {"DATABASE_URL"}


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for op, arg in dockerfile():
        if op == "ENV":
            for pair in shlex.split(arg):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def image_user() -> int:
    users = [arg for op, arg in dockerfile() if op == "USER"]
    return int(users[-1].split(":")[0])


def cli_commands() -> set[str]:
    from app.cli.main import build_parser

    parser = build_parser()
    [sub] = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return set(sub.choices)  # type: ignore[attr-defined]


def parses_as_cli(args: list[str]) -> bool:
    from app.cli.main import build_parser

    try:
        build_parser().parse_args(args)
    except SystemExit:
        return False
    return True


# -- navigating built objects ---------------------------------------------------------------------
def by_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    [found] = [obj for obj in by_kind(objects, kind) if _base_name(obj["metadata"]["name"]) == name]
    return found


def _base_name(name: str) -> str:
    return re.sub(r"-[a-z0-9]{10}$", "", name)


def pod_spec(workload: Obj) -> Obj:
    spec: Obj = workload["spec"]["template"]["spec"]
    return spec


def all_containers(workload: Obj) -> Iterator[Obj]:
    spec = pod_spec(workload)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def configmap_data(objects: list[Obj], name: str) -> dict[str, str]:
    for obj in by_kind(objects, "ConfigMap"):
        if obj["metadata"]["name"] == name:
            data: dict[str, str] = obj.get("data", {})
            return data
    raise AssertionError(f"no ConfigMap {name}")


def container_env(objects: list[Obj], container: Obj) -> dict[str, Obj]:
    """Every variable the container gets, name -> its env entry (`envFrom` ConfigMap keys as values)."""
    env: dict[str, Obj] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            for key, value in configmap_data(objects, source["configMapRef"]["name"]).items():
                env[key] = {"name": key, "value": value}
        else:
            env["<envFrom " + next(iter(source)) + ">"] = source
    for entry in container.get("env", []):
        env[entry["name"]] = entry
    return env


__all__ = ["setting_names"]
