"""The weekly digest: scheduled from the template, once per week across replicas, posted with a chart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from app.config.digest import Digest
from app.config.loader import load_template
from app.domain.digest import next_slots, slot_on_or_before
from app.runtime import Runtime
from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.scheduler import Scheduler
from app.store.db import migrate
from app.worker.digest import DIGEST_JOB, DIGEST_METADATA_TYPE
from tests.conftest import SIGNING_SECRET, make_settings
from tests.reports.conftest import EXAMPLE_TEMPLATE, NOW
from tests.reports.test_report_http import connections

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_slots_follow_weekday_time_and_zone_across_dst() -> None:
    digest = Digest(weekday="mon", time="09:30", timezone="Europe/Berlin")  # type: ignore[arg-type]
    # Friday 27 Nov 2026: the last slot was Monday 23 Nov 09:30 CET
    assert slot_on_or_before(digest, NOW) == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    # the Monday after the switch to summer time is 09:30 CEST = 07:30 UTC
    spring = next_slots(digest, datetime(2026, 3, 24, tzinfo=UTC), 2)
    assert [s.astimezone(UTC) for s in spring] == [
        datetime(2026, 3, 23, 8, 30, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 30, tzinfo=UTC),
    ]
    with pytest.raises(ValueError, match="IANA"):
        Digest(timezone="Mars/Olympus")


@pytest.fixture
def digest_template(tmp_path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE_TEMPLATE.read_text(encoding="utf-8"))
    data["teams"][0]["digest"] = {"weekday": "fri", "time": "09:00", "timezone": "UTC"}
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


async def test_digest_posts_once_per_week_with_a_chart(
    seeded: FakeJira, fake_slack: FakeSlack, database_url: str, digest_template: Path
) -> None:
    migrate(database_url)
    template = load_template(digest_template)
    conn = connections(seeded)
    runtime = Runtime(
        settings=make_settings(database_url, BRIDGE_CONFIG=str(digest_template)),
        template=lambda: template,
        connections=type(conn)(
            signing_secret=SIGNING_SECRET,
            slack_token=fake_slack.bot_token,
            slack_api_url=f"{fake_slack.base_url}/api/",
            jira_url=conn.jira_url,
            jira_email=conn.jira_email,
            jira_api_token=conn.jira_api_token,
            jira_pat=conn.jira_pat,
        ),
        run_worker=False,
        clock=lambda: NOW.timestamp(),
    )
    await runtime.chat.open()
    try:
        # two replicas tick, twice each: one job per (team, slot), this week's and next week's
        replica = Scheduler(runtime.engine, lambda: template, clock=lambda: NOW.timestamp())
        for scheduler in (runtime.scheduler, replica, runtime.scheduler, replica):
            await scheduler.tick()
        with runtime.engine.connect() as db:
            keys = (
                db.execute(
                    sa.text("SELECT dedupe_key FROM jobs WHERE kind = :k ORDER BY run_after"),
                    {"k": DIGEST_JOB},
                )
                .scalars()
                .all()
            )
        assert keys == [
            "digest:platform:2026-11-27T09:00:00+00:00",
            "digest:platform:2026-12-04T09:00:00+00:00",
        ]
        while await runtime.worker.run_once():
            pass
        with runtime.engine.connect() as db:
            states = (
                db.execute(
                    sa.text("SELECT state FROM jobs WHERE kind = :k ORDER BY run_after"), {"k": DIGEST_JOB}
                )
                .scalars()
                .all()
            )
        assert states == ["done", "pending"]  # next week's waits for next week

        posts = [
            m
            for m in fake_slack.messages("C0PLATSUP")
            if (m.get("metadata") or {}).get("event_type") == DIGEST_METADATA_TYPE
        ]
        assert len(posts) == 1
        text = posts[0]["text"]
        assert "Weekly interrupt digest for Platform" in text
        assert "interrupts, up" in text or "interrupts, down" in text or "interrupts, flat" in text
        assert "top repeat topic" in text
        files = fake_slack.files
        assert len(files) == 1
        assert files[0].completed
        assert files[0].content is not None
        assert files[0].content.startswith(PNG_SIGNATURE)
        assert files[0].channels == ["C0PLATSUP"]
        assert len(fake_slack.calls("files.getUploadURLExternal")) == 1
        assert len(fake_slack.calls("files.completeUploadExternal")) == 1
        thread = fake_slack.thread("C0PLATSUP", posts[0]["ts"])
        assert any(m.get("files") for m in thread), "the chart is in the digest's thread"

        # the same job once more (a retry after a lost completion): nothing is posted twice
        with runtime.engine.begin() as db:
            db.execute(
                sa.text("UPDATE jobs SET state = 'pending' WHERE kind = :k AND state = 'done'"),
                {"k": DIGEST_JOB},
            )
        while await runtime.worker.run_once():
            pass
        again = [
            m
            for m in fake_slack.messages("C0PLATSUP")
            if (m.get("metadata") or {}).get("event_type") == DIGEST_METADATA_TYPE
        ]
        assert len(again) == 1
        assert len(fake_slack.files) == 1
    finally:
        await runtime.chat.close()
        runtime.engine.dispose()
