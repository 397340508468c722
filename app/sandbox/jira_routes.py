"""The route table of the fake Jira: which handler answers which REST operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.sandbox import jira_handlers as h
from app.sandbox import jira_search
from app.sandbox.http_fake import FakeResponse
from app.sandbox.jira_handlers import ApiCall

if TYPE_CHECKING:
    from app.sandbox.fake_jira import FakeJira


def register_routes(fake: FakeJira) -> None:
    api = r"/rest/api/(?:2|3|latest)"
    issue = rf"{api}/issue/(?P<key>[^/]+)"
    createmeta = rf"{api}/issue/createmeta/(?P<project>[^/]+)/issuetypes"
    table: list[tuple[str, str, Callable[[ApiCall], FakeResponse]]] = [
        ("GET", f"{api}/serverInfo", h.server_info),
        ("GET", f"{api}/myself", h.myself),
        ("GET", f"{api}/mypermissions", h.my_permissions),
        ("GET", f"{api}/field", h.fields),
        ("GET", f"{api}/priority", h.priorities),
        ("GET", f"{api}/issuetype", h.issue_types),
        ("GET", f"{api}/project", h.projects),
        ("GET", rf"{api}/project/(?P<project>[^/]+)", h.project),
        ("GET", createmeta, h.createmeta_issue_types),
        ("GET", rf"{createmeta}/(?P<type>[^/]+)", h.createmeta_fields),
        ("GET", f"{api}/user/search", h.user_search),
        ("GET", f"{api}/user", h.user_get),
        ("POST", f"{api}/issue", h.issue_create),
        ("GET", issue, h.issue_get),
        ("PUT", issue, h.issue_edit),
        ("DELETE", issue, h.issue_delete),
        ("GET", f"{issue}/comment", h.comments_list),
        ("POST", f"{issue}/comment", h.comment_add),
        ("GET", rf"{issue}/comment/(?P<id>\d+)", h.comment_get),
        ("PUT", rf"{issue}/comment/(?P<id>\d+)", h.comment_update),
        ("DELETE", rf"{issue}/comment/(?P<id>\d+)", h.comment_delete),
        ("GET", f"{issue}/remotelink", h.remote_links_list),
        ("POST", f"{issue}/remotelink", h.remote_link_upsert),
        ("DELETE", f"{issue}/remotelink", h.remote_link_delete),
        ("GET", rf"{issue}/remotelink/(?P<id>\d+)", h.remote_link_get),
        ("PUT", rf"{issue}/remotelink/(?P<id>\d+)", h.remote_link_put),
        ("DELETE", rf"{issue}/remotelink/(?P<id>\d+)", h.remote_link_delete),
        ("GET", f"{issue}/transitions", h.transitions_get),
        ("POST", f"{issue}/transitions", h.transition_do),
        ("PUT", f"{issue}/assignee", h.assign),
        ("GET", f"{issue}/watchers", h.watchers_get),
        ("POST", f"{issue}/watchers", h.watcher_add),
        ("DELETE", f"{issue}/watchers", h.watcher_remove),
        ("POST", f"{api}/filter", h.filter_create),
        ("GET", f"{api}/filter/favourite", h.favourite_filters),
        ("GET", f"{api}/filter/my", h.my_filters),
        ("GET", rf"{api}/filter/(?P<id>\d+)", h.filter_get),
        ("PUT", rf"{api}/filter/(?P<id>\d+)", h.filter_update),
        ("DELETE", rf"{api}/filter/(?P<id>\d+)", h.filter_delete),
        ("GET", "/rest/applinks/latest/listApplicationlinks", h.application_links),
        *jira_search.ROUTES,
    ]
    for method, pattern, handler in table:
        fake.route(method, pattern, fake.api(handler))
