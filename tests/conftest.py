from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class HooksSource:
    """Where pre-commit takes artigov's hooks from in a test: this checkout at one commit, and the
    pre-commit store every test shares (the hooks' environment is built once per test run)."""

    repo: Path
    rev: str
    home: Path


@pytest.fixture(scope="session")
def hooks_source(tmp_path_factory: pytest.TempPathFactory) -> HooksSource:
    """This checkout as a pre-commit hook repository, the same for every pytest-xdist worker.

    The commit is ``HEAD``, or, when tracked files have changes, a commit of the working tree
    (``git stash create``: the checkout is not touched) in a shadow clone that borrows this
    checkout's objects: the hooks under test are the code under test, as ``pre-commit try-repo``
    does. pre-commit locks its own store, so the workers share one."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the folder every worker's base sits in, new for each run
    shared = base / "artigov-hooks"
    with (base / "artigov-hooks.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = shared / "source.json"
        if not found.exists():
            shared.mkdir(exist_ok=True)
            repo, rev = _hooks_commit(shared)
            found.write_text(json.dumps({"repo": str(repo), "rev": rev}))
        made = json.loads(found.read_text())
    return HooksSource(Path(made["repo"]), made["rev"], shared / "home")


def _hooks_commit(shared: Path) -> tuple[Path, str]:
    def git(*args: str, cwd: Path = REPO) -> str:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()

    changed = git("stash", "create")
    if not changed:
        return REPO, git("rev-parse", "HEAD")
    shadow = shared / "shadow"
    git("clone", "-q", "--shared", "--no-checkout", str(REPO), str(shadow))
    git("update-ref", "refs/heads/hooks-under-test", changed, cwd=shadow)
    return shadow, changed
