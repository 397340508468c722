"""`interrupt-bridge oncall`: rotations read from the template file and a readable table."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from app.cli.commands import CliError
from app.cli.oncall import HEADERS, add_oncall_parser, oncall, rotations_from_template_file, run
from app.config.loader import TemplateError

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "bridge.example.yaml"

TEMPLATE = """
version: 1
teams:
  - key: platform
    name: Platform
    rotation:
      members: [U0ALICE, bob@example.com, U0CAROL]
      period: weekly
      handoff: {weekday: mon, time: "09:00"}
      timezone: Europe/Berlin
      start: 2024-03-04
      support: {days: [mon, tue, wed], hours: "09:00-17:00"}
      overrides:
        - {from: 2024-03-12, to: 2024-03-13, person: U0DAVE}
      swaps:
        - {shift_start: 2024-03-25, with: U0ERIN}
  - key: networking
    name: Networking
  - key: db
    name: Databases
    rotation:
      members: [U0XAVER, U0YVES]
      period: {every_days: 3}
      handoff: {time: "10:30"}
      timezone: America/New_York
      start: 2024-04-01
"""


def full_template(teams_yaml: str) -> str:
    """The example template with its teams replaced by `teams_yaml`'s (channels and Jira filled in)."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    teams = yaml.safe_load(teams_yaml)["teams"]
    for index, team in enumerate(teams):
        team.setdefault("channels", [f"C0TEAM{index}"])
        team.setdefault("jira", {"project": "PLAT"})
    data["teams"] = teams
    return yaml.safe_dump(data, sort_keys=False)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="interrupt-bridge")
    add_oncall_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["oncall", *argv])


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(full_template(TEMPLATE), encoding="utf-8")
    return path


def render(path: Path, *argv: str, now: datetime | None = None) -> list[str]:
    out = io.StringIO()
    assert oncall(parse(*argv), rotations_from_template_file(path), now=now, out=out) == 0
    return out.getvalue().splitlines()


def cells(line: str, header: str) -> list[str]:
    """The line cut at the columns where the header's titles begin."""
    starts = [header.index(title) for title in HEADERS]
    return [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]


def test_rotations_are_read_per_team(template: Path) -> None:
    teams = rotations_from_template_file(template)
    assert [key for key, _ in teams] == ["platform", "db"]
    assert teams[0][1].members[1] == "bob@example.com"
    assert teams[1][1].period_days == 3


def test_the_table_shows_now_and_the_next_shifts(template: Path) -> None:
    # Monday 2024-03-11 12:00 in Berlin: Bob's week, split by Dave's override on Tue-Wed
    lines = render(template, "--team", "platform", "--next", "4", now=datetime(2024, 3, 11, 11, tzinfo=UTC))
    assert lines[0].split() == ["TEAM", "SHIFT", "ON", "CALL", "FROM", "UNTIL", "UNTIL", "(UTC)", "SOURCE"]
    table = [cells(line, lines[0]) for line in lines[1:6]]
    assert table == [
        [
            "platform",
            "now",
            "bob@example.com",
            "Mon 2024-03-11 09:00 CET",
            "Tue 2024-03-12 00:00 CET",
            "2024-03-11 23:00 UTC",
            "rotation",
        ],
        [
            "platform",
            "next",
            "U0DAVE",
            "Tue 2024-03-12 00:00 CET",
            "Thu 2024-03-14 00:00 CET",
            "2024-03-13 23:00 UTC",
            "override",
        ],
        [
            "platform",
            "next",
            "bob@example.com",
            "Thu 2024-03-14 00:00 CET",
            "Mon 2024-03-18 09:00 CET",
            "2024-03-18 08:00 UTC",
            "rotation",
        ],
        [
            "platform",
            "next",
            "U0CAROL",
            "Mon 2024-03-18 09:00 CET",
            "Mon 2024-03-25 09:00 CET",
            "2024-03-25 08:00 UTC",
            "rotation",
        ],
        # the swapped week spans the change to summer time: 167 hours, ending 09:00 CEST = 07:00 UTC
        [
            "platform",
            "next",
            "U0ERIN",
            "Mon 2024-03-25 09:00 CET",
            "Mon 2024-04-01 09:00 CEST",
            "2024-04-01 07:00 UTC",
            "swap",
        ],
    ]
    assert lines[6] == ""
    assert lines[7] == (
        "platform: support Mon\u2013Wed 09:00\u201317:00 Europe/Berlin; "
        "answers now, until 17:00 Europe/Berlin"
    )
    assert len(lines) == 8


