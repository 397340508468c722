"""Catalogue answers of the fake Jira: field list, create metadata, server info and filters.

Kept apart from `app.sandbox.jira_render` (issue-shaped answers) to keep both modules short.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from app.sandbox.jira_models import CustomField, Filter, IssueType, JiraApiError, Project, timestamp

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
    ("security", "Security Level", ("level",), "securitylevel", True, True),
)

# custom field kind -> (schema type, array item type, custom field type key)
_CUSTOM_KINDS: Final = {
    "string": ("string", None, "textfield"),
    "option": ("option", None, "select"),
    "options": ("array", "option", "multiselect"),
}

# The built-in project permissions `mypermissions` reports: key -> (id, name, description).
PROJECT_PERMISSIONS: Final = {
    "BROWSE_PROJECTS": ("10", "Browse Projects", "Ability to browse projects and the issues within them."),
    "CREATE_ISSUES": ("11", "Create Issues", "Ability to create issues."),
    "EDIT_ISSUES": ("12", "Edit Issues", "Ability to edit issues."),
    "ASSIGN_ISSUES": ("13", "Assign Issues", "Ability to assign issues to other people."),
    "RESOLVE_ISSUES": ("14", "Resolve Issues", "Ability to resolve and reopen issues."),
    "ADD_COMMENTS": ("15", "Add Comments", "Ability to comment on issues."),
    "DELETE_ISSUES": ("16", "Delete Issues", "Ability to delete issues."),
    "ASSIGNABLE_USER": ("17", "Assignable User", "Users with this permission may be assigned to issues."),
    "CLOSE_ISSUES": ("18", "Close Issues", "Ability to close issues."),
    "LINK_ISSUES": ("21", "Link Issues", "Ability to link issues together and create linked issues."),
    "ADMINISTER_PROJECTS": ("23", "Administer Projects", "Ability to administer a project in Jira."),
    "MODIFY_REPORTER": ("30", "Modify Reporter", "Ability to modify the reporter when creating or editing."),
    "MANAGE_WATCHERS": ("32", "Manage Watchers", "Ability to manage the watchers of an issue."),
    "EDIT_OWN_COMMENTS": ("35", "Edit Own Comments", "Ability to edit own comments made on issues."),
    "DELETE_OWN_COMMENTS": ("37", "Delete Own Comments", "Ability to delete own comments made on issues."),
    "TRANSITION_ISSUES": ("46", "Transition Issues", "Ability to transition issues."),
}


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
                "schema": custom_schema(custom),
            }
        )
    return listed


def custom_schema(custom: CustomField) -> dict[str, Any]:
    kind, items, type_key = _CUSTOM_KINDS[custom.kind]
    schema: dict[str, Any] = {
        "type": kind,
        "custom": f"com.atlassian.jira.plugin.system.customfieldtypes:{type_key}",
        "customId": custom.number,
    }
    if items is not None:
        schema["items"] = items
    return schema


def option_json(render: Renderer, custom: CustomField, value: str) -> dict[str, Any]:
    option_id = custom.option_id(value)
    return {"self": f"{render.api}/customFieldOption/{option_id}", "value": value, "id": option_id}


def permissions_json(render: Renderer, project: Project | None, wanted: str | None) -> dict[str, Any]:
    """`mypermissions`: Cloud insists on a `permissions` list; Data Center answers all without one."""
    if wanted is None and render.state.is_cloud:
        raise JiraApiError(400, ["The 'permissions' query parameter is required."])
    keys = (
        [k.strip() for k in wanted.split(",") if k.strip()]
        if wanted is not None
        else list(PROJECT_PERMISSIONS)
    )
    unknown = [k for k in keys if k not in PROJECT_PERMISSIONS]
    if unknown:
        raise JiraApiError(400, [f"Invalid permission keys: {', '.join(unknown)}."])
    granted: dict[str, Any] = {}
    for key in keys:
        permission_id, name, description = PROJECT_PERMISSIONS[key]
        granted[key] = {
            "id": permission_id,
            "key": key,
            "name": name,
            "type": "PROJECT",
            "description": description,
            "havePermission": render.state.permitted(key, project),
        }
    return {"permissions": granted}


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
        meta(
            "labels",
            "Labels",
            "array",
            operations=["add", "set", "remove"],
            schema={"type": "array", "items": "string", "system": "labels"},
        ),
        meta(
            "priority",
            "Priority",
            "priority",
            allowedValues=[render.priority(p) for p in render.state.priorities],
        ),
        meta("duedate", "Due date", "date"),
        meta(
            "security",
            "Security Level",
            "securitylevel",
            allowedValues=[render.security_level(level) for level in render.state.security_levels],
        ),
    ]
    for custom in render.state.custom_fields.values():
        extra: dict[str, Any] = {}
        if custom.options:
            extra["allowedValues"] = [option_json(render, custom, v) for v in custom.options]
        listed.append(
            {
                "required": False,
                "schema": custom_schema(custom),
                "name": custom.name,
                "fieldId": custom.id,
                "key": custom.id,
                "hasDefaultValue": False,
                "operations": ["set"],
                **extra,
            }
        )
    hidden = render.state.off_screen(project)
    return [f for f in listed if f["fieldId"] not in hidden]
