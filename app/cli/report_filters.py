"""`interrupt-bridge report filters --create`: Jira saved filters for dashboards, idempotently."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from app.adapters.jira_filters import JiraFilters
from app.config.sla import policy_of, sync_of
from app.config.template import Template
from app.domain.errors import PermanentError, RetryableError
from app.domain.report_query import TeamScope
from app.domain.report_saved_filters import plan, wanted_filters
from app.domain.sla import AroundTheClock, span_seconds
from app.settings import Settings


def run_filters(
    args: argparse.Namespace, settings: Settings, template: Template, *, out: TextIO | None = None
) -> int:
    from app.cli.commands import CliError, known_team_or_fail
    from app.cli.report import jira_client

    stream = out or sys.stdout
    scopes = [TeamScope(t.key, t.jira.project, tuple(t.jira.labels)) for t in template.teams]
    team = args.filters_team or args.team
    known_team_or_fail(template, team)
    if team is not None:
        scopes = [s for s in scopes if s.key == team]
    policy = policy_of(template)
    targets = {
        name: span_seconds(target.resolution, AroundTheClock())
        for name, target in policy.targets.items()
        if target.resolution is not None
    }
    wanted = wanted_filters(
        labels=template.defaults.labels,
        scopes=scopes,
        buckets=[b.key for b in template.buckets],
        resolution_targets_s=targets,
        prevention_label=sync_of(template).prevention_label,
    )
    filters = JiraFilters(jira_client(settings))
    try:
        todo = plan(wanted, filters.mine())
        if not args.create:
            for f in todo.create:
                print(f"missing    {f.name}", file=stream)
            for _, f in todo.update:
                print(f"outdated   {f.name}", file=stream)
            for f in todo.unchanged:
                print(f"up to date {f.name}", file=stream)
            print("(run with --create to create and update them)", file=stream)
            return 0
        for f in todo.create:
            filters.create(f)
            print(f"created    {f.name}", file=stream)
        for filter_id, f in todo.update:
            filters.update(filter_id, f)
            print(f"updated    {f.name}", file=stream)
        for f in todo.unchanged:
            print(f"unchanged  {f.name}", file=stream)
    except (PermanentError, RetryableError) as exc:
        raise CliError(f"Jira refused a saved filter: {exc}") from None
    print(
        f"{len(todo.create)} created, {len(todo.update)} updated, {len(todo.unchanged)} unchanged",
        file=stream,
    )
    return 0
