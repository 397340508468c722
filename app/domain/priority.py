"""The priority of a ticket raised through the intake modal.

The requester answers the template's impact and urgency questions; the template's matrix turns the
answers into a Jira priority name. A priority the requester picks directly counts only when the
template allows it. Either way the bucket's floor and ceiling have the last word, so an incident is
never filed below its floor whatever anybody answered.
"""

from __future__ import annotations

from app.config.template import Bucket, Template
from app.domain.intake import clamp_priority


def priority_for(
    template: Template, bucket: Bucket, *, impact: str, urgency: str, requested: str | None = None
) -> str:
    """The Jira priority name for these answers.

    Raises ValueError for an impact or urgency the template's questions do not offer, or for a
    requested priority that is not one of the template's priorities (when overrides are allowed);
    callers that parsed a submission with `parse_submission` never hit either.
    """
    try:
        priority = template.intake.priority(impact, urgency)
    except KeyError:
        raise ValueError(f"no intake matrix cell for impact {impact!r} and urgency {urgency!r}") from None
    if requested is not None and template.intake.allow_priority_override:
        if requested not in template.priorities:
            raise ValueError(f"requested priority {requested!r} is not one of the template's priorities")
        priority = requested
    return clamp_priority(template, bucket, priority)
