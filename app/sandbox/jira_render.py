"""JSON shapes of the fake Jira's answers, after the Jira platform OpenAPI schemas.

One `Renderer` per request: it knows the server URL, the REST version the client used (v2 sends
rich text as wiki strings, v3 as Atlassian Document Format) and the deployment (Cloud users
carry an `accountId`, Data Center users a `name` and `key`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from app.sandbox.jira_catalog import SYSTEM_FIELDS
from app.sandbox.jira_fields import text_to_adf
from app.sandbox.jira_models import (
    STATUS_CATEGORIES,
    Comment,
    Issue,
    IssueType,
    Priority,
    Project,
    RemoteLink,
    Resolution,
    SecurityLevel,
    Status,
    User,
    timestamp,
)
from app.sandbox.jira_state import JiraState

_NOT_NAVIGABLE: Final = frozenset(f[0] for f in SYSTEM_FIELDS if not f[4])


@dataclass(frozen=True)
class FieldSelection:
    """Which issue fields to return, from Jira's `fields` parameter (`*all`, `*navigable`, `-x`, names)."""

    everything: bool = False
    navigable: bool = False
    names: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()

    @staticmethod
    def parse(values: Iterable[str], default: str) -> FieldSelection:
        tokens = [t.strip() for v in values for t in v.split(",") if t.strip()]
        if not tokens and default:
            tokens = [default]
        return FieldSelection(
            everything="*all" in tokens,
            navigable="*navigable" in tokens,
            names=frozenset(t for t in tokens if not t.startswith(("*", "-"))),
            excluded=frozenset(t[1:] for t in tokens if t.startswith("-")),
        )

    @property
    def only_ids(self) -> bool:
        # the jira package translates "id" and "key" into the field id "issuekey"
        return not self.everything and not self.navigable and self.names <= {"id", "key", "issuekey"}

    def wants(self, name: str) -> bool:
        if name in self.excluded:
            return False
        return self.everything or name in self.names or (self.navigable and name not in _NOT_NAVIGABLE)


@functools.lru_cache(maxsize=4096)
def _quote(text: str) -> str:
    # the same few account ids are quoted for every issue of every page (reporter, assignee, avatars)
    return quote(text)


