"""The Dockerfile, .env.example and CI script agree with the code (no Docker engine here)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from app.settings import Settings

REPO = Path(__file__).resolve().parents[2]
EXTRA_ENV = {"BRIDGE_HOST", "BRIDGE_PORT"}  # read by the CLI, not Settings


def setting_names() -> set[str]:
    return {field.alias for field in Settings.model_fields.values() if field.alias} | EXTRA_ENV


def dockerfile() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_dockerfile_runs_as_non_root_with_a_healthcheck_on_a_real_route() -> None:
    instructions = dockerfile()
    final_stage = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    users = [arg for op, arg in final_stage if op == "USER"]
    assert users
    assert not users[-1].startswith(("root", "0"))
    [health] = [arg for op, arg in final_stage if op == "HEALTHCHECK"]
    assert "/healthz" in health
    assert '@app.get("/healthz")' in (REPO / "app" / "main.py").read_text()


def test_dockerfile_env_copy_and_ports_agree_with_the_code() -> None:
    instructions = dockerfile()
    env: dict[str, str] = {}
    for op, arg in instructions:
        if op == "ENV":
            for pair in shlex.split(arg):
                key, _, value = pair.partition("=")
                env[key] = value
    app_env = {k for k in env if not k.startswith(("PYTHON", "PIP_", "PATH"))}
    assert app_env <= setting_names(), f"unknown settings in Dockerfile: {app_env - setting_names()}"
    [exposed] = [arg for op, arg in instructions if op == "EXPOSE"]
    assert exposed == env["BRIDGE_PORT"]
    copies = [shlex.split(arg) for op, arg in instructions if op == "COPY" and "--from" not in arg]
    for *sources, _dest in copies:
        for source in sources:
            assert (REPO / source).exists(), f"COPY source {source} does not exist"
    assert any(dest == env["BRIDGE_CONFIG"] for *_, dest in copies), (
        "BRIDGE_CONFIG must point at a copied template"
    )
    assert (REPO / "app" / "cli" / "main.py").exists()
    assert any(op == "ENTRYPOINT" and "interrupt-bridge" in arg for op, arg in instructions)


def test_env_example_names_only_real_settings_and_holds_no_secrets() -> None:
    names = set()
    for line in (REPO / ".env.example").read_text().splitlines():
        match = re.match(r"^([A-Z0-9_]+)=(.*)$", line)
        if match:
            names.add(match.group(1))
            if match.group(1) in {
                "SLACK_SIGNING_SECRET",
                "SLACK_BOT_TOKEN",
                "SLACK_APP_TOKEN",
                "JIRA_API_TOKEN",
                "JIRA_PAT",
            }:
                assert match.group(2) == "", f"{match.group(1)} must be empty in .env.example"
    assert names <= setting_names(), f"unknown settings: {names - setting_names()}"
    assert setting_names() - names == set(), f"settings missing from .env.example: {setting_names() - names}"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "./scripts/test" in readme
    assert "./scripts/test" in ci
    assert "./scripts/serve" in readme.split("## ", 1)[0], "the run command must lead the README"
