"""The private path, as the workflow template configures it.

```yaml
private:
  enabled: true                         # offer "Ask privately" under the answer to a DM
  label: private-request                # on every private ticket (with the usual labels)
  triage_channels: {platform: G0PLATTRI}   # where on call hears of a private request (link only);
                                        # default: sla.triage_channels, else a DM to the person on call
  security_levels:                      # the Jira issue security level of private tickets (name or id)
    teams: {platform: Staff only}
    buckets: {access: Security team}    # a bucket's level wins over its team's
```

A private request is raised from the DM the requester started with the bot: its ticket's thread is
that DM thread, nothing is posted in a public channel, and the on-call person is told in the triage
channel (or by DM) with the ticket link, never the request's text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

_Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
_ChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,}$")]
_Label = Annotated[str, StringConstraints(pattern=r"^[^\s]{1,255}$")]
_LevelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]

PRIVATE_LABEL = "private-request"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecurityLevels(_Strict):
    teams: dict[_Key, _LevelName] = Field(default_factory=dict)
    buckets: dict[_Key, _LevelName] = Field(default_factory=dict)


class PrivatePath(_Strict):
    enabled: bool = True
    label: _Label = PRIVATE_LABEL
    triage_channels: dict[_Key, _ChannelId] = Field(default_factory=dict)
    security_levels: SecurityLevels = SecurityLevels()

    def security_field(self, team: str, bucket: str) -> dict[str, Any] | None:
        """The Jira `security` field value for a private ticket of `team` and `bucket`, if one is set.

        A level written as digits is an id, anything else a name (Jira accepts either).
        """
        level = self.security_levels.buckets.get(bucket) or self.security_levels.teams.get(team)
        if level is None:
            return None
        return {"id": level} if level.isdigit() else {"name": level}

    def problems(self, *, team_keys: Iterable[str], bucket_keys: Iterable[str]) -> list[str]:
        """What does not fit the rest of the template: for `Template` to report as validation errors."""
        teams, buckets = set(team_keys), set(bucket_keys)
        found = [
            f"private.{where} names team {key!r}, which is not a team key"
            for where, keys in (
                ("triage_channels", self.triage_channels),
                ("security_levels.teams", self.security_levels.teams),
            )
            for key in keys
            if key not in teams
        ]
        found += [
            f"private.security_levels.buckets names bucket {key!r}, which is not a bucket key"
            for key in self.security_levels.buckets
            if key not in buckets
        ]
        return found
