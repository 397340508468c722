"""The workflow template: teams, buckets, priorities, intake questions and message texts.

The template is what makes requesters bucket their request and what derives a realistic priority;
everything here is data, the decisions live in `app.domain`. Limits that Slack enforces on the intake
modal (option texts, option counts) are checked here, so a template that loads always renders.
"""

from __future__ import annotations

import json
import string
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from app.config.digest import Digest
from app.config.faq import FaqSettings, Playbook, faq_problems
from app.config.private import PrivatePath
from app.config.rotation import Rotation
from app.config.sla import JiraSync, SlaPolicy

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Emoji = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_+'-]{1,100}$")]
ChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,}$")]
SlackUserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]
Label = Annotated[str, StringConstraints(pattern=r"^[^\s]{1,255}$")]
ProjectKey = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,9}$")]

JiraFieldId = Annotated[
    str, StringConstraints(pattern=r"^(customfield_[0-9]{1,12}|[a-z][A-Za-z0-9_]{0,63})$")
]
OptionText = Annotated[str, StringConstraints(min_length=1, max_length=75)]
"""Slack shows at most 75 characters of an option's text or description."""

SELECT_OPTIONS_MAX = 100
"""Slack's limit on the options of a static select."""
BUCKET_INPUTS_MAX = 50
"""Keeps the intake modal under Slack's 100 blocks with room for the fixed fields."""
VIEW_BYTES_MAX = 250_000
"""Slack refuses a view whose JSON is larger (`view_too_large`)."""
BRIDGE_JIRA_FIELDS = frozenset({"project", "issuetype", "summary", "description", "labels", "priority"})
"""Jira fields the bridge sets itself; a form input may not overwrite them."""

InputType = Literal["text", "long_text", "select", "multi_select", "user", "date", "url"]
JiraShape = Literal["string", "date", "option", "options", "name", "names", "array", "user"]

# Which Jira REST v2 shapes each input type can produce; the first is the default. See `FormInput`.
JIRA_SHAPES: dict[str, tuple[JiraShape, ...]] = {
    "text": ("string",),
    "long_text": ("string",),
    "url": ("string",),
    "date": ("date",),
    "select": ("option", "string", "name"),
    "multi_select": ("options", "array", "names"),
    "user": ("user",),
}

MESSAGE_PLACEHOLDERS = frozenset(
    {"ticket_key", "ticket_url", "bucket", "priority", "requester", "channel", "team", "reactor"}
    # the on-call handle (or person), and when the team answers if it is outside support hours
    | {"oncall", "support"}
)


def _unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    dupes = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
    if dupes:
        raise ValueError(f"duplicate {what}: {', '.join(dupes)}")


def _json_len(text: str) -> int:
    return len(json.dumps(text))


def _option_bytes(text: str, value: str, description: str = "") -> int:
    """JSON size of a select option; Slack shows at most 75 characters of its text and description."""
    return 100 + _json_len(text[:75]) + _json_len(value) + _json_len(description[:75])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JiraTarget(_Strict):
    project: ProjectKey
    issue_type: str = "Task"
    labels: tuple[Label, ...] = ()
    fields: dict[str, Any] = Field(default_factory=dict)


class Team(_Strict):
    key: Key
    name: str
    channels: tuple[ChannelId, ...] = Field(min_length=1)
    jira: JiraTarget
    members: tuple[SlackUserId, ...] = ()
    """Slack user ids who may edit any of the team's tickets; the requester may always edit their own."""
    rotation: Rotation | None = None
    """The on-call rotation whose person owns new tickets (see `app.config.rotation`)."""
    digest: Digest | None = None
    """The weekly interrupt digest posted in the team's channel (see `app.config.digest`)."""


class Choice(_Strict):
    """One answer to an intake question."""

    key: Key
    label: OptionText
    description: OptionText | None = None


class Question(_Strict):
    """An impact or urgency question: a required single choice in the modal."""

    label: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    hint: Annotated[str, StringConstraints(max_length=2000)] = ""
    options: tuple[Choice, ...] = Field(min_length=1, max_length=SELECT_OPTIONS_MAX)

    @model_validator(mode="after")
    def _unique_keys(self) -> Question:
        _unique("option keys", [o.key for o in self.options])
        return self

    def keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.options)


