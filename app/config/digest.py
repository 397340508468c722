"""A team's weekly digest: when it is posted (weekday, time, IANA zone) and where.

```yaml
teams:
  - key: platform
    digest: {weekday: mon, time: "09:30", timezone: Europe/Berlin}   # channel: the team's first
```
"""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, field_validator

from app.config.rotation import ClockTime, TimeZoneName, WeekdayName


class Digest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weekday: WeekdayName = "mon"
    time: ClockTime = time(9, 0)
    timezone: TimeZoneName = "UTC"
    channel: str | None = None
    """A channel id; the team's first support channel when left out."""

    @field_validator("channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is not None and not (value[:1] in "CG" and value[1:].isalnum() and value.isupper()):
            raise ValueError(f"{value!r} is not a Slack channel id (C… or G…)")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
