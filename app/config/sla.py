"""SLA targets per priority and the options of the Jira <-> Slack sync, as the workflow template holds them.

```yaml
sla:
  targets:                          # per priority name; a priority without a target has no SLA clock
    Highest: {first_response: 30m, resolution: 4h, clock: 24x7}
    High: {first_response: 2h, resolution: 2d}
    Medium: {first_response: 4h, resolution: 5d}
  reminders: [0.75, 1.0]            # remind the on-call person at these fractions of each target
  triage_channels: {platform: C0PLATTRI}   # remind there instead of in the ticket's thread
  timezone: UTC                     # business hours of a team without a rotation (Mon-Fri 09:00-17:00)

sync:
  status_messages: true             # a short thread message for each Jira status change
  mirror_jira_comments: true        # public Jira comments into the ticket's thread
  mirror_slack_replies: true        # replies in the ticket's thread into Jira comments
  resolved_reaction: white_check_mark
  prevention_label: prevention-noted
```

Durations read `30m`, `4h`, `2d`, `1d4h`. With `clock: business` (the default) only the team's support
hours count (its rotation's `support` days and hours, `holidays` and `timezone`), and a day `d` is one
support day (8 hours for "09:00-17:00"): "2d" from Tuesday 15:00 is due Thursday 15:00. With `24x7` every
hour counts and a day is 24 hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from app.config.rotation import TimeZoneName

_SPAN = re.compile(r"^(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?$")

ClockKind = Literal["business", "24x7"]
TargetName = Literal["first_response", "resolution"]
TARGET_NAMES: tuple[TargetName, ...] = ("first_response", "resolution")

_Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
_ChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,}$")]
_Emoji = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_+'-]{1,100}$")]
_Label = Annotated[str, StringConstraints(pattern=r"^[^\s]{1,255}$")]


@dataclass(frozen=True)
class Span:
    """A target duration: whole (support) days plus minutes. See the module docstring for what a day is."""

    days: int = 0
    minutes: int = 0

    def __str__(self) -> str:
        hours, minutes = divmod(self.minutes, 60)
        text = (f"{self.days}d" if self.days else "") + (f"{hours}h" if hours else "")
        return text + (f"{minutes}m" if minutes or not text else "")


def parse_span(text: str) -> Span:
    """'4h' → Span(minutes=240); '1d4h' → Span(1, 240). ValueError for anything else or zero."""
    cleaned = text.replace(" ", "").lower()
    match = _SPAN.fullmatch(cleaned)
    if match is None or not cleaned:
        raise ValueError(f"{text!r} is not a duration; write e.g. 30m, 4h, 2d or 1d4h")
    days, hours, minutes = (int(group) if group else 0 for group in match.groups())
    span = Span(days=days, minutes=hours * 60 + minutes)
    if span.days == 0 and span.minutes == 0:
        raise ValueError(f"{text!r} is zero; a target must be longer than that")
    return span


def _span(value: Any) -> Any:
    if isinstance(value, Span):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"got the number {value}: write a duration with its unit, e.g. {value}h or {value}m")
    if isinstance(value, str):
        return parse_span(value)
    raise ValueError(f"{value!r} is not a duration; write e.g. 30m, 4h, 2d or 1d4h")


SpanValue = Annotated[Span, BeforeValidator(_span)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlaTarget(_Strict):
    """The targets of one priority; either may be left out."""

    first_response: SpanValue | None = None
    resolution: SpanValue | None = None
    clock: ClockKind = "business"

    def span(self, name: TargetName) -> Span | None:
        return self.first_response if name == "first_response" else self.resolution


class SlaPolicy(_Strict):
    targets: dict[str, SlaTarget] = Field(default_factory=dict)
    reminders: tuple[float, ...] = (0.75, 1.0)
    triage_channels: dict[_Key, _ChannelId] = Field(default_factory=dict)
    timezone: TimeZoneName = "UTC"

    @field_validator("reminders")
    @classmethod
    def _sensible_fractions(cls, fractions: tuple[float, ...]) -> tuple[float, ...]:
        for fraction in fractions:
            if not 0 < fraction <= 10:
                raise ValueError(f"{fraction} is not a fraction of a target; use e.g. 0.75 or 1.0")
        if len({permille(f) for f in fractions}) != len(fractions):
            raise ValueError("lists a fraction twice")
        return tuple(sorted(fractions))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def target(self, priority: str) -> SlaTarget | None:
        return self.targets.get(priority)

    def problems(self, *, priorities: Iterable[str], team_keys: Iterable[str]) -> list[str]:
        """What does not fit the rest of the template: for `Template` to report as validation errors."""
        known, teams = set(priorities), set(team_keys)
        found = [
            f"sla.targets names {name!r}, which is not one of priorities"
            for name in self.targets
            if name not in known
        ]
        found += [
            f"sla.triage_channels names team {key!r}, which is not a team key"
            for key in self.triage_channels
            if key not in teams
        ]
        return found


class JiraSync(_Strict):
    status_messages: bool = True
    mirror_jira_comments: bool = True
    mirror_slack_replies: bool = True
    resolved_reaction: _Emoji = "white_check_mark"
    prevention_label: _Label | None = "prevention-noted"
    """Added to the issue with a prevention note; None adds no label."""


def permille(fraction: float) -> int:
    """A reminder fraction as the integer stored with it (0.75 → 750), so equality is exact."""
    return round(fraction * 1000)


def policy_of(template: object) -> SlaPolicy:
    """The template's `sla:` section, or an empty policy (no clocks) while the template has none."""
    found = getattr(template, "sla", None)
    return found if isinstance(found, SlaPolicy) else SlaPolicy()


def sync_of(template: object) -> JiraSync:
    """The template's `sync:` section, or the defaults."""
    found = getattr(template, "sync", None)
    return found if isinstance(found, JiraSync) else JiraSync()