_IMPACT = Question(
    label="Who is affected?",
    options=(
        Choice(key="person", label="Only me / one person"),
        Choice(key="team", label="A team"),
        Choice(key="many-teams", label="Several teams"),
        Choice(key="customers", label="Customers"),
    ),
)
_URGENCY = Question(
    label="Is work blocked?",
    options=(
        Choice(key="not-blocked", label="No, it can wait"),
        Choice(key="slowed", label="Work is slowed down"),
        Choice(key="blocked", label="Work is blocked"),
    ),
)
# ITIL-like: priority never falls as impact or urgency rises, and a step of either is worth about the
# same. Blocked customers are the only Highest; one person who can wait is the only Lowest.
_MATRIX: dict[str, dict[str, str]] = {
    "person": {"not-blocked": "Lowest", "slowed": "Low", "blocked": "Medium"},
    "team": {"not-blocked": "Low", "slowed": "Medium", "blocked": "High"},
    "many-teams": {"not-blocked": "Medium", "slowed": "High", "blocked": "High"},
    "customers": {"not-blocked": "Medium", "slowed": "High", "blocked": "Highest"},
}


class Intake(_Strict):
    """The questions every intake modal asks and the impact-by-urgency matrix that turns them into a priority.

    `matrix[impact][urgency]` is a name from `Template.priorities`; every cell must be present. The
    bucket's floor and ceiling still apply to the result. Requesters pick a priority themselves only
    when `allow_priority_override` is true (the floor and ceiling apply to their pick as well).
    """

    impact: Question = _IMPACT
    urgency: Question = _URGENCY
    matrix: dict[Key, dict[Key, str]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in _MATRIX.items()}
    )
    allow_priority_override: bool = False

    @model_validator(mode="after")
    def _complete_matrix(self) -> Intake:
        impacts, urgencies = self.impact.keys(), self.urgency.keys()
        for impact in impacts:
            row = self.matrix.get(impact)
            if row is None:
                raise ValueError(f"matrix has no row for impact {impact!r}")
            missing = [u for u in urgencies if u not in row]
            if missing:
                raise ValueError(
                    f"matrix[{impact!r}] has no cell for urgency {', '.join(map(repr, missing))}"
                )
            extra = sorted(set(row) - set(urgencies))
            if extra:
                raise ValueError(f"matrix[{impact!r}] names unknown urgency {', '.join(map(repr, extra))}")
        extra = sorted(set(self.matrix) - set(impacts))
        if extra:
            raise ValueError(f"matrix names unknown impact {', '.join(map(repr, extra))}")
        return self

    def priority(self, impact: str, urgency: str) -> str:
        """The matrix cell; KeyError for an impact or urgency the questions do not offer."""
        return self.matrix[impact][urgency]


class InputOption(_Strict):
    """One choice of a select input. `value` is what Jira receives (a select field's option text)."""

    value: Annotated[str, StringConstraints(min_length=1, max_length=150)]
    label: OptionText | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `options: [GitHub, Vault]` is the common case: the Jira value doubles as the label.
        return {"value": data} if isinstance(data, str) else data

    @property
    def text(self) -> str:
        return self.label or self.value


class FormInput(_Strict):
    """A bucket-specific field of the intake modal, mapped to one Jira field.

    The Jira REST v2 shape of the value follows `jira_shape`, which defaults by `type`:
    text, long_text, url → `string`; date → `date` ("YYYY-MM-DD"); select → `option` ({"value": v},
    a custom select field); multi_select → `options` ([{"value": v}, ...]); user → `user` (a Slack user
    id that the worker resolves to a Jira user). Other choices: select → `string` (a text field) or
    `name` ({"name": v}); multi_select → `array` ([v, ...], e.g. a labels-like field) or `names`
    ([{"name": v}, ...], e.g. `components`).
    """

    key: Key
    label: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    type: InputType
    jira_field: JiraFieldId
    required: bool = False
    options: tuple[InputOption, ...] = Field(default=(), max_length=SELECT_OPTIONS_MAX)
    placeholder: Annotated[str, StringConstraints(max_length=150)] = ""
    hint: Annotated[str, StringConstraints(max_length=2000)] = ""
    jira_shape: JiraShape | None = None
    allow_past: bool = False
    """Dates only: accept a date before today (a due date in the past is almost always a typo)."""

    @model_validator(mode="after")
    def _consistent(self) -> FormInput:
        is_select = self.type in ("select", "multi_select")
        if is_select and not self.options:
            raise ValueError(f"a {self.type} input needs options")
        if not is_select and self.options:
            raise ValueError(f"a {self.type} input takes no options")
        _unique("option values", [o.value for o in self.options])
        allowed = JIRA_SHAPES[self.type]
        if self.jira_shape is not None and self.jira_shape not in allowed:
            raise ValueError(
                f"jira_shape {self.jira_shape!r} does not fit a {self.type} input; "
                f"use one of {', '.join(allowed)}"
            )
        if self.allow_past and self.type != "date":
            raise ValueError("allow_past applies to date inputs only")
        if self.jira_field.startswith("customfield") and not self.jira_field[12:].isdigit():
            raise ValueError(f"jira_field {self.jira_field!r}: a custom field id reads customfield_<number>")
        if self.jira_field in BRIDGE_JIRA_FIELDS:
            raise ValueError(f"jira_field {self.jira_field!r} is set by the bridge itself")
        return self

    @property
    def shape(self) -> JiraShape:
        return self.jira_shape or JIRA_SHAPES[self.type][0]

    @property
    def block_id(self) -> str:
        """The modal block that holds this input (and that errors are reported on)."""
        return f"input:{self.key}"

    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)


