"""Route handlers of the fake Jira: one small function per REST operation.

Each handler gets an `ApiCall` (already authenticated, under the fake's lock) and returns a
`FakeResponse`; validation failures are raised as `JiraApiError` and rendered by the wrapper.
Searching lives in `app.sandbox.jira_search`, the route table in `app.sandbox.jira_routes`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.sandbox import jira_catalog
from app.sandbox.http_fake import FakeRequest, FakeResponse
from app.sandbox.jira_fields import FieldRules
from app.sandbox.jira_models import Issue, JiraApiError, User
from app.sandbox.jira_render import FieldSelection, Renderer
from app.sandbox.jira_state import JiraState


@dataclass(frozen=True)
class ApiCall:
    request: FakeRequest
    user: User
    render: Renderer
    state: JiraState

    @property
    def rules(self) -> FieldRules:
        return FieldRules(self.state, self.user, "adf" if self.render.adf else "wiki")

    def body(self) -> Any:
        try:
            return json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise JiraApiError(400, [f"Unexpected character in the request body: {exc}"]) from None

    def body_object(self) -> dict[str, Any]:
        body = self.body()
        if not isinstance(body, dict):
            raise JiraApiError(400, ["The request body must be a JSON object."])
        return body

    def param(self, name: str) -> str | None:
        return self.request.query_one(name)

    def int_param(self, name: str, default: int) -> int:
        raw = self.param(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise JiraApiError(400, [f"The '{name}' parameter must be a number, not '{raw}'."]) from None

    def issue(self) -> Issue:
        return self.state.require_issue(self.request.path_params["key"])


_FILTER_GONE = (
    "The selected filter is not available to you, perhaps it has been deleted or had its permissions changed."
)


def _json(body: Any, status: int = 200) -> FakeResponse:
    return FakeResponse(status, body)


def _no_content() -> FakeResponse:
    return FakeResponse(204)


# -- server, user, catalogue -------------------------------------------------------------------
def server_info(call: ApiCall) -> FakeResponse:
    return _json(jira_catalog.server_info_json(call.render, call.state.clock()))


def myself(call: ApiCall) -> FakeResponse:
    me = call.render.user(call.user) or {}
    return _json({**me, "locale": "en_US", "expand": "groups,applicationRoles"})


def fields(call: ApiCall) -> FakeResponse:
    return _json(jira_catalog.fields_json(call.render))


def priorities(call: ApiCall) -> FakeResponse:
    return _json([call.render.priority(p) for p in call.state.priorities])


def issue_types(call: ApiCall) -> FakeResponse:
    return _json([call.render.issue_type(t) for t in call.state.issue_types.values()])


def projects(call: ApiCall) -> FakeResponse:
    return _json([call.render.project(p) for p in call.state.projects.values()])


def project(call: ApiCall) -> FakeResponse:
    found = call.state.project(call.request.path_params["project"])
    if found is None:
        wanted = call.request.path_params["project"]
        raise JiraApiError(404, [f"No project could be found with key '{wanted}'."])
    return _json(call.render.project(found, full=True))


def createmeta_issue_types(call: ApiCall) -> FakeResponse:
    found = call.state.project(call.request.path_params["project"])
    if found is None:
        raise JiraApiError(404, ["No project could be found."])
    return _page(call, [call.render.issue_type(t) for t in found.issue_types], "issueTypes")


def createmeta_fields(call: ApiCall) -> FakeResponse:
    found = call.state.project(call.request.path_params["project"])
    type_id = call.request.path_params["type"]
    issue_type = next((t for t in found.issue_types if t.id == type_id), None) if found else None
    if found is None or issue_type is None:
        raise JiraApiError(404, ["Issue type with id '" + type_id + "' does not exist in this project."])
    return _page(call, jira_catalog.create_fields_json(call.render, found, issue_type), "fields")


def _page(call: ApiCall, items: list[Any], cloud_key: str) -> FakeResponse:
    start, size = call.int_param("startAt", 0), call.int_param("maxResults", 50)
    page = items[start : start + size]
    body: dict[str, Any] = {"maxResults": size, "startAt": start, "total": len(items)}
    if call.state.is_cloud:
        body[cloud_key] = page
    else:  # Data Center pages these as "values", with isLast
        body.update(isLast=start + size >= len(items), values=page)
    return _json(body)


def my_permissions(call: ApiCall) -> FakeResponse:
    wanted = call.param("projectKey") or call.param("projectId")
    found = call.state.project(wanted) if wanted else None
    if wanted and found is None:
        raise JiraApiError(404, [f"No project could be found with key '{wanted}'."])
    return _json(jira_catalog.permissions_json(call.render, found, call.param("permissions")))


def user_search(call: ApiCall) -> FakeResponse:
    query, username = call.param("query"), call.param("username")
    if call.state.is_cloud:
        if username:
            raise JiraApiError(400, ["The query parameter 'username' is not supported in GDPR strict mode."])
        if not query and not call.param("accountId"):
            raise JiraApiError(400, ["One of 'query' or 'accountId' query parameters must be provided."])
        found = call.state.search_users(query or call.param("accountId") or "")
    else:
        if not username:
            raise JiraApiError(400, ["The username query parameter was not provided"])
        found = call.state.search_users(username, include_inactive=call.param("includeInactive") == "True")
    start, size = call.int_param("startAt", 0), min(call.int_param("maxResults", 50), 1000)
    return _json([call.render.user(u) for u in found[start : start + size]])


def user_get(call: ApiCall) -> FakeResponse:
    ident = call.param("accountId") if call.state.is_cloud else call.param("username") or call.param("key")
    user = call.state.user_by_identifier(ident)
    if user is None:
        raise JiraApiError(404, [f"The user with the identifier '{ident}' does not exist."])
    return _json(call.render.user(user))


# -- issues ------------------------------------------------------------------------------------
def issue_create(call: ApiCall) -> FakeResponse:
    issue = call.rules.create(call.body_object())
    return _json({"id": str(issue.id), "key": issue.key, "self": f"{call.render.api}/issue/{issue.id}"}, 201)


def issue_get(call: ApiCall) -> FakeResponse:
    selection = FieldSelection.parse(call.request.query.get("fields", []), "*all")
    return _json(call.render.issue(call.issue(), selection))


def issue_edit(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    call.rules.edit(issue, call.body_object())
    if call.param("returnIssue") == "true":
        return _json(call.render.issue(issue, FieldSelection(everything=True)))
    return _no_content()


def issue_delete(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    call.state.remove_issue(issue)
    return _no_content()


def comments_list(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    start, size = call.int_param("startAt", 0), call.int_param("maxResults", 5000)
    newest_first = call.param("orderBy") == "-created"
    return _json(call.render.comments_page(issue, start, size, newest_first=newest_first))


def comment_add(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    text = _comment_text(call)
    return _json(call.render.comment(issue, call.state.add_comment(issue, text, call.user)), 201)


def _comment_text(call: ApiCall) -> str:
    errors: dict[str, str] = {}
    text = call.rules.rich_text("comment", call.body_object().get("body"), errors)
    if errors:
        raise JiraApiError(400, errors=errors)
    if not isinstance(text, str) or not text.strip():
        raise JiraApiError(400, errors={"comment": "Comment body can not be empty!"})
    return text


def comment_get(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    return _json(call.render.comment(issue, call.state.comment(issue, call.request.path_params["id"])))


def comment_update(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    comment = call.state.comment(issue, call.request.path_params["id"])
    comment.body = _comment_text(call)
    comment.update_author = call.user
    comment.updated = call.state.clock()
    call.state.touch(issue)
    return _json(call.render.comment(issue, comment))


def comment_delete(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    issue.comments.remove(call.state.comment(issue, call.request.path_params["id"]))
    call.state.touch(issue)
    return _no_content()


def remote_links_list(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    wanted = call.param("globalId")
    links = [link for link in issue.remote_links if wanted in (None, link.global_id)]
    return _json([call.render.remote_link(issue, link) for link in links])


def remote_link_upsert(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    body = _remote_link_body(call)
    link, created = call.state.upsert_remote_link(issue, body)
    identifies = {"id": link.id, "self": f"{call.render.api}/issue/{issue.key}/remotelink/{link.id}"}
    return _json(identifies, 201 if created else 200)


def _remote_link_body(call: ApiCall) -> dict[str, Any]:
    body = call.body_object()
    target = body.get("object")
    errors = {}
    for key in ("url", "title"):
        if not isinstance(target, dict) or not isinstance(target.get(key), str) or not target[key]:
            errors[key] = f"'{key}' is required."
    if errors:
        raise JiraApiError(400, errors=errors)
    return body


def _link(call: ApiCall, issue: Issue) -> Any:
    wanted = call.request.path_params["id"]
    link = next((r for r in issue.remote_links if str(r.id) == wanted), None)
    if link is None:
        raise JiraApiError(404, [f"No remote link with id '{wanted}' exists on this issue."])
    return link


def remote_link_get(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    return _json(call.render.remote_link(issue, _link(call, issue)))


def remote_link_put(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    link, body = _link(call, issue), _remote_link_body(call)
    link.object, link.global_id = dict(body["object"]), body.get("globalId", link.global_id)
    link.application, link.relationship = body.get("application"), body.get("relationship")
    call.state.touch(issue)
    return _no_content()


def remote_link_delete(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    if "id" in call.request.path_params:
        issue.remote_links.remove(_link(call, issue))
    else:
        wanted = call.param("globalId")
        issue.remote_links = [r for r in issue.remote_links if r.global_id != wanted]
    call.state.touch(issue)
    return _no_content()


def transitions_get(call: ApiCall) -> FakeResponse:
    return _json(call.render.transitions(call.issue(), call.param("transitionId")))


def transition_do(call: ApiCall) -> FakeResponse:
    call.rules.transition(call.issue(), call.body_object())
    return _no_content()


def assign(call: ApiCall) -> FakeResponse:
    call.rules.assign(call.issue(), call.body())
    return _no_content()


def watchers_get(call: ApiCall) -> FakeResponse:
    return _json(call.render.watchers(call.issue()))


def watcher_add(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    ident = call.body()
    user = call.state.user_by_identifier(ident) if isinstance(ident, str) else None
    if user is None:
        raise JiraApiError(400, [f'The user "{ident}" does not exist.'])
    if user not in issue.watchers:
        issue.watchers.append(user)
    return _no_content()


def watcher_remove(call: ApiCall) -> FakeResponse:
    issue = call.issue()
    ident = call.param("accountId") if call.state.is_cloud else call.param("username")
    user = call.state.user_by_identifier(ident)
    if user in issue.watchers:
        issue.watchers.remove(user)
    return _no_content()


# -- filters -----------------------------------------------------------------------------------
def filter_create(call: ApiCall) -> FakeResponse:
    return _json(
        jira_catalog.filter_json(call.render, call.state.save_filter(None, call.body_object(), call.user))
    )


def _filter(call: ApiCall) -> Any:
    found = call.state.filters.get(int(call.request.path_params["id"]))
    if found is None:
        raise JiraApiError(400, [_FILTER_GONE])
    return found


def filter_get(call: ApiCall) -> FakeResponse:
    return _json(jira_catalog.filter_json(call.render, _filter(call)))


def filter_update(call: ApiCall) -> FakeResponse:
    return _json(
        jira_catalog.filter_json(
            call.render, call.state.save_filter(_filter(call), call.body_object(), call.user)
        )
    )


def filter_delete(call: ApiCall) -> FakeResponse:
    del call.state.filters[_filter(call).id]
    return _no_content()


def favourite_filters(call: ApiCall) -> FakeResponse:
    mine = [f for f in call.state.filters.values() if f.favourite and f.owner is call.user]
    return _json([jira_catalog.filter_json(call.render, f) for f in mine])


def my_filters(call: ApiCall) -> FakeResponse:
    """Cloud `GET filter/my`: the caller's own filters (with `includeFavourites`, also favourites)."""
    if not call.state.is_cloud:
        raise JiraApiError(404, ["null for uri: " + call.request.path])
    favourites = call.param("includeFavourites") == "true"
    mine = [f for f in call.state.filters.values() if f.owner is call.user or (favourites and f.favourite)]
    return _json([jira_catalog.filter_json(call.render, f) for f in mine])


def application_links(call: ApiCall) -> FakeResponse:
    return _json({"list": []})  # what a non-admin account sees: no application links
