"""What the bridge says about on call: pure functions of the template, the schedule and a few facts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.domain.models import ChatUser, UserGroupRef
from app.domain.oncall_text import (
    alert_text,
    configured_placeholders,
    oncall_summary,
    redirect_placeholders,
    usergroup_mention,
)
from tests.oncall.conftest import example_template

BERLIN = ZoneInfo("Europe/Berlin")
CAROL = ChatUser(id="U0CAROL", name="carol", real_name="Carol Tanaka", email="carol@example.com")
GROUP = UserGroupRef(id="S0PLATONCALL", handle="platform-oncall")
WEDNESDAY = datetime(2026, 1, 14, 10, tzinfo=BERLIN)
SATURDAY = datetime(2026, 1, 17, 11, tzinfo=BERLIN)


def test_summary_names_the_person_the_handle_and_support_hours() -> None:
    summary = oncall_summary(example_template(), "platform", WEDNESDAY)
    assert summary.splitlines() == [
        "*Platform* on call: <@U0CAROL> until Mon 19 Jan 09:00 Europe/Berlin"
        " \u2013 handle <!subteam^S0PLATONCALL>.",
        "Next: alice@example.com from Mon 19 Jan 09:00 Europe/Berlin.",
        "Support: Mon\u2013Fri 09:00\u201317:00 Europe/Berlin, open now until 17:00 Europe/Berlin.",
    ]


def test_summary_outside_hours_with_a_handle_and_an_override() -> None:
    template = example_template(
        usergroup="platform-oncall",
        overrides=[{"from": "2026-01-17", "to": "2026-01-18", "person": "U0DAVE"}],
    )
    summary = oncall_summary(template, "platform", SATURDAY)
    assert summary.splitlines()[0] == (
        "*Platform* on call: <@U0DAVE> until Mon 19 Jan 00:00 Europe/Berlin (override)"
        " \u2013 handle @platform-oncall."
    )
    assert summary.endswith("next from Mon 19 Jan 09:00 Europe/Berlin.")


def test_summary_before_the_rotation_starts_and_without_one() -> None:
    template = example_template()
    early = oncall_summary(template, "platform", datetime(2025, 12, 31, 12, tzinfo=UTC))
    assert early.startswith("*Platform* on call starts Mon 5 Jan 09:00 Europe/Berlin with <@U0BOB>")
    assert oncall_summary(template, "networking", WEDNESDAY) == "*Networking* has no on-call rotation."


def test_redirect_inside_support_hours_pages_the_group_or_the_person() -> None:
    template = example_template()
    values = redirect_placeholders(
        template, "platform", bucket_key="question", at=WEDNESDAY, person=CAROL, usergroup=GROUP
    )
    assert values == {"oncall": "<!subteam^S0PLATONCALL>", "support": ""}
    without_group = redirect_placeholders(
        template, "platform", bucket_key="question", at=WEDNESDAY, person=CAROL, usergroup=None
    )
    assert without_group["oncall"] == "<@U0CAROL>"


def test_redirect_outside_support_hours_does_not_page_unless_urgent() -> None:
    template = example_template()
    quiet = redirect_placeholders(
        template, "platform", bucket_key="question", at=SATURDAY, person=CAROL, usergroup=GROUP
    )
    assert quiet["oncall"] == "@platform-oncall"
    assert quiet["support"] == (
        "The team answers Mon\u2013Fri 09:00\u201317:00 Europe/Berlin; next from Mon 19 Jan 09:00 "
        "Europe/Berlin. If it cannot wait, mention @platform-oncall here."
    )
    urgent = redirect_placeholders(
        template, "platform", bucket_key="incident", at=SATURDAY, person=CAROL, usergroup=GROUP
    )
    assert urgent["oncall"] == "<!subteam^S0PLATONCALL>"
    assert "urgent" in urgent["support"]
    # without a handle, the person is named (not mentioned)
    named = redirect_placeholders(
        template, "platform", bucket_key="question", at=SATURDAY, person=CAROL, usergroup=None
    )
    assert named["oncall"] == "Carol Tanaka"
    assert "mention Carol Tanaka here" in named["support"]


def test_redirect_for_a_team_without_rotation() -> None:
    values = redirect_placeholders(
        example_template(), "networking", bucket_key="question", at=SATURDAY, person=None, usergroup=None
    )
    assert values == {"oncall": "the Networking team", "support": ""}


@pytest.mark.parametrize(
    ("usergroup", "expected"),
    [("S0PLATONCALL", "<!subteam^S0PLATONCALL>"), ("platform-oncall", "@platform-oncall")],
)
def test_configured_placeholders_use_the_configured_group(usergroup: str, expected: str) -> None:
    values = configured_placeholders(example_template(usergroup=usergroup), "platform")
    assert values == {"oncall": expected, "support": ""}
    assert usergroup_mention(usergroup) == expected


def test_the_new_placeholders_are_allowed_in_templates() -> None:
    template = example_template()
    assert "{oncall}" in template.messages.redirect
    assert "{support}" in template.messages.redirect


def test_alert_text_names_the_problem_and_the_fix() -> None:
    text = alert_text("Platform", "plan_upgrade_required", "the user group `S0PLATONCALL` cannot be read")
    assert "`plan_upgrade_required`" in text
    assert "paid Slack plan" in text
    assert "<!subteam" not in text
