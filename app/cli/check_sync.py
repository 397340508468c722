"""`interrupt-bridge check`, the SLA and sync part: what can be verified of the Jira webhook and the SLA.

- the webhook secret is set (without it `POST /jira/webhook` refuses everything);
- the template's SLA targets name known priorities and its triage channels known teams;
- with Jira credentials: a webhook points at `/jira/webhook` with the events the bridge needs (listing
  webhooks needs a Jira administrator; without that right the check says so and passes), and the
  bridge's account may add, edit and delete its comments in each team's project.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.cli.check import CheckResult
from app.config.sla import policy_of
from app.config.template import Template
from app.settings import Settings

WEBHOOK_PATH = "/jira/webhook"
NEEDED_EVENTS = ("jira:issue_updated", "comment_created", "comment_updated", "comment_deleted")
COMMENT_PERMISSIONS = ("ADD_COMMENTS", "EDIT_OWN_COMMENTS", "DELETE_OWN_COMMENTS")
_MIN_SECRET = 16


def check_sync(
    settings: Settings, template: Template, jira: Callable[[], Any] | None = None
) -> list[CheckResult]:
    """The checks; `jira` makes a `jira.JIRA` client (None skips the Jira checks)."""
    results = [secret_check(settings), sla_check(template)]
    if jira is None:
        results.append(CheckResult("Jira webhook", True, "skipped: no Jira credentials (sandbox)"))
        return results
    try:
        client = jira()
        results.append(webhook_check(_list_webhooks(client)))
        results.extend(permission_checks(client, template))
    except Exception as exc:  # any client failure is one failed check, not a crash
        results.append(CheckResult("Jira webhook", False, f"{type(exc).__name__}: {exc}"))
    return results


def secret_check(settings: Settings) -> CheckResult:
    name = "JIRA_WEBHOOK_SECRET"
    if not settings.jira_configured:
        return CheckResult(name, True, "skipped: the sandbox's Jira sends no webhooks")
    if settings.jira_webhook_secret is None or not settings.jira_webhook_secret.get_secret_value():
        return CheckResult(
            name, False, "not set: POST /jira/webhook refuses every delivery (Jira -> Slack is off)"
        )
    if len(settings.jira_webhook_secret.get_secret_value()) < _MIN_SECRET:
        return CheckResult(name, False, f"shorter than {_MIN_SECRET} characters; use Jira's generated secret")
    return CheckResult(name, True, "set")


def sla_check(template: Template) -> CheckResult:
    policy = policy_of(template)
    problems = policy.problems(priorities=template.priorities, team_keys=[t.key for t in template.teams])
    if problems:
        return CheckResult("SLA targets", False, "; ".join(problems))
    if not policy.targets:
        return CheckResult("SLA targets", True, "none configured: no SLA clocks or reminders")
    return CheckResult("SLA targets", True, ", ".join(f"{p}" for p in policy.targets))


def webhook_check(webhooks: Sequence[dict[str, Any]] | None) -> CheckResult:
    """Whether one of Jira's admin webhooks calls the bridge with the events it needs (None: cannot tell)."""
    name = "Jira webhook"
    if webhooks is None:
        return CheckResult.warning(
            name, "cannot list webhooks (needs a Jira administrator): check it by hand"
        )
    ours = [w for w in webhooks if str(w.get("url", "")).rstrip("/").endswith(WEBHOOK_PATH)]
    if not ours:
        return CheckResult(
            name, False, f"no webhook calls {WEBHOOK_PATH}; see the README's Jira webhook setup"
        )
    for hook in ours:
        events = set(hook.get("events") or [])
        missing = [e for e in NEEDED_EVENTS if e not in events]
        if not missing and hook.get("enabled", True) and not hook.get("excludeBody", False):
            return CheckResult(name, True, f"{hook.get('name') or hook.get('url')}")
    hook = ours[0]
    missing = [e for e in NEEDED_EVENTS if e not in set(hook.get("events") or [])]
    detail = [f"missing events {', '.join(missing)}"] if missing else []
    detail += ["disabled"] if not hook.get("enabled", True) else []
    detail += ["sends no body (untick 'Exclude body')"] if hook.get("excludeBody", False) else []
    return CheckResult(name, False, "; ".join(detail))


def permission_checks(client: Any, template: Template) -> list[CheckResult]:
    results: list[CheckResult] = []
    for project in sorted({team.jira.project for team in template.teams}):
        granted = client.my_permissions(projectKey=project, permissions=",".join(COMMENT_PERMISSIONS))
        held = granted.get("permissions") or {}
        missing = [p for p in COMMENT_PERMISSIONS if not (held.get(p) or {}).get("havePermission")]
        detail = f"the bridge's account lacks {', '.join(missing)}" if missing else ""
        results.append(CheckResult(f"Jira comments in {project}", not missing, detail))
    return results


def _list_webhooks(client: Any) -> list[dict[str, Any]] | None:
    from jira import JIRAError

    try:
        response = client._session.get(client.server_url + "/rest/webhooks/1.0/webhook")
    except JIRAError as exc:
        if exc.status_code in (401, 403, 404):
            return None
        raise
    found = response.json()
    return [w for w in found if isinstance(w, dict)] if isinstance(found, list) else None
