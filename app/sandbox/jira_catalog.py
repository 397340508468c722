"""Catalogue answers of the fake Jira: field list, create metadata, server info and filters.

Kept apart from `app.sandbox.jira_render` (issue-shaped answers) to keep both modules short.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from app.sandbox.jira_models import Filter, IssueType, Project, timestamp

if TYPE_CHECKING:
    from app.sandbox.jira_render import Renderer

# (id, name, clause names, schema type, navigable, orderable)
SYSTEM_FIELDS: Final = (
    ("summary", "Summary", ("summary",), "string", True, True),
    ("description", "Description", ("description",), "string", True, True),
    ("labels", "Labels", ("labels",), "array", True, True),
    ("priority", "Priority", ("priority",), "priority", True, True),
    ("reporter", "Reporter", ("reporter",), "user", True, True),
    ("assignee", "Assignee", ("assignee",), "user", True, True),
    ("creator", "Creator", ("creator",), "user", True, False),
    ("created", "Created", ("created", "createdDate"), "datetime", True, False),
    ("updated", "Updated", ("updated", "updatedDate"), "datetime", True, False),
    ("status", "Status", ("status",), "status", True, False),
    ("resolution", "Resolution", ("resolution",), "resolution", True, True),
    ("resolutiondate", "Resolved", ("resolutiondate", "resolved"), "datetime", True, False),
    ("issuetype", "Issue Type", ("issuetype", "type"), "issuetype", True, True),
    ("project", "Project", ("project",), "project", True, True),
    ("comment", "Comment", ("comment",), "comments-page", False, True),
    ("watches", "Watchers", ("watchers",), "watches", True, False),
    ("environment", "Environment", ("environment",), "string", True, True),
    ("duedate", "Due date", ("due", "duedate"), "date", True, True),
)


def fields_json(render: Renderer) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = [
        {
            "id": "issuekey",
            "key": "issuekey",
            "name": "Key",
            "custom": False,
            "orderable": False,
            "navigable": True,
            "searchable": False,
            "clauseNames": ["id", "issue", "issuekey", "key"],
        }
    ]
    for fid, name, clauses, kind, navigable, orderable in SYSTEM_FIELDS:
        schema = (
            {"type": kind, "system": fid}
            if kind != "array"
            else {"type": "array", "items": "string", "system": fid}
        )
        listed.append(
            {
                "id": fid,
                "key": fid,
                "name": name,
                "custom": False,
                "orderable": orderable,
                "navigable": navigable,
                "searchable": True,
                "clauseNames": list(clauses),
                "schema": schema,
            }
        )
    for custom in render.state.custom_fields.values():
        listed.append(
            {
                "id": custom.id,
                "key": custom.id,
                "name": custom.name,
                "custom": True,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{custom.number}]", custom.name],
                "schema": {
                    "type": "string",
                    "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
                    "customId": custom.number,
                },
            }
        )
    return listed


def filter_json(render: Renderer, saved: Filter) -> dict[str, Any]:
    body: dict[str, Any] = {
        "self": f"{render.api}/filter/{saved.id}",
        "id": str(saved.id),
        "name": saved.name,
        "owner": render.user(saved.owner),
        "jql": saved.jql,
        "viewUrl": f"{render.server}/issues/?filter={saved.id}",
        "searchUrl": f"{render.api}/search?jql={quote(saved.jql)}",
        "favourite": saved.favourite,
        "favouritedCount": int(saved.favourite),
        "sharePermissions": [],
        "editPermissions": [],
    }
    if saved.description is not None:
        body["description"] = saved.description
    return body


def server_info_json(render: Renderer, now: datetime) -> dict[str, Any]:
    cloud = render.state.is_cloud
    version = (1001, 0, 0) if cloud else (9, 12, 15)
    return {
        "baseUrl": render.server,
        "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.15",
        "versionNumbers": list(version),
        "deploymentType": "Cloud" if cloud else "Server",
        "buildNumber": 100283 if cloud else 9120015,
        "buildDate": "2025-11-20T00:00:00.000+0000",
        "serverTime": timestamp(now),
        "scmInfo": "0b4a3c9e2f0d8b6c1a7e5d3f9b2c4a6e8d0f1b3c",
        "serverTitle": "Jira",
    }


def create_fields_json(render: Renderer, project: Project, issue_type: IssueType) -> list[dict[str, Any]]:
    def meta(fid: str, name: str, kind: str, *, required: bool = False, **extra: Any) -> dict[str, Any]:
        return {
            "required": required,
            "schema": {"type": kind, "system": fid},
            "name": name,
            "fieldId": fid,
            "key": fid,
            "hasDefaultValue": False,
            "operations": ["set"],
            **extra,
        }

    listed = [
        meta("summary", "Summary", "string", required=True),
        meta(
            "issuetype",
            "Issue Type",
            "issuetype",
            required=True,
            allowedValues=[render.issue_type(issue_type)],
        ),
        meta("project", "Project", "project", required=True, allowedValues=[render.project(project)]),
        meta("description", "Description", "string"),
        meta("reporter", "Reporter", "user", required=True),
        meta("assignee", "Assignee", "user"),
        meta("labels", "Labels", "array", operations=["add", "set", "remove"]),
        meta(
            "priority",
            "Priority",
            "priority",
            allowedValues=[render.priority(p) for p in render.state.priorities],
        ),
    ]
    for custom in render.state.custom_fields.values():
        listed.append(
            {
                "required": False,
                "schema": {
                    "type": "string",
                    "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
                    "customId": custom.number,
                },
                "name": custom.name,
                "fieldId": custom.id,
                "key": custom.id,
                "hasDefaultValue": False,
                "operations": ["set"],
            }
        )
    return listed