class Bucket(_Strict):
    key: Key
    name: str
    description: str = ""
    emoji: tuple[Emoji, ...] = ()
    labels: tuple[Label, ...] = ()
    default_priority: str | None = None
    priority_floor: str | None = None
    priority_ceiling: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    inputs: tuple[FormInput, ...] = Field(default=(), max_length=BUCKET_INPUTS_MAX)
    """Extra modal fields for this bucket; their answers win over `fields` and the team's fields."""
    urgent: bool = False
    """Outside support hours the redirect reply still pages the on-call handle for this bucket."""

    @model_validator(mode="after")
    def _unique_inputs(self) -> Bucket:
        _unique("input keys", [i.key for i in self.inputs])
        _unique("input jira_field", [i.jira_field for i in self.inputs])
        return self


class Messages(_Strict):
    redirect: str = (
        ":ticket: Thanks {requester}! This is tracked as *<{ticket_url}|{ticket_key}>* "
        "({bucket}, priority {priority}). Please follow up in the ticket or in this thread."
    )
    already_tracked: str = "This message is already tracked as <{ticket_url}|{ticket_key}>."

    @field_validator("redirect", "already_tracked")
    @classmethod
    def _known_placeholders(cls, text: str) -> str:
        for _, name, _, _ in string.Formatter().parse(text):
            if name is not None and name not in MESSAGE_PLACEHOLDERS:
                known = ", ".join(sorted(MESSAGE_PLACEHOLDERS))
                raise ValueError(f"unknown placeholder {{{name}}}; known placeholders: {known}")
        return text


class Defaults(_Strict):
    trigger_emoji: tuple[Emoji, ...] = ("ticket",)
    default_bucket: Key
    tracked_reaction: Emoji = "eyes"
    labels: tuple[Label, ...] = ("interrupt",)


