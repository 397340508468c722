"""The fake cuts the next pages of a query from one cached result, until an issue changes."""

from __future__ import annotations

from app.sandbox.fake_jira import FakeJira
from tests.sandbox.jira_support import raw


def test_next_pages_see_changes_made_between_pages() -> None:
    fake = FakeJira.with_demo_data("cloud").start()
    try:
        fake.bulk_add_issues(150, labels=["interrupt"])
        body = {"jql": "labels = interrupt ORDER BY key ASC", "fields": ["summary"], "maxResults": 100}
        first = raw(fake, "POST", "/rest/api/3/search/jql", body=body).json()
        fake.bulk_add_issues(10, labels=["interrupt"])  # changes the result: the cache must not serve it
        second = raw(
            fake, "POST", "/rest/api/3/search/jql", body={**body, "nextPageToken": first["nextPageToken"]}
        ).json()
        assert len(first["issues"]) == 100
        assert len(second["issues"]) == 60
        unchanged = raw(
            fake, "POST", "/rest/api/3/search/jql", body={**body, "nextPageToken": first["nextPageToken"]}
        ).json()
        assert [i["key"] for i in unchanged["issues"]] == [i["key"] for i in second["issues"]]
    finally:
        fake.stop()
