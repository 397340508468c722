"""In-memory state of the fake Jira: projects, users, workflow, issues and what hangs off them.

No HTTP here: `app.sandbox.fake_jira` parses requests, calls these methods under its lock and
renders the results with `app.sandbox.jira_render`. Validation of issue fields lives in
`app.sandbox.jira_fields`; errors are raised as `JiraApiError`, which carries Jira's own
error envelope.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from app.sandbox import jql
from app.sandbox.jira_models import (
    DEFAULT_PRIORITIES,
    DEFAULT_RESOLUTIONS,
    DEFAULT_SECURITY_LEVELS,
    DONE,
    IN_PROGRESS,
    STATUS_CATEGORIES,
    TO_DO,
    Comment,
    CustomField,
    Deployment,
    Filter,
    Issue,
    IssueType,
    JiraApiError,
    Priority,
    Project,
    RemoteLink,
    Resolution,
    Status,
    Transition,
    User,
)


@functools.lru_cache(maxsize=8192)
def _term(*names: str | None, order: Any = None) -> jql.Term:
    # Projects, statuses, users and labels repeat across issues: building their terms once keeps
    # the first search over tens of thousands of bulk issues fast.
    return jql.Term.of(*names, order=order)


class JiraState:
    """Everything the fake knows. Not thread-safe by itself: callers hold the fake's lock."""

    def __init__(self, deployment: Deployment, clock: Callable[[], datetime] | None = None) -> None:
        self.deployment: Deployment = deployment
        self.clock = clock or (lambda: datetime.now(UTC))
        self.users: list[User] = []
        self.projects: dict[str, Project] = {}
        self.issue_types: dict[str, IssueType] = {}
        self.priorities: list[Priority] = list(DEFAULT_PRIORITIES)
        self.default_priority = self.priorities[2]
        self.statuses: list[Status] = [TO_DO, IN_PROGRESS, DONE]
        self.transitions: list[Transition] = [
            Transition("11", "To Do", TO_DO),
            Transition("21", "In Progress", IN_PROGRESS),
            Transition("31", "Done", DONE),
        ]
        self.resolutions: list[Resolution] = list(DEFAULT_RESOLUTIONS)
        self.security_levels = list(DEFAULT_SECURITY_LEVELS)  # one issue security scheme for every project
        self.custom_fields: dict[str, CustomField] = {}
        # (permission key, project key or None for every project) that no caller holds
        self.denied_permissions: set[tuple[str, str | None]] = set()
        self.issues: dict[int, Issue] = {}
        self.issues_by_key: dict[str, Issue] = {}
        self.filters: dict[int, Filter] = {}
        self._next_issue_id = 10001
        self._next_project_id = 10000
        self._next_comment_id = 10000
        self._next_link_id = 10000
        self._next_filter_id = 10000
        # Bumped by every change to issues: a search result cached for the next pages of the same
        # query stays valid only while nothing changed (paging 100k issues must not re-run it 1,000 times).
        self.version = 0
        self._page_cache: dict[tuple[str, str | None], tuple[int, list[Issue]]] = {}

    @property
    def is_cloud(self) -> bool:
        return self.deployment == "cloud"

    # -- catalogue -----------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        display_name: str,
        email: str,
        *,
        active: bool = True,
        account_type: str = "atlassian",
    ) -> User:
        account_id = f"712020:{uuid.uuid5(uuid.NAMESPACE_URL, 'mailto:' + email)}"
        key = f"JIRAUSER{10100 + len(self.users)}"
        user = User(account_id, name, key, display_name, email, active, account_type)
        self.users.append(user)
        return user

    def issue_type(self, name: str) -> IssueType:
        if name not in self.issue_types:
            type_id = str(10001 + len(self.issue_types))
            self.issue_types[name] = IssueType(type_id, name, f"Issues of type {name}.")
        return self.issue_types[name]

    def add_project(
        self, key: str, name: str, issue_types: Iterable[str] = ("Task", "Bug"), lead: User | None = None
    ) -> Project:
        project = Project(
            str(self._next_project_id), key, name, [self.issue_type(n) for n in issue_types], lead
        )
        self._next_project_id += 1
        self.projects[key] = project
        return project

    def add_custom_field(
        self, number: int, name: str, kind: str = "string", options: Iterable[str] = ()
    ) -> CustomField:
        custom = CustomField(f"customfield_{number}", name, kind, tuple(options))
        self.custom_fields[custom.id] = custom
        return custom

    def off_screen(self, project: Project) -> set[str]:
        """Fields a create in `project` cannot set; like Jira, the reporter without Modify Reporter."""
        reporter = set() if self.permitted("MODIFY_REPORTER", project) else {"reporter"}
        return project.off_screen | reporter

    def permitted(self, permission: str, project: Project | None) -> bool:
        """Whether the bridge's account holds a project permission (every one unless denied)."""
        denied = self.denied_permissions
        return (permission, None) not in denied and (
            project is None or (permission, project.key) not in denied
        )

    def jql_custom_fields(self) -> dict[str, tuple[str, str]]:
        names: dict[str, tuple[str, str]] = {}
        for custom in self.custom_fields.values():
            names[f"cf[{custom.number}]"] = (custom.id, "text")
            names[custom.name.lower()] = (custom.id, "text")
        return names

    # -- lookups -------------------------------------------------------------------------------
    def project(self, id_or_key: str) -> Project | None:
        wanted = str(id_or_key)
        return next((p for p in self.projects.values() if wanted in (p.key, p.id)), None)

    def require_issue(self, id_or_key: str) -> Issue:
        issue = self.issues_by_key.get(id_or_key.upper())
        if issue is None and id_or_key.isdigit():
            issue = self.issues.get(int(id_or_key))
        if issue is None:
            raise JiraApiError(404, ["Issue does not exist or you do not have permission to see it."])
        return issue

    def user_by_identifier(self, ident: str | None) -> User | None:
        """The user a deployment-specific identifier names (Cloud: accountId; DC: name or key)."""
        if ident is None:
            return None
        if self.is_cloud:
            return next((u for u in self.users if u.account_id == ident), None)
        return next((u for u in self.users if ident in (u.name, u.key)), None)

    def user_from_ref(self, ref: Any) -> User | None:
        """Resolve a user object as sent in issue fields: `{"accountId"|"id"}` or `{"name"|"key"}`."""
        if not isinstance(ref, dict):
            return None
        keys = ("accountId", "id") if self.is_cloud else ("name", "key")
        for key in keys:
            if isinstance(ref.get(key), str):
                return self.user_by_identifier(ref[key])
        return None

    def user_term(self, user: User | None) -> jql.Term | None:
        if user is None:
            return None
        if self.is_cloud:  # Cloud JQL knows users by accountId only (no usernames since GDPR)
            return _term(user.account_id, order=user.display_name.lower())
        return _term(user.name, user.key, user.email, user.display_name, order=user.display_name.lower())

    def search_users(self, text: str, *, include_inactive: bool = False) -> list[User]:
        """Prefix match on display name, e-mail and (DC) username; Cloud also matches an accountId."""
        needle = text.lower().strip()
        found = []
        for user in self.users:
            if not user.active and not include_inactive:
                continue
            names = [user.display_name, user.email]
            names += [user.account_id] if self.is_cloud else [user.name]
            words = [w for n in names for w in n.lower().split()]
            if any(n.lower().startswith(needle) for n in names) or needle in words:
                found.append(user)
        return found

    # -- issues --------------------------------------------------------------------------------
    def new_issue(
        self, project: Project, issue_type: IssueType, summary: str, reporter: User | None
    ) -> Issue:
        now = self.clock()
        issue = Issue(
            id=self._next_issue_id,
            key=f"{project.key}-{project.next_number}",
            project=project,
            issue_type=issue_type,
            summary=summary,
            status=TO_DO,
            created=now,
            updated=now,
            reporter=reporter,
            creator=reporter,
            priority=self.default_priority,
        )
        self._next_issue_id += 1
        self.version += 1
        project.next_number += 1
        self.issues[issue.id] = issue
        self.issues_by_key[issue.key] = issue
        return issue

    def touch(self, issue: Issue) -> None:
        issue.updated = self.clock()
        issue.record_cache = None
        self.version += 1

    def remove_issue(self, issue: Issue) -> None:
        del self.issues[issue.id]
        del self.issues_by_key[issue.key]
        self.version += 1

    def bulk_add_issues(
        self,
        count: int,
        project: Project,
        *,
        issue_type: IssueType,
        reporter: User | None,
        labels: Iterable[str] = (),
        summary: str = "Bulk issue {n}",
        start: datetime | None = None,
        step: timedelta = timedelta(minutes=1),
        done_every: int = 0,
    ) -> list[Issue]:
        """Add issues without validation, `created` spaced by `step` from `start` (benchmarks)."""
        first = start or self.clock() - step * count
        made = []
        for n in range(count):
            issue = self.new_issue(project, issue_type, summary.format(n=n + 1), reporter)
            issue.labels = list(labels)
            issue.created = issue.updated = first + step * n
            if done_every and (n + 1) % done_every == 0:
                issue.status, issue.resolution, issue.resolutiondate = (
                    DONE,
                    self.resolutions[0],
                    issue.created,
                )
            made.append(issue)
        self.version += 1
        return made

    def add_comment(self, issue: Issue, body: str, author: User) -> Comment:
        now = self.clock()
        comment = Comment(self._next_comment_id, author, body, now, now, author)
        self._next_comment_id += 1
        issue.comments.append(comment)
        self.touch(issue)
        return comment

    def comment(self, issue: Issue, comment_id: str) -> Comment:
        found = next((c for c in issue.comments if str(c.id) == comment_id), None)
        if found is None:
            raise JiraApiError(404, [f"Can not find a comment for the id: {comment_id}."])
        return found

    def upsert_remote_link(self, issue: Issue, body: dict[str, Any]) -> tuple[RemoteLink, bool]:
        """Jira semantics: a POST whose globalId already exists on the issue updates that link."""
        global_id = body.get("globalId")
        existing = next((r for r in issue.remote_links if global_id and r.global_id == global_id), None)
        if existing is not None:
            existing.object = dict(body["object"])
            existing.application = body.get("application")
            existing.relationship = body.get("relationship")
            self.touch(issue)
            return existing, False
        link = RemoteLink(
            self._next_link_id,
            global_id,
            dict(body["object"]),
            body.get("application"),
            body.get("relationship"),
        )
        self._next_link_id += 1
        issue.remote_links.append(link)
        self.touch(issue)
        return link, True

    def transition(self, issue: Issue, transition: Transition, resolution: Resolution | None) -> None:
        issue.status = transition.to
        if transition.to.category == "done":
            issue.resolution = resolution or self.resolutions[0]
            issue.resolutiondate = self.clock()
        else:
            issue.resolution = None
            issue.resolutiondate = None
        self.touch(issue)

    def available_transitions(self, issue: Issue) -> list[Transition]:
        return [t for t in self.transitions if t.to != issue.status]

    # -- filters -------------------------------------------------------------------------------
    def save_filter(self, existing: Filter | None, body: dict[str, Any], owner: User) -> Filter:
        name = body.get("name", existing.name if existing else None)
        errors: dict[str, str] = {}
        if not isinstance(name, str) or not name.strip():
            errors["filterName"] = "You must specify a name to save this filter as."
        elif any(f.name == name and f.owner is owner and f is not existing for f in self.filters.values()):
            errors["filterName"] = "Filter with same name already exists."
        query = body.get("jql", existing.jql if existing else "")
        try:
            self.parse_jql(str(query or ""))
        except JiraApiError as exc:
            errors["jql"] = " ".join(exc.messages)
        if errors:
            raise JiraApiError(400, errors=errors)
        assert isinstance(name, str)
        saved = existing or Filter(self._next_filter_id, name, str(query or ""), owner)
        if existing is None:
            self._next_filter_id += 1
            self.filters[saved.id] = saved
        saved.name, saved.jql = name, str(query or "")
        if "description" in body:
            saved.description = body["description"]
        if "favourite" in body:
            saved.favourite = bool(body["favourite"])
        return saved

    # -- search --------------------------------------------------------------------------------
    def parse_jql(self, text: str) -> jql.Query:
        try:
            query = jql.parse(text, custom_fields=self.jql_custom_fields())
        except jql.JqlError as exc:
            raise JiraApiError(400, [str(exc)]) from None
        problems = [p for c in jql.clauses(query.where) for p in self._unknown_values(c)]
        if problems:
            raise JiraApiError(400, problems)
        return query

    def _unknown_values(self, clause: jql.Clause) -> list[str]:
        known = self._known_values(clause.field)
        if known is None:
            return []
        return [
            f"The value '{v}' does not exist for the field '{clause.name}'."
            for v in clause.values
            if isinstance(v, str) and v.lower() not in known
        ]

    def _known_values(self, name: str) -> set[str] | None:
        if name == "project":
            return {n.lower() for p in self.projects.values() for n in (p.key, p.id, p.name)}
        if name == "status":
            return {n.lower() for s in self.statuses for n in (s.name, s.id)}
        if name == "statusCategory":
            return {str(n).lower() for k, c in STATUS_CATEGORIES.items() for n in (k, c[0], c[1])}
        if name == "priority":
            return {n.lower() for p in self.priorities for n in (p.name, p.id)}
        if name == "issuetype":
            return {n.lower() for t in self.issue_types.values() for n in (t.name, t.id)}
        if name == "resolution":
            return {n.lower() for r in self.resolutions for n in (r.name, r.id)} | {"unresolved"}
        if name in ("assignee", "reporter"):
            return {n for u in self.users if (t := self.user_term(u)) for n in t.names}
        return None

    def search_page_source(
        self, text: str, query: jql.Query, current_user: User | None, *, first_page: bool
    ) -> list[Issue]:
        """The hits a page is cut from: searched afresh for a first page, reused for the next ones
        while no issue changed (so every page of one query is cut from the same result)."""
        key = (text, current_user.key if current_user is not None else None)
        cached = self._page_cache.get(key)
        if not first_page and cached is not None and cached[0] == self.version:
            return cached[1]
        hits = self.search(query, current_user)
        if len(self._page_cache) >= 8:
            self._page_cache.pop(next(iter(self._page_cache)))
        self._page_cache[key] = (self.version, hits)
        return hits

    def search(self, query: jql.Query, current_user: User | None) -> list[Issue]:
        ctx = jql.EvalContext(now=self.clock(), current_user=self.user_term(current_user))
        ordered = sorted(self.issues.values(), key=lambda i: i.id)
        hits = [i for i in ordered if jql.matches(query.where, self.record(i), ctx)]
        return jql.sort_records(hits, query.order_by, self.record)

    def record(self, issue: Issue) -> dict[str, jql.FieldValue]:
        if issue.record_cache is None:
            issue.record_cache = self._build_record(issue)
        return issue.record_cache

    def _build_record(self, issue: Issue) -> dict[str, jql.FieldValue]:
        category_id, category_name, _ = STATUS_CATEGORIES[issue.status.category]
        comments = "\n".join(c.body for c in issue.comments)
        custom_text = [str(v) for v in issue.custom.values() if v is not None]
        record: dict[str, jql.FieldValue] = {
            "key": jql.Term(frozenset({issue.key.lower(), str(issue.id)}), (issue.project.key, issue.number)),
            "project": _term(issue.project.key, issue.project.id, issue.project.name),
            "labels": tuple(_term(label) for label in issue.labels),
            "status": _term(issue.status.name, issue.status.id),
            "statusCategory": _term(category_name, issue.status.category, str(category_id)),
            "issuetype": _term(issue.issue_type.name, issue.issue_type.id),
            "priority": _term(issue.priority.name, issue.priority.id, order=-issue.priority.rank)
            if issue.priority
            else None,
            "resolution": _term(issue.resolution.name, issue.resolution.id) if issue.resolution else None,
            "assignee": self.user_term(issue.assignee),
            "reporter": self.user_term(issue.reporter),
            "summary": issue.summary,
            "description": issue.description or None,
            "comment": comments or None,
            "text": "\n".join([issue.summary, issue.description or "", comments, *custom_text]),
            "created": issue.created,
            "updated": issue.updated,
            "resolutiondate": issue.resolutiondate,
        }
        for custom_id, value in issue.custom.items():
            record[custom_id] = None if value is None else str(value)
        return record
