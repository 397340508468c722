"""Chaos: the running service (a real `serve` subprocess) on the sandbox fakes, under faults.

Each scenario posts a batch of messages, sends a signed `:ticket:` reaction for each (resent the
way Slack resends: same event, new signature, `X-Slack-Retry-Num`, until it is acknowledged),
injects its fault while the batch is in flight, lifts it, waits for the batch to settle and
counts: Jira issues per request (by the `ib-<id>` marker label), bot replies per thread, jobs by
state. A request is right when it has exactly one issue and one reply; a job is stuck when it is
neither done nor dead once the batch has settled (or the settle timeout ran out).

    python -m bench.chaos               # the short variant CI runs (tests/chaos)
    python -m bench.chaos --long        # Jira answering after 10 s, 200 tickets with kill -9 ...
    python -m bench.chaos --only kill9  # one scenario

PostgreSQL "restart" is simulated with `pg_terminate_backend` on the service's own connections
(found by a per-run `application_name`): restarting a shared server would break other users.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.sandbox.fake_jira import FakeJira
from app.sandbox.fake_slack import FakeSlack
from app.sandbox.http_fake import Fault
from bench.chaos_harness import CREATE, LONG, SHORT, Chaos, Outcome, Profile, Sender

__all__ = ["CREATE", "LONG", "SHORT", "Chaos", "Outcome", "Sender", "run_all"]


# -- the scenarios ----------------------------------------------------------------------------------
def _inject(fake: FakeSlack | FakeJira, *faults: Fault) -> Callable[[], int]:
    """Add `faults`; the returned function counts the requests they have answered so far."""
    initial = [f.times for f in faults]
    stored: list[Fault] = []
    for fault in faults:
        fake.add_fault(fault)
        with fake.lock:  # the fake may store a copy (FakeSlack fills in a 429's body): count that one
            stored.append(fake._faults[-1])
    return lambda: sum(n - f.times for n, f in zip(initial, stored, strict=True))


def jira_down_503(chaos: Chaos) -> Outcome:
    hits: Callable[[], int] = lambda: 0  # noqa: E731

    def during() -> None:
        nonlocal hits
        hits = _inject(
            chaos.jira, Fault(r"^/rest/", times=10**9, status=503, body={"errorMessages": ["down"]})
        )
        time.sleep(chaos.profile.fault_s)
        chaos.jira.clear_faults()

    outcome = chaos.run("jira-down-503", chaos.profile.batch, during)
    outcome.faults_hit = hits()
    return outcome


def jira_refused(chaos: Chaos) -> Outcome:
    def during() -> None:
        port = int(chaos.jira.base_url.rsplit(":", 1)[1])
        chaos.jira.stop()  # nothing listens: connection refused
        time.sleep(chaos.profile.fault_s)
        chaos.jira.use_port(port)
        chaos.jira.start()

    outcome = chaos.run("jira-connection-refused", chaos.profile.batch, during)
    outcome.faults_hit = -1  # refused connections never reach the fake; see retried=
    return outcome


def _faulted(
    chaos: Chaos, name: str, fake: FakeSlack | FakeJira, *faults: Fault, linger_s: float = 0.0
) -> Outcome:
    hits: Callable[[], int] = lambda: 0  # noqa: E731

    def during() -> None:
        nonlocal hits
        hits = _inject(fake, *faults)

    outcome = chaos.run(name, chaos.profile.batch, during, linger_s=linger_s)
    outcome.faults_hit = hits()
    fake.clear_faults()
    return outcome


def jira_429(chaos: Chaos) -> Outcome:
    n = chaos.profile.batch
    limited = Fault(CREATE, method="POST", times=n, status=429, headers={"Retry-After": "2"},
                    body={"errorMessages": ["Rate limit exceeded."]})  # fmt: skip
    return _faulted(chaos, "jira-429-retry-after", chaos.jira, limited)


def jira_slow(chaos: Chaos) -> Outcome:
    """Creates that answer after the client's timeout: ambiguous, then found by the marker label."""
    slow = Fault(CREATE, method="POST", times=3, delay_s=chaos.profile.jira_slow_s)
    # Counted once the slow answers have landed (a duplicate would appear only then).
    outcome = _faulted(chaos, "jira-slow-answer", chaos.jira, slow, linger_s=chaos.profile.jira_slow_s + 1)
    outcome.notes.append(
        f"answer after {chaos.profile.jira_slow_s:g}s, timeout {chaos.profile.jira_timeout_s:g}s"
    )
    return outcome


def jira_reset_after_create(chaos: Chaos) -> Outcome:
    reset = Fault(CREATE, method="POST", times=chaos.profile.batch, reset_after_handler=True)
    return _faulted(chaos, "jira-reset-after-create", chaos.jira, reset)


def slack_429(chaos: Chaos) -> Outcome:
    limited = Fault(r"/api/chat\.postMessage$", times=chaos.profile.batch * 2, status=429,
                    headers={"Retry-After": "1"}, body={"ok": False, "error": "ratelimited"})  # fmt: skip
    return _faulted(chaos, "slack-429", chaos.slack, limited)


def slack_5xx(chaos: Chaos) -> Outcome:
    n = chaos.profile.batch
    faults = [
        Fault(rf"/api/{method}$", times=n, status=status, body="upstream trouble")
        for method, status in (
            ("chat\\.postMessage", 503),
            ("conversations\\.replies", 500),
            ("reactions\\.add", 502),
        )
    ]
    return _faulted(chaos, "slack-5xx", chaos.slack, *faults)


