from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "workspace"
BROKEN = REPO / "tests" / "data" / "broken"

Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def artigov() -> Runner:
    """Run the real command line in a subprocess: artigov(*args, cwd=..., env=...)."""

    def run(
        *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "ARTIGOV_ACTOR": "tests@example.org", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "artigov.cli", *map(str, args)],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example workspace (so tests never write into the repo)."""
    import shutil

    dest = tmp_path / "workspace"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".artigov"))
    return dest
