"""`report.digest`: each team's weekly interrupt digest, exactly once per week across replicas.

The scheduler enqueues the digest of the current and the next slot of every team with a `digest:`
(weekday, time, zone) with a dedupe key per (team, slot): any number of replicas may enqueue it, one
job exists, one worker runs it. The handler records each post in the `digests` table as it
succeeds, so a retry posts only what is missing; the message also carries message metadata, found
again after an ambiguous failure. A digest more than `STALE_AFTER` late (the service was down) is
skipped: last week's numbers belong to last week.

The message: headline numbers, the change against the week before, the top repeat topic; in its
thread a PNG chart of the week, uploaded with the files upload v2 flow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Connection, Engine

from app.adapters.jira_search import JiraIssueSearch
from app.adapters.slack_chat import SlackChat
from app.adapters.slack_files import upload_png
from app.config.template import Template
from app.domain.digest import digest_period, digest_text, next_slots
from app.domain.models import ReplyPost
from app.domain.report_figures import build_report
from app.domain.report_models import OpenFaqCandidate, ReportIssue
from app.reports.chart_png import daily_volume_png
from app.reports.service import fetch_issues
from app.store import digests as digest_store
from app.store import jobs as job_store
from app.store.jobs import Job
from app.store.report_facts import facts_since, open_candidates

log = logging.getLogger(__name__)
T = TypeVar("T")

DIGEST_JOB = "report.digest"
DIGEST_METADATA_TYPE = "interrupt_bridge_digest"
STALE_AFTER = timedelta(days=2)


def digest_key(team: str, slot: datetime) -> str:
    return f"digest:{team}:{slot.astimezone(UTC).isoformat()}"


def enqueue_digests(conn: Connection, template: Template, *, now: float) -> int:
    """The digest jobs of the current and next slot of every team with a digest; how many were new."""
    instant = datetime.fromtimestamp(now, UTC)
    added = 0
    for team in template.teams:
        if team.digest is None:
            continue
        for slot in next_slots(team.digest, instant, 2):
            added += job_store.enqueue(
                conn,
                DIGEST_JOB,
                {"team": team.key, "slot": slot.astimezone(UTC).isoformat()},
                now=now,
                run_after=slot.timestamp(),
                dedupe_key=digest_key(team.key, slot),
            )
    return added


@dataclass
class DigestJobs:
    engine: Engine
    chat: SlackChat
    template: Callable[[], Template]
    search: Callable[[], JiraIssueSearch]
    """Blocking (a `jira` client); called in a worker thread."""
    clock: Callable[[], float]

    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {DIGEST_JOB: self.digest}

    async def digest(self, job: Job) -> None:
        template = self.template()
        team = next((t for t in template.teams if t.key == job.payload.get("team")), None)
        if team is None or team.digest is None:
            log.info("digest skipped: the team or its digest is gone", extra={"job.id": job.id})
            return
        slot = datetime.fromisoformat(str(job.payload["slot"]))
        now = self.clock()
        if now - slot.timestamp() > STALE_AFTER.total_seconds():
            log.warning("digest skipped: too late", extra={"job.id": job.id, "digest.slot": slot.isoformat()})
            return
        channel = team.digest.channel or team.channels[0]
        key = slot.astimezone(UTC).isoformat()
        row = await self._write(lambda c: digest_store.claim(c, team.key, key, channel, now=now))
        period = digest_period(slot)

        def fetch() -> tuple[list[ReportIssue], list[OpenFaqCandidate]]:
            with self.engine.connect() as conn:
                facts = facts_since(conn, (period.previous().start - timedelta(days=1)).timestamp())
                candidates = open_candidates(conn, team=team.key)
            found = fetch_issues(self.search(), template, period, team=team.key, facts=facts, now=period.end)
            return found, candidates

        issues, candidates = await asyncio.to_thread(fetch)
        report = build_report(issues, period, team=team.key, candidates=candidates)
        ts = row.message_ts
        if ts is None:
            ts = await self.chat.find_channel_message(row.channel_id, DIGEST_METADATA_TYPE, "slot", key)
            if ts is None:
                post = ReplyPost(
                    channel=row.channel_id,
                    thread_ts=None,
                    text=digest_text(team.name, report),
                    blocks=[],
                    metadata_type=DIGEST_METADATA_TYPE,
                    metadata={"team": team.key, "slot": key},
                )
                ts = await self.chat.post_reply(post)
            posted_ts = ts
            await self._write(lambda c: digest_store.record(c, team.key, key, now=now, message_ts=posted_ts))
        if row.chart_file_id is None:
            title = f"{team.name}: interrupts per day, week to {period.end:%Y-%m-%d}"
            png = daily_volume_png(issues, period, title=title)
            file_id = await upload_png(
                self.chat,
                channel=row.channel_id,
                thread_ts=ts,
                content=png,
                filename=f"interrupts-{team.key}-{period.end:%Y-%m-%d}.png",
                title=title,
            )
            await self._write(lambda c: digest_store.record(c, team.key, key, now=now, chart_file_id=file_id))

    async def _write(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self.engine.begin() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)
