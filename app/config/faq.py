"""FAQ entries and bucket playbooks of the workflow template (`faq:` and `playbooks:`).

Entries live in the template (`faq.entries`) or in a YAML file it names (`faq.file`, relative to the
template); both may be used, the file's entries come after the inline ones. `app.config.faq_source`
loads the file and reloads it on change; `app.domain.faq` matches requests against the entries.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

FaqKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
_Emoji = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_+'-]{1,100}$")]
_Url = Annotated[str, StringConstraints(pattern=r"^https?://\S{1,2000}$")]

DEFAULT_THRESHOLD = 0.3
"""Calibrated on bench/data/faq_questions.yaml (tuning split): see bench/faq_precision.py."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaqEntry(_Strict):
    """One known question and its answer (Slack mrkdwn)."""

    id: FaqKey
    question: Annotated[str, StringConstraints(min_length=3, max_length=300)]
    answer: Annotated[str, StringConstraints(min_length=1, max_length=2500)]
    link: _Url | None = None
    keywords: tuple[Annotated[str, StringConstraints(min_length=1, max_length=60)], ...] = ()
    """Words a requester is likely to use; they weigh more than the question's and answer's words."""
    buckets: tuple[str, ...] = ()
    """Offer the entry only for these buckets (empty: any bucket)."""
    team: str | None = None
    """Offer the entry only for this team's requests (None: any team)."""


class FaqFile(_Strict):
    """The file `faq.file` names: `entries:` (a mapping, so the file can grow other keys later)."""

    entries: tuple[FaqEntry, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        return {"entries": data} if isinstance(data, list) else data


class FaqSettings(_Strict):
    file: str | None = None
    """A YAML file of entries, relative to the template; reloaded without a restart when it changes."""
    entries: tuple[FaqEntry, ...] = ()
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    """Least match confidence (0..1) for an entry to be suggested on intake."""
    max_answers: int = Field(default=2, ge=1, le=5)
    """How many entries an intake suggestion (and `/interrupt faq`) shows at most."""
    candidate_emoji: _Emoji = "book"
    """Reacting with it on a reply in a ticket's thread proposes the reply as an FAQ answer."""


class Playbook(_Strict):
    """What the on-call person should read first for a bucket: a link and a short summary."""

    url: _Url
    summary: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


def faq_problems(
    entries: tuple[FaqEntry, ...], *, team_keys: set[str], bucket_keys: set[str], where: str
) -> list[str]:
    """Entries that name unknown teams or buckets, and duplicate ids; `where` prefixes each problem."""
    problems: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        at = f"{where}[{index}] ({entry.id})"
        if entry.id in seen:
            problems.append(f"{at}: duplicate id {entry.id!r}")
        seen.add(entry.id)
        if entry.team is not None and entry.team not in team_keys:
            problems.append(f"{at}: team {entry.team!r} is not a team key")
        for bucket in entry.buckets:
            if bucket not in bucket_keys:
                problems.append(f"{at}: bucket {bucket!r} is not a bucket key")
    return problems