def sqlite_busy(chaos: Chaos) -> Outcome:
    def during() -> None:
        with chaos.db.sqlite_write_lock():
            time.sleep(chaos.profile.fault_s)

    outcome = chaos.run("sqlite-busy", chaos.profile.batch, during)
    outcome.faults_hit = -1  # the lock delays commits (busy_timeout); see the batch's duration
    outcome.notes.append(f"write lock held {chaos.profile.fault_s:g}s by another connection")
    return outcome


def postgres_restart(chaos: Chaos) -> Outcome:
    terminated = 0

    def during() -> None:
        nonlocal terminated
        end = time.monotonic() + chaos.profile.fault_s
        while time.monotonic() < end:
            terminated += chaos.db.terminate_service_connections()
            time.sleep(0.3)

    outcome = chaos.run("postgres-terminated", chaos.profile.batch, during)
    outcome.faults_hit = terminated
    outcome.notes.append("pg_terminate_backend of the service's connections, repeatedly")
    return outcome


def kill9(chaos: Chaos, *, seed: int | None = None) -> Outcome:
    rng = random.Random(seed)
    kills = 0

    def during() -> None:
        nonlocal kills
        # Jira creates take a while, so a kill finds jobs in flight (their retry is what is under test).
        slow_create = min(0.4, chaos.profile.jira_timeout_s / 2)
        chaos.jira.add_fault(Fault(CREATE, method="POST", times=100_000, delay_s=slow_create))
        for _ in range(chaos.profile.kills):
            time.sleep(rng.uniform(0.5, 2.5))
            chaos.service.kill9()
            kills += 1
            time.sleep(rng.uniform(0.0, 1.0))  # down a while: deliveries fail and are resent
            chaos.service.start()

    # Deliveries spread over the kills (about 3 s apart): some arrive while the service is down.
    spacing = 3.0 * chaos.profile.kills / chaos.profile.kill_tickets
    outcome = chaos.run(
        "kill-9-restarts", chaos.profile.kill_tickets, during, concurrency=16, spacing_s=spacing
    )
    chaos.jira.clear_faults()
    outcome.faults_hit = kills
    outcome.notes.append(f"{kills} kill -9 + restart, Jira creates slowed so that jobs are in flight")
    return outcome


SQLITE_SCENARIOS: dict[str, Callable[[Chaos], Outcome]] = {
    "jira-503": jira_down_503,
    "jira-refused": jira_refused,
    "jira-429": jira_429,
    "jira-slow": jira_slow,
    "jira-reset": jira_reset_after_create,
    "slack-429": slack_429,
    "slack-5xx": slack_5xx,
    "sqlite-busy": sqlite_busy,
}
ALL = [*SQLITE_SCENARIOS, "postgres", "kill9"]
ALL_NAMES = [
    "jira-down-503", "jira-connection-refused", "jira-429-retry-after", "jira-slow-answer",
    "jira-reset-after-create", "slack-429", "slack-5xx", "sqlite-busy", "postgres-terminated",
    "kill-9-restarts",
]  # fmt: skip


def run_all(
    profile: Profile, only: list[str] | None = None, *, emit: Callable[[str], None] = print
) -> list[Outcome]:
    """Run the scenarios (all, or `only`), printing one line of counts per scenario.

    Three groups run side by side, each with its own fakes, database and service (the faults of
    one never reach another): the fault scenarios in turn on SQLite, PostgreSQL with its
    connections terminated, and the kill -9 run. They mostly wait on retry delays, so running
    them together keeps CI's sample short.
    """
    wanted = only or ALL
    fault_scenarios = [SQLITE_SCENARIOS[name] for name in SQLITE_SCENARIOS if name in wanted]
    groups: list[tuple[str, list[Callable[[Chaos], Outcome]]]] = []
    if fault_scenarios:
        groups.append(("sqlite", fault_scenarios))
    if "postgres" in wanted:
        groups.append(("postgresql", [postgres_restart]))
    if "kill9" in wanted:
        groups.append(("sqlite", [kill9]))
    lock = threading.Lock()
    outcomes: list[Outcome] = []

    def run_group(db: str, scenarios: list[Callable[[Chaos], Outcome]]) -> None:
        chaos = Chaos(profile, db)
        try:
            for scenario in scenarios:
                outcome = scenario(chaos)
                with lock:
                    outcomes.append(outcome)
                    emit(outcome.line())
        finally:
            chaos.close()

    with ThreadPoolExecutor(max_workers=len(groups) or 1) as pool:
        for future in [pool.submit(run_group, db, scenarios) for db, scenarios in groups]:
            future.result()
    return sorted(outcomes, key=lambda o: ALL_NAMES.index(o.scenario))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--long", action="store_true", help="the long variant (by hand)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument("--json", type=Path, help="write the outcomes here")
    args = parser.parse_args(argv)
    profile = LONG if args.long else SHORT
    only = [s for s in args.only.split(",") if s] or None
    print(f"chaos ({profile.name}): {profile}")
    outcomes = run_all(profile, only)
    total = sum(o.requests for o in outcomes)
    failed = [o.scenario for o in outcomes if not o.ok]
    print(f"{len(outcomes)} scenarios, {total} requests, {len(failed)} failed {failed or ''}")
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
