"""Shared pytest setup for every package's tests (needs only artigov.core)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _quiet_logging() -> None:
    """Library code logs through structlog; keep test output to errors only."""
    from artigov.core import configure_logging, set_audit_path

    configure_logging("console", "error")
    set_audit_path(None)
