"""Shared pytest setup for every package's tests (needs only artigov.core)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _quiet_logging() -> None:
    """Library code logs through structlog; keep test output to errors only."""
    from artigov.core import configure_logging, set_audit_path

    configure_logging("console", "error")
    set_audit_path(None)


@pytest.fixture(autouse=True, scope="session")
def _temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """What the tests' commands leave in the temporary folder (a crashed command's verifying
    keyring, say) goes under pytest's own temporary folder, which pytest prunes, not into /tmp."""
    import os
    import tempfile

    folder = tmp_path_factory.mktemp("tmpdir")
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
