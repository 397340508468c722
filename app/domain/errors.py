"""Errors the domain and the worker understand, whatever client raised them."""

from __future__ import annotations


class ExternalError(Exception):
    """A call to Slack or Jira failed."""

    def __init__(
        self, message: str, *, retry_after_s: float | None = None, field_errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        # Jira's per-field validation messages ({"reporter": "..."}), when it sent them
        self.field_errors = field_errors or {}


class RetryableError(ExternalError):
    """Try again later (5xx, 429, timeouts, connection errors)."""


class AmbiguousError(RetryableError):
    """The request may or may not have taken effect (timeout or reset after sending).

    A create that fails this way must look for what it may have created before creating again.
    """


class PermanentError(ExternalError):
    """Retrying cannot help (4xx validation, missing permission, unknown channel)."""


class NotReadyError(Exception):
    """The job depends on something that has not happened yet; run it again shortly."""

    def __init__(self, message: str, *, delay_s: float = 2.0) -> None:
        super().__init__(message)
        self.delay_s = delay_s


class UserGroupUnavailable(PermanentError):
    """The on-call user group cannot be read or changed: `permission_denied`, `plan_upgrade_required`,
    `missing_scope` or a group that does not exist (`no_such_subteam`). An operator must act."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
