"""The scheduler puts each rotation's current and next handoff in the job table, once."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from app.store.schema import handoffs
from tests.conftest import Bridge, FakeClock
from tests.oncall.conftest import MakeBridge, berlin, example_template


def handoff_jobs(bridge: Bridge) -> list[tuple[str, float, str]]:
    rows = [r for r in bridge.rows("jobs") if r["kind"] == "oncall.handoff"]
    return sorted((r["dedupe_key"], r["run_after"], r["state"]) for r in rows)


async def test_tick_enqueues_the_current_and_next_handoff_once(make_bridge: MakeBridge) -> None:
    clock = FakeClock()
    clock.now = berlin("2026-01-14 10:00")
    bridge = await make_bridge(clock=clock)
    assert await bridge.runtime.scheduler.tick() == 2
    assert await bridge.runtime.scheduler.tick() == 0
    assert handoff_jobs(bridge) == [
        ("handoff:platform:2026-01-12T08:00:00+00:00", berlin("2026-01-12 09:00"), "pending"),
        ("handoff:platform:2026-01-19T08:00:00+00:00", berlin("2026-01-19 09:00"), "pending"),
    ]


async def test_before_the_rotation_starts_both_handoffs_are_in_the_future(make_bridge: MakeBridge) -> None:
    clock = FakeClock()
    clock.now = berlin("2026-01-01 12:00")
    bridge = await make_bridge(clock=clock)
    await bridge.runtime.scheduler.tick()
    assert [run_after for _, run_after, _ in handoff_jobs(bridge)] == [
        berlin("2026-01-05 09:00"),
        berlin("2026-01-12 09:00"),
    ]
    await bridge.runtime.worker.run_once()  # runs only what is due: this minute's SLA scan
    assert [state for *_, state in handoff_jobs(bridge)] == ["pending", "pending"]


async def test_a_template_without_rotations_schedules_nothing(make_bridge: MakeBridge) -> None:
    template = example_template()
    teams = [team.model_copy(update={"rotation": None}) for team in template.teams]
    bridge = await make_bridge(template=template.model_copy(update={"teams": tuple(teams)}))
    assert await bridge.runtime.scheduler.tick() == 0


async def test_run_ticks_at_once_and_stops(make_bridge: MakeBridge) -> None:
    clock = FakeClock()
    clock.now = berlin("2026-01-14 10:00")
    bridge = await make_bridge(clock=clock)
    scheduler = bridge.runtime.scheduler
    task = asyncio.create_task(scheduler.run())
    for _ in range(100):
        if handoff_jobs(bridge):
            break
        await asyncio.sleep(0.02)
    scheduler.stop()
    await asyncio.wait_for(task, timeout=5)
    assert len(handoff_jobs(bridge)) == 2


async def test_the_migrated_handoffs_table_matches_the_schema(make_bridge: MakeBridge) -> None:
    bridge = await make_bridge()
    inspector = sa.inspect(bridge.runtime.engine)
    migrated = {c["name"] for c in inspector.get_columns("handoffs")}
    assert migrated == {c.name for c in handoffs.columns}
    assert inspector.get_pk_constraint("handoffs")["constrained_columns"] == ["team", "shift_start"]