def test_all_teams_and_a_rotation_that_has_not_started(template: Path) -> None:
    lines = render(template, "--next", "1", "--at", "2024-03-30T12:00:00+00:00")
    rows = [cells(line, lines[0]) for line in lines[1:5]]
    assert [row[:3] for row in rows] == [
        ["platform", "now", "U0ERIN"],
        ["platform", "next", "bob@example.com"],
        ["db", "now", "nobody"],
        ["db", "next", "U0XAVER"],
    ]
    assert rows[2][-3:] == ["Mon 2024-04-01 10:30 EDT", "2024-04-01 14:30 UTC", "not started"]
    assert "networking" not in "\n".join(lines)
    assert lines[-1] == (
        "db: support Mon\u2013Fri 09:00\u201317:00 America/New_York; answers Mon 1 Apr 09:00 America/New_York"
    )


def test_next_zero_shows_only_the_current_shift(template: Path) -> None:
    lines = render(template, "--team", "db", "--next", "0", now=datetime(2024, 4, 2, tzinfo=UTC))
    assert [cells(line, lines[0])[1] for line in lines[1:] if line and not line.startswith("db:")] == ["now"]


def test_an_unknown_team_is_an_operator_error(template: Path) -> None:
    with pytest.raises(
        CliError, match=r"team 'networking' has no on-call rotation \(teams with one: platform, db\)"
    ):
        oncall(parse("--team", "networking"), rotations_from_template_file(template), out=io.StringIO())


def test_no_rotation_anywhere() -> None:
    out = io.StringIO()
    assert oncall(parse(), [], out=out) == 0
    assert "no team has an on-call rotation" in out.getvalue()


@pytest.mark.parametrize(
    "argv",
    [("--next", "-1"), ("--next", "two"), ("--at", "2024-03-11T12:00"), ("--at", "tomorrow")],
)
def test_bad_arguments_are_refused(argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse(*argv)
    assert "error:" in capsys.readouterr().err


def test_invalid_rotations_are_reported_with_their_key_path(tmp_path: Path) -> None:
    path = tmp_path / "bridge.yaml"
    broken = (
        TEMPLATE.replace('time: "09:00"', "time: 17:00")
        .replace("Europe/Berlin", "Europe/Berlinn")
        .replace("{every_days: 3}", "{every_days: 0}")
    )
    path.write_text(full_template(broken), encoding="utf-8")
    with pytest.raises(TemplateError) as error:
        rotations_from_template_file(path)
    lines = str(error.value).splitlines()
    assert lines[0] == f"{path}: 3 problem(s) in the workflow template:"
    assert (
        "teams[0].rotation.handoff.time: Value error, got the number 1020: write the time in quotes"
        in lines[1]
    )
    assert (
        "teams[0].rotation.timezone: Value error, 'Europe/Berlinn' is not an IANA time zone name" in lines[2]
    )
    assert "teams[2].rotation.period" in lines[3]
    assert "write {every_days: N} with N from 1 to 366" in lines[3]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "workflow template not found"),
        ("teams: [", "invalid YAML"),
        ("- just a list", "the template must be a YAML mapping"),
    ],
)
def test_unreadable_templates(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "bridge.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(TemplateError, match=expected):
        rotations_from_template_file(path)


def test_run_reads_the_template_named_by_bridge_config(
    template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("BRIDGE_CONFIG", str(template))
    assert run(parse("--team", "db", "--at", "2024-04-02T00:00:00Z")) == 0
    assert "U0XAVER" in capsys.readouterr().out
    monkeypatch.setenv("BRIDGE_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(CliError, match="workflow template not found"):
        run(parse())
