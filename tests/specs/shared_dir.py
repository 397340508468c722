"""Where the read-only public specs and fixtures live: $INTERRUPT_BRIDGE_SHARED or <repo>/../shared.

Spec checks need that directory; behaviour tests never do. When it is missing, spec checks are
skipped with a `SpecsMissingWarning`, which pytest prints in its warnings summary.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

SHARED_ENV = "INTERRUPT_BRIDGE_SHARED"
REPO_ROOT = Path(__file__).resolve().parents[2]


class SpecsMissingWarning(UserWarning):
    """Spec checks were skipped because the shared directory is missing."""


def shared_dir() -> Path | None:
    """The shared directory, or None when it does not exist."""
    configured = os.environ.get(SHARED_ENV)
    path = Path(configured) if configured else REPO_ROOT.parent / "shared"
    return path if path.is_dir() else None


def warn_specs_missing(what: str) -> None:
    """The notice given when `what` (e.g. "Slack spec checks") is skipped for want of the specs."""
    where = os.environ.get(SHARED_ENV) or str(REPO_ROOT.parent / "shared")
    warnings.warn(
        f"{what} skipped: no shared specs at {where} (set {SHARED_ENV} to the shared directory)",
        SpecsMissingWarning,
        stacklevel=2,
    )
