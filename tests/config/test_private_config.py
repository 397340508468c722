"""The template's `private:` section: validation against the teams and buckets, and the draft it shapes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.domain.models import TicketDraft
from app.domain.private import private_draft, triage_channel
from tests.private.conftest import private_template


def draft() -> TicketDraft:
    return TicketDraft(
        project="PLAT",
        issue_type="Task",
        summary="s",
        description="d",
        labels=["interrupt", "bucket-question"],
        priority="Low",
        fields={"customfield_10042": "x"},
    )


def test_a_buckets_level_wins_over_its_teams_and_digits_are_an_id() -> None:
    template = private_template(
        security_levels={"teams": {"platform": "Staff only"}, "buckets": {"incident": "10101"}}
    )
    plain = private_draft(template, draft(), team="platform", bucket="question")
    assert plain.labels == ["interrupt", "bucket-question", "private-request"]
    assert plain.fields == {"customfield_10042": "x", "security": {"name": "Staff only"}}
    incident = private_draft(template, draft(), team="platform", bucket="incident")
    assert incident.fields["security"] == {"id": "10101"}
    other = private_draft(template, draft(), team="networking", bucket="question")
    assert "security" not in other.fields


def test_triage_channel_falls_back_to_the_sla_one() -> None:
    template = private_template(label="confidential")
    assert triage_channel(template, "platform") is None
    raw_sla = template.model_copy(
        update={"sla": template.sla.model_copy(update={"triage_channels": {"platform": "C0T"}})}
    )
    assert triage_channel(raw_sla, "platform") == "C0T"
    assert private_draft(template, draft(), team="platform", bucket="question").labels[-1] == "confidential"


@pytest.mark.parametrize(
    ("private", "expected"),
    [
        ({"triage_channels": {"nope": "G0X"}}, "private.triage_channels names team 'nope'"),
        ({"security_levels": {"teams": {"nope": "L"}}}, "private.security_levels.teams names team 'nope'"),
        ({"security_levels": {"buckets": {"nope": "L"}}}, "names bucket 'nope', which is not a bucket key"),
        ({"triage_channels": {"platform": "#triage"}}, "private.triage_channels.platform"),
        ({"label": "two words"}, "private.label"),
        ({"surprise": 1}, "private.surprise"),
    ],
)
def test_bad_private_sections_say_what_is_wrong(private: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        private_template(**private)
    assert expected in str(caught.value)
