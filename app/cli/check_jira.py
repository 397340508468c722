"""`interrupt-bridge check`, the Jira part: will Jira accept the tickets the template describes?

Everything is read as the bridge's own account, so it sees what the bridge will see:
- the server and the account (`serverInfo`, `myself`), and the template's priorities;
- per project, its permissions (`mypermissions`): CREATE_ISSUES and BROWSE_PROJECTS (the search for
  the exactly-once marker) are needed, ASSIGN_ISSUES too when a team there has a rotation;
  MODIFY_REPORTER is not: without it the bot reports and the description names the requester (WARN);
- per team, the create metadata of its issue type (`createmeta/{project}/issuetypes/{id}`, Jira
  8.4+ and Cloud): the fields the bridge sets (labels carry the exactly-once marker), the
  priorities the project's scheme offers, and every team and bucket `fields` key and bucket input
  `jira_field` (see `app.cli.check_jira_screen`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from app.cli.check import CheckResult, describe_error
from app.cli.check_jira_screen import Finding, bridge_findings, bucket_findings, field_label, report
from app.config.template import Bucket, Team, Template
from app.settings import Settings

# permission -> why the bridge needs it; a missing one FAILs (MODIFY_REPORTER only WARNs)
NEEDED_PERMISSIONS = {
    "CREATE_ISSUES": "cannot create issues",
    "BROWSE_PROJECTS": "cannot see the project's issues: the search for the exactly-once marker finds none",
}
ASSIGN_PERMISSION = "ASSIGN_ISSUES"
REPORTER_PERMISSION = "MODIFY_REPORTER"
_PAGE = 50
_MAX_PAGES = 100


def jira_client(settings: Settings) -> Any:
    """A `jira.JIRA` client for the configured site (no retries: a check reports, it does not insist)."""
    from jira import JIRA

    auth: dict[str, Any]
    if settings.jira_pat is not None:
        auth = {"token_auth": settings.jira_pat.get_secret_value()}
    else:
        token = settings.jira_api_token.get_secret_value() if settings.jira_api_token is not None else ""
        auth = {"basic_auth": (settings.jira_email or "", token)}
    return JIRA(server=settings.jira_url or "", max_retries=0, timeout=settings.jira_timeout_s, **auth)


def check_jira(settings: Settings, template: Template) -> list[CheckResult]:
    from jira import JIRAError

    try:
        jira = _Jira(jira_client(settings))
    except JIRAError as exc:
        hint = " (check JIRA_EMAIL and JIRA_API_TOKEN, or JIRA_PAT)" if exc.status_code in (401, 403) else ""
        return [CheckResult("Jira server", False, describe_error(exc) + hint)]
    results = [CheckResult("Jira server", True, jira.describe(settings.jira_url or ""))]
    known = jira.priorities()
    results.append(_priorities(template, known))
    no_reporter: set[str] = set()
    for project in sorted({team.jira.project for team in template.teams}):
        teams = [t for t in template.teams if t.jira.project == project]
        try:
            held = jira.permissions(project, _wanted_permissions(teams))
        except JIRAError as exc:
            results.append(CheckResult(f"Jira permissions in {project}", False, describe_error(exc)))
            continue
        if not held.get(REPORTER_PERMISSION, True):
            no_reporter.add(project)
        holds = "holds " + ", ".join(k for k, v in held.items() if v)
        results.extend(report(f"Jira permissions in {project}", _permission_findings(teams, held), holds))
    for team in template.teams:
        # Priorities Jira lacks altogether are reported once above, not again for each project.
        priorities = [p for p in template.priorities if p in known]
        reporter_known = team.jira.project not in no_reporter
        results.extend(_team(jira, template, team, priorities=priorities, reporter_known=reporter_known))
    return results


def _wanted_permissions(teams: list[Team]) -> list[str]:
    wanted = [*NEEDED_PERMISSIONS, REPORTER_PERMISSION]
    return wanted + ([ASSIGN_PERMISSION] if any(t.rotation is not None for t in teams) else [])


def _permission_findings(teams: list[Team], held: dict[str, bool]) -> list[Finding]:
    findings = [Finding("fail", f"{k}: {why}") for k, why in NEEDED_PERMISSIONS.items() if not held.get(k)]
    if ASSIGN_PERMISSION in held and not held[ASSIGN_PERMISSION]:
        rotating = ", ".join(t.key for t in teams if t.rotation is not None)
        findings.append(
            Finding("fail", f"{ASSIGN_PERMISSION}: cannot assign tickets to the person on call ({rotating})")
        )
    if not held.get(REPORTER_PERMISSION, True):
        findings.append(
            Finding(
                "warn",
                f"{REPORTER_PERMISSION}: the bridge cannot make the requester the reporter; "
                "the bot reports and the description names the requester",
            )
        )
    return findings


def _priorities(template: Template, known: list[str]) -> CheckResult:
    missing = [p for p in template.priorities if p not in known]
    if missing:
        detail = f"unknown to Jira: {', '.join(missing)}\nJira has: {', '.join(known)}"
        return CheckResult("Jira priorities", False, detail)
    return CheckResult("Jira priorities", True, ", ".join(template.priorities))


def _team(
    jira: _Jira, template: Template, team: Team, *, priorities: list[str], reporter_known: bool
) -> list[CheckResult]:
    from jira import JIRAError

    where = f"{team.jira.project} / {team.jira.issue_type}"
    name = f"Jira {where} (team {team.key})"
    try:
        types = jira.issue_types(team.jira.project)
        wanted = next((t for t in types if t.get("name") == team.jira.issue_type), None)
        if wanted is None:
            creatable = ", ".join(str(t.get("name")) for t in types) or "none"
            detail = f"issue type {team.jira.issue_type!r} cannot be created in {team.jira.project}"
            return [CheckResult(name, False, f"{detail}; creatable: {creatable}")]
        screen = jira.create_fields(team.jira.project, str(wanted["id"]))
    except JIRAError as exc:
        return [CheckResult(name, False, describe_error(exc))]
    except _NoCreateMeta as exc:
        return [CheckResult.warning(name, f"{exc}: the create screen is not checked")]
    names = jira.field_names()
    findings = bridge_findings(
        template, team, screen, names, priorities=priorities, reporter_known=reporter_known
    )
    setting = ", ".join(
        f for f in ("summary", "description", "labels", "priority", "reporter") if f in screen
    )
    results = report(name, findings, f"the bridge can set {setting}")
    for bucket in template.buckets:
        results.extend(_bucket(bucket, team, where, screen, names))
    return results


def _bucket(
    bucket: Bucket, team: Team, where: str, screen: dict[str, dict[str, Any]], names: dict[str, str]
) -> list[CheckResult]:
    findings = bucket_findings(bucket, screen, names)
    if not findings and not bucket.inputs and not bucket.fields:
        return []  # nothing of its own to report: the team's line covers it
    mapped = [f"input {i.key} -> {field_label(i.jira_field, names)}" for i in bucket.inputs]
    mapped += [f"{f} = {v!r}" for f, v in bucket.fields.items()]
    return report(f"Jira bucket {bucket.key} in {where} (team {team.key})", findings, "\n".join(mapped))


class _NoCreateMeta(Exception):
    """This Jira has no per-issue-type create metadata (Data Center before 8.4)."""


class _Jira:
    """The reads the checks need, cached, on one `jira.JIRA` client; Cloud and Data Center alike."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._screens: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._types: dict[str, list[dict[str, Any]]] = {}
        self._names: dict[str, str] | None = None

    def describe(self, url: str) -> str:
        me = self.client.myself()
        who = me.get("displayName") or me.get("name") or "?"
        account = me.get("emailAddress") or me.get("name") or me.get("accountId") or ""
        version = ".".join(str(n) for n in self.client._version)
        kind = "Cloud" if self.client._is_cloud else "Data Center"
        return f"{kind} {version} at {url}, signed in as {who}" + (f" ({account})" if account else "")

    def priorities(self) -> list[str]:
        return [str(p.name) for p in self.client.priorities()]

    def field_names(self) -> dict[str, str]:
        if self._names is None:
            self._names = {str(f["id"]): str(f.get("name", f["id"])) for f in self.client.fields()}
        return self._names

    def permissions(self, project: str, keys: Sequence[str]) -> dict[str, bool]:
        """Which of `keys` the account holds in `project` (a key Jira does not answer for is absent)."""
        answer = self.client.my_permissions(projectKey=project, permissions=",".join(keys))
        granted = answer.get("permissions") or {}
        return {k: bool((granted.get(k) or {}).get("havePermission")) for k in keys if k in granted}

    def issue_types(self, project: str) -> list[dict[str, Any]]:
        if project not in self._types:
            self._types[project] = self._pages(
                f"issue/createmeta/{project}/issuetypes",
                "issueTypes",
                lambda start: self.client.createmeta_issuetypes(project, startAt=start, maxResults=_PAGE),
            )
        return self._types[project]

    def create_fields(self, project: str, type_id: str) -> dict[str, dict[str, Any]]:
        """The create screen of an issue type: field id -> its metadata (required, schema, allowedValues)."""
        if (project, type_id) not in self._screens:
            listed = self._pages(
                f"issue/createmeta/{project}/issuetypes/{type_id}",
                "fields",
                lambda start: self.client.createmeta_fieldtypes(
                    project, type_id, startAt=start, maxResults=_PAGE
                ),
            )
            self._screens[project, type_id] = {str(f.get("fieldId") or f.get("key")): f for f in listed}
        return self._screens[project, type_id]

    def _pages(
        self, path: str, cloud_key: str, data_center: Callable[[int], dict[str, Any]]
    ) -> list[dict[str, Any]]:
        cloud = bool(self.client._is_cloud)
        if not cloud and tuple(self.client._version) < (8, 4, 0):
            raise _NoCreateMeta(f"Jira {'.'.join(map(str, self.client._version))} predates 8.4")
        items: list[dict[str, Any]] = []
        for _ in range(_MAX_PAGES):
            with warnings.catch_warnings():
                # Deprecated in the `jira` package in favour of project_issue_types/_fields, which
                # wrap every item in a Resource; the REST endpoints themselves are current.
                warnings.simplefilter("ignore", DeprecationWarning)
                if cloud:
                    # The package keeps these two methods to Data Center, but Cloud has had the
                    # same endpoints since 2023 (paged under issueTypes / fields, not values).
                    params = {"startAt": len(items), "maxResults": _PAGE}
                    page = self.client._get_json(path, params=params)
                else:
                    page = data_center(len(items))
            got = page.get(cloud_key) if cloud else page.get("values")
            items.extend(g for g in got or [] if isinstance(g, dict))
            if not got or page.get("isLast") or len(items) >= int(page.get("total", len(items))):
                break
        return items
