"""A report search on a fresh `jira` client for the service's Jira (the sandbox's fake included)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.adapters.jira_search import JiraIssueSearch
from app.adapters.jira_tracker import client_factory

if TYPE_CHECKING:  # the runtime imports this module
    from app.runtime import Connections


def search_for(conn: Connections, *, timeout_s: float) -> JiraIssueSearch:
    """Blocking (it reads Jira's serverInfo): call it in a worker thread."""
    make = client_factory(
        url=conn.jira_url,
        email=conn.jira_email,
        api_token=conn.jira_api_token,
        pat=conn.jira_pat,
        timeout_s=timeout_s,
    )
    return JiraIssueSearch(make())