class Template(_Strict):
    version: int = 1
    priorities: tuple[str, ...] = ("Highest", "High", "Medium", "Low", "Lowest")
    default_priority: str = "Medium"
    defaults: Defaults
    # A team or bucket is an option of a Slack select in the intake modal, hence the upper bounds.
    teams: tuple[Team, ...] = Field(min_length=1, max_length=SELECT_OPTIONS_MAX)
    buckets: tuple[Bucket, ...] = Field(min_length=1, max_length=SELECT_OPTIONS_MAX)
    intake: Intake = Intake()
    messages: Messages = Messages()
    sla: SlaPolicy = SlaPolicy()
    sync: JiraSync = JiraSync()
    private: PrivatePath = PrivatePath()
    faq: FaqSettings = FaqSettings()
    playbooks: dict[Key, Playbook] = Field(default_factory=dict)
    """Per bucket key: shown to the on-call person in a new ticket's thread (see README, FAQ)."""

    @model_validator(mode="after")
    def _faq_refs(self) -> Template:
        buckets = {b.key for b in self.buckets}
        problems = faq_problems(
            self.faq.entries, team_keys={t.key for t in self.teams}, bucket_keys=buckets, where="faq.entries"
        )
        problems += [f"playbooks.{k}: not a bucket key" for k in self.playbooks if k not in buckets]
        trigger = set(self.defaults.trigger_emoji) | {e for b in self.buckets for e in b.emoji}
        if self.faq.candidate_emoji in trigger:
            problems.append(f"faq.candidate_emoji {self.faq.candidate_emoji!r} is also a trigger emoji")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        if problems := self.sla.problems(priorities=self.priorities, team_keys=[t.key for t in self.teams]):
            raise ValueError("; ".join(problems))
        if problems := self.private.problems(
            team_keys=[t.key for t in self.teams], bucket_keys=[b.key for b in self.buckets]
        ):
            raise ValueError("; ".join(problems))
        _unique("teams", [t.key for t in self.teams])
        _unique("buckets", [b.key for b in self.buckets])
        channels = [c for t in self.teams for c in t.channels]
        _unique("team channels", channels)
        bucket_keys = {b.key for b in self.buckets}
        if self.defaults.default_bucket not in bucket_keys:
            raise ValueError(f"defaults.default_bucket {self.defaults.default_bucket!r} is not a bucket key")
        known = set(self.priorities)
        if self.default_priority not in known:
            raise ValueError(f"default_priority {self.default_priority!r} is not one of priorities")
        for bucket in self.buckets:
            for attr in ("default_priority", "priority_floor", "priority_ceiling"):
                value = getattr(bucket, attr)
                if value is not None and value not in known:
                    raise ValueError(f"bucket {bucket.key!r}: {attr} {value!r} is not one of priorities")
            floor, ceiling = bucket.priority_floor, bucket.priority_ceiling
            if floor and ceiling and self.rank(floor) < self.rank(ceiling):
                raise ValueError(f"bucket {bucket.key!r}: priority_floor is above priority_ceiling")
        emoji = [e for b in self.buckets for e in b.emoji] + list(self.defaults.trigger_emoji)
        _unique("trigger emoji (defaults.trigger_emoji and bucket emoji)", emoji)
        if len(self.priorities) > SELECT_OPTIONS_MAX:
            raise ValueError(f"at most {SELECT_OPTIONS_MAX} priorities (they are options of a Slack select)")
        self._check_matrix(known)
        for bucket in self.buckets:
            size = self.modal_bytes(bucket)
            if size > VIEW_BYTES_MAX:
                raise ValueError(
                    f"bucket {bucket.key!r}: its intake modal could reach {size // 1000} kB and Slack "
                    f"refuses views over {VIEW_BYTES_MAX // 1000} kB; shorten its inputs' options, labels "
                    "or hints"
                )
        return self

    def modal_bytes(self, bucket: Bucket) -> int:
        """A generous bound on the JSON size of the intake modal showing `bucket`.

        Counts everything the template puts into the view, each select's initial options included,
        plus a fixed allowance for the summary, the description and the private metadata. Free-text
        answers typed into the bucket's inputs are not counted: `intake_view` leaves them out when
        the view would be too large, and Slack keeps them across `views.update` anyway.
        """
        teams = [_option_bytes(t.name, t.key) for t in self.teams]
        buckets = [_option_bytes(b.name, b.key, b.description) for b in self.buckets]
        size = 30_000 + sum(teams) + max(teams) + sum(buckets) + max(buckets)
        size += _json_len(bucket.description[:3000])
        questions = [self.intake.impact, self.intake.urgency]
        for question in questions:
            options = [_option_bytes(c.label, c.key, c.description or "") for c in question.options]
            size += 300 + _json_len(question.label) + _json_len(question.hint) + sum(options) + max(options)
        if self.intake.allow_priority_override:
            size += 300 + 2 * sum(_option_bytes(p, p) for p in self.priorities)
        for form_input in bucket.inputs:
            size += 300 + sum(
                _json_len(t) for t in (form_input.label, form_input.hint, form_input.placeholder)
            )
            # A multi-select can repeat every option as an initial one.
            repeat = 2 if form_input.type == "multi_select" else 1
            size += repeat * sum(_option_bytes(o.text, o.value) for o in form_input.options)
        return size

    def _check_matrix(self, known: set[str]) -> None:
        hint = ""
        if "intake" not in self.model_fields_set:
            hint = " (the default intake matrix uses Highest..Lowest; with other priority names, write one)"
        for impact, row in self.intake.matrix.items():
            for urgency, name in row.items():
                if name not in known:
                    raise ValueError(
                        f"intake.matrix[{impact!r}][{urgency!r}] {name!r} is not one of priorities{hint}"
                    )

    def rank(self, priority: str) -> int:
        """0 is the highest priority; larger is lower."""
        return self.priorities.index(priority)

    def bucket(self, key: str) -> Bucket:
        for bucket in self.buckets:
            if bucket.key == key:
                return bucket
        raise KeyError(key)

    def team(self, key: str) -> Team:
        for team in self.teams:
            if team.key == key:
                return team
        raise KeyError(key)
