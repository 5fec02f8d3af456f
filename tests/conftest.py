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


@pytest.fixture
def printed_pages() -> Callable[[Path, Path], list[str]]:
    """Print an HTML page to PDF with headless Chromium, as an auditor would: the text of each
    page (pypdf). Call it as printed_pages(page, profile_dir)."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")

    def run(page: Path, profile: Path) -> list[str]:
        from pypdf import PdfReader

        if chromium is None:
            pytest.skip("headless Chromium not installed (.ci/run installs Debian's chromium)")
        pdf = profile.parent / f"{page.stem}.pdf"
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
        subprocess.run(
            [
                chromium,
                *flags,
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
        return [p.extract_text() for p in PdfReader(pdf).pages]

    return run
