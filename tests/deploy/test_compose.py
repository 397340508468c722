"""deploy/docker-compose.yml (one host, PostgreSQL) agrees with the code (no Docker engine here)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.settings import Settings
from tests.deploy import cluster

Compose = dict[str, Any]
APP_SERVICES = ("migrate", "bridge", "worker")


def load_compose() -> Compose:
    compose = yaml.safe_load(cluster.COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(compose, dict)
    return compose


def _command(service: Compose) -> list[str]:
    command = service.get("command", [])
    if isinstance(command, str):  # `${BRIDGE_SERVE_ARGS:-serve}`: the default is what runs
        command = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", command).split()
    return list(command)


def compose_problems(compose: Compose) -> list[str]:
    problems = []
    services = compose["services"]
    postgres = services.get("postgres", {})
    if "healthcheck" not in postgres:
        problems.append("postgres has no healthcheck: the bridge could start before it accepts connections")
    known, secrets = cluster.setting_names(), cluster.secret_settings()
    image_port = cluster.image_env()["BRIDGE_PORT"]
    for name in APP_SERVICES:
        service = services.get(name)
        if service is None:
            problems.append(f"no {name} service")
            continue
        build = service.get("build", {})
        if not (cluster.COMPOSE.parent / build.get("context", ".") / "Dockerfile").is_file():
            problems.append(f"{name}: the build context has no Dockerfile")
        command = _command(service)
        if not command or not cluster.parses_as_cli(command):
            problems.append(f"{name}: `interrupt-bridge {' '.join(command)}` is not a CLI command")
        env = service.get("environment", {})
        for key, value in env.items():
            if key not in known:
                problems.append(f"{name}: {key} is not a setting")
            if key in secrets and "${" not in str(value):
                problems.append(f"{name}: {key} is written inline, not taken from the environment")
            if key == "DATABASE_URL" and not str(value).startswith("postgresql+psycopg://"):
                problems.append(f"{name}: DATABASE_URL is not PostgreSQL via psycopg")
        config = env.get("BRIDGE_CONFIG")
        targets = [str(v).split(":")[1] for v in service.get("volumes", [])]
        if config not in targets:
            problems.append(f"{name}: BRIDGE_CONFIG={config} is not a mounted file {targets}")
        if service.get("read_only") is not True:
            problems.append(f"{name}: root filesystem is writable")
        waits = service.get("depends_on", {})
        if waits.get("postgres", {}).get("condition") != "service_healthy":
            problems.append(f"{name}: does not wait for a healthy postgres")
        if name != "migrate" and waits.get("migrate", {}).get("condition") != (
            "service_completed_successfully"
        ):
            problems.append(f"{name}: does not wait for the migrations")
    if _command(services.get("migrate", {})) != ["migrate"]:
        problems.append("the migrate service does not run `interrupt-bridge migrate`")
    bridge = services.get("bridge", {})
    published = [str(p).rsplit(":", 1)[-1] for p in bridge.get("ports", [])]
    if published != [image_port] or bridge.get("environment", {}).get("BRIDGE_PORT") != image_port:
        problems.append(f"bridge: must listen on and publish the image's port {image_port}")
    if bridge.get("environment", {}).get("BRIDGE_HOST") != "0.0.0.0":  # noqa: S104
        problems.append("bridge: BRIDGE_HOST must be 0.0.0.0 inside a container")
    return problems


def test_compose_agrees_with_the_code() -> None:
    assert compose_problems(load_compose()) == []


def test_postgres_password_is_required_from_the_environment() -> None:
    text = cluster.COMPOSE.read_text(encoding="utf-8")
    assert "${POSTGRES_PASSWORD:?" in text
    assert re.search(r"^\s*POSTGRES_PASSWORD:\s*[^$\s]", text, re.MULTILINE) is None


Edit = Callable[[Compose], Any]
DRIFTS: dict[str, tuple[Edit, str]] = {
    "no healthcheck": (lambda c: c["services"]["postgres"].pop("healthcheck"), "postgres has no healthcheck"),
    "starts before migrations": (
        lambda c: c["services"]["bridge"]["depends_on"].pop("migrate"),
        "bridge: does not wait for the migrations",
    ),
    "plain depends_on": (
        lambda c: c["services"]["bridge"]["depends_on"].update(postgres={}),
        "bridge: does not wait for a healthy postgres",
    ),
    "inline token": (
        lambda c: c["services"]["bridge"]["environment"].update(SLACK_BOT_TOKEN="xoxb-1"),
        "SLACK_BOT_TOKEN is written inline",
    ),
    "unknown setting": (
        lambda c: c["services"]["worker"].setdefault("environment", {}).update(WORKERS="4"),
        "worker: WORKERS is not a setting",
    ),
    "template elsewhere": (
        lambda c: c["services"]["bridge"]["environment"].update(BRIDGE_CONFIG="/srv/bridge.yaml"),
        "bridge: BRIDGE_CONFIG=/srv/bridge.yaml is not a mounted file",
    ),
    "wrong command": (lambda c: c["services"]["migrate"].update(command=["upgrade"]), "is not a CLI command"),
    "other port": (
        lambda c: c["services"]["bridge"].update(ports=["8000:8080"]),
        "must listen on and publish",
    ),
}


@pytest.mark.parametrize("drift", DRIFTS)
def test_each_drift_is_caught(drift: str) -> None:
    edit, expected = DRIFTS[drift]
    compose = copy.deepcopy(load_compose())
    edit(compose)
    problems = compose_problems(compose)
    assert any(expected in problem for problem in problems), problems


def test_env_example_filled_in_for_jira_cloud_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """compose's env_file is a copy of .env.example: its empty lines (JIRA_PAT=, SLACK_APP_TOKEN=...)
    must mean "not set", not an empty secret that clashes with the one filled in."""
    for name in cluster.setting_names():
        monkeypatch.delenv(name, raising=False)
    text = (cluster.REPO / ".env.example").read_text(encoding="utf-8")
    text = text.replace("\nJIRA_EMAIL=\n", "\nJIRA_EMAIL=bridge@example.com\n")
    text = text.replace("\nJIRA_API_TOKEN=\n", "\nJIRA_API_TOKEN=cloud-token-123\n")
    env_file = tmp_path / ".env"
    env_file.write_text(text, encoding="utf-8")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.jira_pat is None
    assert settings.slack_app_token is None
    assert settings.jira_api_token is not None
    assert settings.otel_exporter_otlp_endpoint is None
