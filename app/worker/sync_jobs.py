"""Every job handler of the SLA clock and the two-way sync, for `Worker`'s handler table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.store.jobs import Job
from app.worker.jira_events import JiraEventJobs
from app.worker.kinds import JobKind
from app.worker.redirect_status import SlaRedirects
from app.worker.sla_jobs import SlaJobs
from app.worker.sync_context import SyncContext, SyncJobKind
from app.worker.thread_sync import ThreadSyncJobs

Handler = Callable[[Job], Awaitable[None]]


def sync_handlers(ctx: SyncContext) -> dict[str, Handler]:
    """`jira.*`, `sla.*`, `thread.message` and `ticket.prevention_note`.

    The redirect reply shows the SLA line only if `ticket.reply` and `ticket.edit` run through
    `SlaRedirects` too: see `redirect_handlers`.
    """
    return {
        **JiraEventJobs(ctx).handlers(),
        **SlaJobs(ctx).handlers(),
        **ThreadSyncJobs(ctx).handlers(),
        SyncJobKind.REFRESH_REDIRECT: SlaRedirects(ctx.intake, sla=ctx.sla).refresh_redirect,
    }


def redirect_handlers(ctx: SyncContext) -> dict[str, Handler]:
    """`ticket.reply` and `ticket.edit` whose redirect reply carries the status and SLA line."""
    redirects = SlaRedirects(ctx.intake, sla=ctx.sla)
    return {JobKind.POST_REDIRECT: redirects.post_redirect, JobKind.EDIT_TICKET: redirects.edit_ticket}
