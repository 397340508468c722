"""`interrupt-bridge check`: a readable pass/fail list for the template, Slack and Jira."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.cli.commands import CliError, load_settings
from app.config.loader import TemplateError, load_template
from app.config.template import Template
from app.settings import Settings


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


def check() -> int:
    settings = load_settings()
    results: list[CheckResult] = []
    try:
        template = load_template(settings.bridge_config)
        results.append(
            CheckResult(f"workflow template {settings.bridge_config}", True, _template_summary(template))
        )
    except TemplateError as exc:
        results.append(CheckResult(f"workflow template {settings.bridge_config}", False, str(exc)))
        template = None
    if template is not None:
        if settings.slack_configured:
            results.extend(_guarded("Slack", lambda: check_slack(settings, template)))
        else:
            results.append(
                CheckResult("Slack", True, "skipped: no SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET (sandbox)")
            )
        if settings.jira_configured:
            results.extend(_guarded("Jira", lambda: check_jira(settings, template)))
        else:
            results.append(CheckResult("Jira", True, "skipped: no JIRA_URL and credentials (sandbox)"))
    for result in results:
        mark = "PASS" if result.ok else "FAIL"
        print(f"[{mark}] {result.name}" + (f"\n       {result.detail}" if result.detail else ""))
    failed = sum(not r.ok for r in results)
    print(f"\n{len(results) - failed} passed, {failed} failed")
    if failed:
        raise CliError("some checks failed")
    return 0


def _template_summary(template: Template) -> str:
    priorities = ", ".join(template.priorities)
    return f"{len(template.teams)} team(s), {len(template.buckets)} bucket(s), priorities {priorities}"


def _guarded(what: str, run: Callable[[], list[CheckResult]]) -> list[CheckResult]:
    try:
        return run()
    except Exception as exc:  # any client failure is one failed check, not a crash
        return [CheckResult(what, False, f"{type(exc).__name__}: {exc}")]


def check_slack(settings: Settings, template: Template) -> list[CheckResult]:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    assert settings.slack_bot_token is not None
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
    results: list[CheckResult] = []
    auth = client.auth_test()
    results.append(CheckResult("Slack auth.test", True, f"bot {auth.get('user')} in team {auth.get('team')}"))
    scopes = set((auth.headers.get("x-oauth-scopes") or auth.headers.get("X-OAuth-Scopes") or "").split(","))
    needed = {
        "reactions:read",
        "reactions:write",
        "channels:history",
        "chat:write",
        "users:read",
        "users:read.email",
    }
    if scopes != {""}:
        missing = sorted(needed - {s.strip() for s in scopes})
        results.append(
            CheckResult("Slack scopes", not missing, f"missing: {', '.join(missing)}" if missing else "")
        )
    for team in template.teams:
        for channel in team.channels:
            try:
                info = client.conversations_info(channel=channel)["channel"]
                member = bool(info.get("is_member"))
                detail = f"#{info.get('name')}" + ("" if member else ": the bot is not a member (invite it)")
                results.append(CheckResult(f"Slack channel {channel} ({team.key})", member, detail))
            except SlackApiError as exc:
                results.append(
                    CheckResult(
                        f"Slack channel {channel} ({team.key})", False, str(exc.response.get("error"))
                    )
                )
    return results


def check_jira(settings: Settings, template: Template) -> list[CheckResult]:
    from jira import JIRA, JIRAError

    assert settings.jira_url is not None
    if settings.jira_pat is not None:
        client = JIRA(
            server=settings.jira_url, token_auth=settings.jira_pat.get_secret_value(), max_retries=0
        )
    else:
        assert settings.jira_api_token is not None
        client = JIRA(
            server=settings.jira_url,
            basic_auth=(settings.jira_email or "", settings.jira_api_token.get_secret_value()),
            max_retries=0,
        )
    results = [
        CheckResult("Jira server", True, f"{client.deploymentType or 'Server'} at {settings.jira_url}")
    ]
    priorities = {p.name for p in client.priorities()}
    missing = [p for p in template.priorities if p not in priorities]
    results.append(
        CheckResult(
            "Jira priorities", not missing, f"unknown to Jira: {', '.join(missing)}" if missing else ""
        )
    )
    for team in template.teams:
        name = f"Jira project {team.jira.project} ({team.key})"
        try:
            issue_types = {t.name for t in client.project(team.jira.project).issueTypes}
        except JIRAError as exc:
            results.append(CheckResult(name, False, f"HTTP {exc.status_code}: {exc.text}"))
            continue
        ok = team.jira.issue_type in issue_types
        detail = "" if ok else f"issue type {team.jira.issue_type!r} not in {sorted(issue_types)}"
        results.append(CheckResult(name, ok, detail))
    return results