class Renderer:
    def __init__(self, state: JiraState, server: str, version: str, me: User | None = None) -> None:
        self.state = state
        self.server = server
        self.api = f"{server}/rest/api/{version}"
        self.adf = version == "3"
        self.me = me

    def rich(self, text: str | None) -> Any:
        if text is None:
            return None
        return text_to_adf(text) if self.adf else text

    def avatars(self, kind: str, ident: str) -> dict[str, str]:
        return {
            size: f"{self.server}/secure/{kind}avatar?size={size}&ownerId={_quote(ident)}"
            for size in ("48x48", "24x24", "16x16", "32x32")
        }

    # -- people and catalogue ------------------------------------------------------------------
    def user(self, user: User | None) -> dict[str, Any] | None:
        if user is None:
            return None
        common = {
            "emailAddress": user.email,
            "avatarUrls": self.avatars("user", user.account_id),
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": "Etc/UTC",
        }
        if self.state.is_cloud:
            return {
                "self": f"{self.api}/user?accountId={_quote(user.account_id)}",
                "accountId": user.account_id,
                "accountType": user.account_type,
                **common,
            }
        return {
            "self": f"{self.api}/user?username={_quote(user.name)}",
            "name": user.name,
            "key": user.key,
            **common,
        }

    def issue_type(self, issue_type: IssueType) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issuetype/{issue_type.id}",
            "id": issue_type.id,
            "description": issue_type.description,
            "iconUrl": f"{self.server}/images/icons/issuetypes/{issue_type.name.lower()}.svg",
            "name": issue_type.name,
            "subtask": False,
            "hierarchyLevel": 0,
        }

    def project(self, project: Project, *, full: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "self": f"{self.api}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": self.avatars("project", project.id),
        }
        if full:
            body.update(
                expand="description,lead,issueTypes,url,projectKeys,permissions,insight",
                description="",
                lead=self.user(project.lead),
                components=[],
                issueTypes=[self.issue_type(t) for t in project.issue_types],
                assigneeType="UNASSIGNED",
                versions=[],
                roles={},
                style="classic",
                isPrivate=False,
                properties={},
            )
        return body

    def status(self, status: Status) -> dict[str, Any]:
        category_id, category_name, color = STATUS_CATEGORIES[status.category]
        return {
            "self": f"{self.api}/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.server}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": {
                "self": f"{self.api}/statuscategory/{category_id}",
                "id": category_id,
                "key": status.category,
                "colorName": color,
                "name": category_name,
            },
        }

    def priority(self, priority: Priority | None) -> dict[str, Any] | None:
        if priority is None:
            return None
        return {
            "self": f"{self.api}/priority/{priority.id}",
            "statusColor": priority.color,
            "description": f"{priority.name} priority.",
            "iconUrl": f"{self.server}/images/icons/priorities/{priority.name.lower()}.svg",
            "name": priority.name,
            "id": priority.id,
            "isDefault": priority is self.state.default_priority,
        }

    def resolution(self, resolution: Resolution | None) -> dict[str, Any] | None:
        if resolution is None:
            return None
        return {
            "self": f"{self.api}/resolution/{resolution.id}",
            "id": resolution.id,
            "description": resolution.description,
            "name": resolution.name,
        }

    def security_level(self, level: SecurityLevel | None) -> dict[str, Any] | None:
        if level is None:
            return None
        return {
            "self": f"{self.api}/securitylevel/{level.id}",
            "id": level.id,
            "description": level.description,
            "name": level.name,
        }

    # -- issues --------------------------------------------------------------------------------
    def issue(self, issue: Issue, selection: FieldSelection) -> dict[str, Any]:
        if selection.only_ids and not selection.names & {"key", "issuekey"}:
            return {"id": str(issue.id)}
        body: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": str(issue.id),
            "self": f"{self.api}/issue/{issue.id}",
            "key": issue.key,
        }
        if selection.only_ids:
            return body
        body["fields"] = {
            name: self._field(issue, name) for name in self._field_names() if selection.wants(name)
        }
        return body

    def _field_names(self) -> list[str]:
        return [f[0] for f in SYSTEM_FIELDS] + list(self.state.custom_fields)

    def _field(self, issue: Issue, name: str) -> Any:
        # each simple field on its own: a page of 100 issues renders ~10 fields of each, and
        # formatting every timestamp for every field made paging 100k issues CPU-bound in the fake
        if name == "summary":
            return issue.summary
        if name == "labels":
            return list(issue.labels)
        if name in ("created", "updated"):
            return timestamp(getattr(issue, name))
        if name == "resolutiondate":
            return timestamp(issue.resolutiondate) if issue.resolutiondate else None
        if name == "environment":
            return None
        if name == "duedate":
            return issue.custom.get("duedate")
        if name in ("reporter", "assignee", "creator"):
            return self.user(getattr(issue, name))
        if name == "description":
            return self.rich(issue.description)
        if name == "priority":
            return self.priority(issue.priority)
        if name == "status":
            return self.status(issue.status)
        if name == "resolution":
            return self.resolution(issue.resolution)
        if name == "security":
            return self.security_level(issue.security)
        if name == "issuetype":
            return self.issue_type(issue.issue_type)
        if name == "project":
            return self.project(issue.project)
        if name == "comment":
            return self.comments_page(issue, 0, len(issue.comments) or 1)
        if name == "watches":
            return {
                "self": f"{self.api}/issue/{issue.key}/watchers",
                "watchCount": len(issue.watchers),
                "isWatching": self.me in issue.watchers,
            }
        return issue.custom.get(name)

    def comment(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        body = {
            "self": f"{self.api}/issue/{issue.id}/comment/{comment.id}",
            "id": str(comment.id),
            "author": self.user(comment.author),
            "body": self.rich(comment.body),
            "updateAuthor": self.user(comment.update_author),
            "created": timestamp(comment.created),
            "updated": timestamp(comment.updated),
        }
        if self.state.is_cloud:
            body["jsdPublic"] = True
        return body

    def comments_page(
        self, issue: Issue, start: int, size: int, *, newest_first: bool = False
    ) -> dict[str, Any]:
        ordered = issue.comments[::-1] if newest_first else issue.comments
        return {
            "comments": [self.comment(issue, c) for c in ordered[start : start + size]],
            "self": f"{self.api}/issue/{issue.id}/comment",
            "maxResults": size,
            "total": len(issue.comments),
            "startAt": start,
        }

    def remote_link(self, issue: Issue, link: RemoteLink) -> dict[str, Any]:
        body: dict[str, Any] = {"id": link.id, "self": f"{self.api}/issue/{issue.key}/remotelink/{link.id}"}
        if link.global_id is not None:
            body["globalId"] = link.global_id
        body["application"] = link.application or {}
        if link.relationship is not None:
            body["relationship"] = link.relationship
        body["object"] = link.object
        return body

    def transitions(self, issue: Issue, only_id: str | None) -> dict[str, Any]:
        shown = [t for t in self.state.available_transitions(issue) if only_id in (None, t.id)]
        return {
            "expand": "transitions",
            "transitions": [
                {
                    "id": t.id,
                    "name": t.name,
                    "to": self.status(t.to),
                    "hasScreen": False,
                    "isGlobal": True,
                    "isInitial": False,
                    "isAvailable": True,
                    "isConditional": False,
                    "looped": False,
                }
                for t in shown
            ],
        }

    def watchers(self, issue: Issue) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issue/{issue.key}/watchers",
            "isWatching": self.me in issue.watchers,
            "watchCount": len(issue.watchers),
            "watchers": [self.user(u) for u in issue.watchers],
        }
