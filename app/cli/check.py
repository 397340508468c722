"""`interrupt-bridge check`: a readable PASS / WARN / FAIL / SKIP list for the template, Slack and Jira.

The Jira checks live in `app.cli.check_jira`, the webhook and SLA ones in `app.cli.check_sync`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.cli.commands import CliError, load_settings
from app.config.faq_source import load_faq_entries
from app.config.loader import TemplateError, load_template
from app.config.template import Template
from app.settings import Settings

Status = Literal["PASS", "WARN", "FAIL", "SKIP"]

CHECK_HELP = "validate the workflow template and, with credentials, check it against Slack and Jira"
CHECK_EPILOG = """\
every line is one check:
  PASS  verified.
  WARN  works, in a way the bridge falls back to: e.g. without Jira's Modify Reporter permission
        the bot is the reporter and the description names the requester. Fix it when you can.
  FAIL  something the template or the bridge needs is missing or wrong: tickets would not be
        created, or not as the template says.
  SKIP  not checked: no credentials for that side (the sandbox).

Slack is checked with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (auth, scopes, channel membership).
Jira is checked with JIRA_URL and JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center),
as the bridge's own account: priorities; in each team's project the permissions CREATE_ISSUES,
BROWSE_PROJECTS, ASSIGN_ISSUES (teams with a rotation) and MODIFY_REPORTER; on the create screen of
the team's issue type the fields the bridge sets (labels included: they carry the exactly-once
marker), every team and bucket `fields` key and bucket input `jira_field`, each select option
among the field's allowed values, each input's jira_shape against the field's type, and no
required field that nothing fills; plus the Jira webhook and its secret.

exit status: 0 when no check FAILed (WARN and SKIP lines allowed), 2 when any check FAILed or the
configuration itself is invalid."""


@dataclass(frozen=True)
class CheckResult:
    """One line of the report.

    `ok=False` is a FAIL and makes the run exit 2. `warn=True` on a passing result is a WARN. A
    passing result whose detail starts with "skipped:" is shown as SKIP (see `skipped`).
    """

    name: str
    ok: bool
    detail: str = ""
    warn: bool = False

    @classmethod
    def warning(cls, name: str, detail: str) -> CheckResult:
        return cls(name, True, detail, warn=True)

    @classmethod
    def skipped(cls, name: str, why: str) -> CheckResult:
        return cls(name, True, f"skipped: {why}")

    @property
    def status(self) -> Status:
        if not self.ok:
            return "FAIL"
        if self.warn:
            return "WARN"
        return "SKIP" if self.detail.startswith("skipped:") else "PASS"


def add_check_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    return subparsers.add_parser(
        "check",
        help=CHECK_HELP,
        description=CHECK_HELP[0].upper() + CHECK_HELP[1:] + ".",
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def check() -> int:
    settings = load_settings()
    results = run_checks(settings)
    print_report(results)
    failed = sum(r.status == "FAIL" for r in results)
    if failed:
        raise CliError(f"{failed} check{'s' if failed > 1 else ''} failed")
    return 0


def run_checks(settings: Settings) -> list[CheckResult]:
    name = f"workflow template {settings.bridge_config}"
    try:
        template = load_template(settings.bridge_config)
    except TemplateError as exc:
        return [CheckResult(name, False, str(exc))]
    results = [CheckResult(name, True, _template_summary(template)), faq_check(settings, template)]
    if settings.slack_configured:
        results.extend(_guarded("Slack", lambda: check_slack(settings, template)))
    else:
        results.append(CheckResult.skipped("Slack", "no SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET (sandbox)"))
    # Imported here: both pull in the `jira` package, which the rest of the CLI does not need.
    from app.cli.check_jira import check_jira, jira_client
    from app.cli.check_sync import check_sync

    if settings.jira_configured:
        results.extend(_guarded("Jira", lambda: check_jira(settings, template)))
    else:
        results.append(CheckResult.skipped("Jira", "no JIRA_URL and credentials (sandbox)"))
    jira = (lambda: jira_client(settings)) if settings.jira_configured else None
    results.extend(check_sync(settings, template, jira))
    return results


def faq_check(settings: Settings, template: Template) -> CheckResult:
    """The FAQ's entries (inline and from `faq.file`) load and name known teams and buckets."""
    try:
        entries = load_faq_entries(settings.bridge_config, template)
    except TemplateError as exc:
        return CheckResult("FAQ", False, str(exc))
    detail = (
        f"{len(entries)} entries, threshold {template.faq.threshold}, "
        f"{len(template.playbooks)} playbook(s), candidate emoji :{template.faq.candidate_emoji}:"
    )
    return CheckResult("FAQ", True, detail)


def print_report(results: list[CheckResult]) -> None:
    for result in results:
        print(f"[{result.status}] {result.name}")
        for line in result.detail.splitlines():
            print(f"       {line}")
    counts = {s: sum(r.status == s for r in results) for s in ("PASS", "WARN", "FAIL", "SKIP")}
    print(
        f"\n{counts['PASS']} passed, {counts['WARN']} warning{'s' * (counts['WARN'] != 1)}, "
        f"{counts['FAIL']} failed, {counts['SKIP']} skipped"
    )


def describe_error(exc: BaseException) -> str:
    """One readable line for a client failure (a JIRAError's str() is a page of headers)."""
    status = getattr(exc, "status_code", None)
    if status is not None:
        text = " ".join(str(getattr(exc, "text", "") or "").split())
        return f"HTTP {status}: {text or 'no message'}"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first[:300]}"


def _template_summary(template: Template) -> str:
    priorities = ", ".join(template.priorities)
    return f"{len(template.teams)} team(s), {len(template.buckets)} bucket(s), priorities {priorities}"


def _guarded(what: str, run: Callable[[], list[CheckResult]]) -> list[CheckResult]:
    try:
        return run()
    except Exception as exc:  # any client failure is one failed check, not a crash
        return [CheckResult(what, False, describe_error(exc))]


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
