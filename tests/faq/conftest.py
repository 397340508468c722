"""Bridges with a chosen template (the on-call tests' fixture)."""

from __future__ import annotations

from tests.oncall.conftest import make_bridge

__all__ = ["make_bridge"]
