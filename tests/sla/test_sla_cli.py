"""`interrupt-bridge sla [--team T]`: open tickets with their clocks, the most at risk first."""

from __future__ import annotations

import argparse
import io

import pytest

from app.cli.commands import CliError
from app.cli.sla import add_sla_parser, print_table, run, table
from app.sandbox.fake_slack import FakeSlack
from app.store import sla as sla_store
from app.store import tickets as ticket_store
from tests.conftest import EXAMPLE_TEMPLATE
from tests.sla.conftest import POLICY, SyncBridge


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="interrupt-bridge")
    add_sla_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["sla", *argv])


async def test_breached_first_then_at_risk_then_no_sla(sync: SyncBridge, fake_slack: FakeSlack) -> None:
    calm = await sync.raise_ticket(fake_slack, "calm")
    late = await sync.raise_ticket(fake_slack, "late")
    unmeasured = await sync.raise_ticket(fake_slack, "unmeasured")
    done = await sync.raise_ticket(fake_slack, "done")
    now = sync.clock()
    with sync.runtime.engine.begin() as conn:
        sla_store.record_first_response(conn, calm["id"], at=now, source="slack_reply", by="Carol", now=now)
        ticket_store.update_ticket(conn, unmeasured["id"], now=now, priority="Lowest")  # no target for Lowest
        sla_store.set_resolved(conn, done["id"], at=now, now=now)
    sync.clock.advance(70 * 60)
    with sync.runtime.engine.connect() as conn:
        rows = sla_store.open_tickets(conn)
    template = sync.runtime.template()
    lines = table(template, POLICY, rows, now=sync.clock())
    assert [line[0] for line in lines] == [late["jira_key"], calm["jira_key"], unmeasured["jira_key"]]
    assert lines[0][4].startswith("BREACHED, due ")
    assert lines[0][6] == "breached"
    assert lines[1][4].startswith("met ")
    assert "via a reply in Slack" in lines[1][4]
    assert lines[1][5].endswith("left)")
    assert lines[1][6] == "5%"  # 70 minutes of the 1 day resolution target
    assert lines[2][4:] == ("-", "-", "no SLA")
    out = io.StringIO()
    print_table(template, POLICY, rows, now=sync.clock(), out=out)
    header, *body = out.getvalue().splitlines()
    assert header.split() == [
        "TICKET",
        "TEAM",
        "PRIORITY",
        "STATUS",
        "FIRST",
        "RESPONSE",
        "RESOLUTION",
        "RISK",
    ]
    assert [line.split()[0] for line in body] == [late["jira_key"], calm["jira_key"], unmeasured["jira_key"]]


async def test_command_reads_the_database_and_the_template(
    sync: SyncBridge,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ticket = await sync.raise_ticket(fake_slack)
    monkeypatch.setenv("DATABASE_URL", sync.runtime.settings.database_url)
    monkeypatch.setenv("BRIDGE_CONFIG", str(EXAMPLE_TEMPLATE))
    assert run(parse("--team", "platform")) == 0
    assert ticket["jira_key"] in capsys.readouterr().out
    assert run(parse("--team", "networking")) == 0
    assert capsys.readouterr().out == "no open tickets\n"
    with pytest.raises(CliError, match="unknown team 'nope'"):
        run(parse("--team", "nope"))
