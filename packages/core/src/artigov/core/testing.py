"""Helpers for tests of artigov and of tools built on it (real files, no mocks)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "ARTIFACT_DEFAULTS",
    "ARTIFACT_TEMPLATE",
    "GIT_ENV",
    "force_forked",
    "git",
    "held_lock",
    "make_artifact",
    "make_workspace",
    "print_str_hash",
]

ARTIFACT_TEMPLATE = """\
---
id: {id}
version: "{version}"
status: {status}
framework: {framework}
kind: {kind}
{extra}---
{body}"""


#: A git identity and no user or system config, so tests behave the same on every machine.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(
    cwd: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run real git in ``cwd`` with :data:`GIT_ENV` (default branch ``main``); ``check``: raise
    AssertionError with git's output when it fails."""
    import os

    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stdout}{done.stderr}")
    return done


def make_workspace(root: Path, config: str | None = None, files: dict[str, str | bytes] | None = None) -> Path:
    """Create a workspace at ``root`` with ``artigov.yaml`` and the given files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "artigov.yaml").write_text(textwrap.dedent(config) if config else "artifacts: [frameworks/**]\n")
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


#: The metadata :func:`make_artifact` writes unless told otherwise.
ARTIFACT_DEFAULTS = {"version": "1.0.0", "status": "draft", "framework": "fwk-001", "kind": "technical-plan"}


def make_artifact(id: str, *, extra: str = "", body: str = "# Body\n", **metadata: str) -> str:
    """The text of a frontmatter artifact: ``id``, then ``metadata`` (version, status, framework
    and kind; :data:`ARTIFACT_DEFAULTS` for those not given), then the raw YAML lines ``extra``."""
    unknown = sorted(set(metadata) - set(ARTIFACT_DEFAULTS))
    if unknown:
        raise TypeError(f"make_artifact: unknown metadata {unknown}; put other fields in extra=")
    if extra and not extra.endswith("\n"):
        extra += "\n"
    return ARTIFACT_TEMPLATE.format(id=id, **{**ARTIFACT_DEFAULTS, **metadata}, extra=extra, body=body)


@contextmanager
def held_lock(lock: Path) -> Iterator[int]:
    """Another process holds ``lock`` (an flock) while the block runs; yields its pid."""
    code = (
        "import sys, time\nfrom pathlib import Path\nfrom artigov.core._atomic import FileLock\n"
        "with FileLock(Path(sys.argv[1])):\n    print('locked', flush=True)\n    time.sleep(120)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        if holder.stdout.readline().strip() != "locked":
            raise RuntimeError("the lock holder did not start")
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def force_forked(monkeypatch: Any, workers: int, module: object, threshold: str) -> None:
    """Split even a small job the way a big one is: ``module.<threshold>`` becomes 0 and
    :func:`artigov.core._parallel.fork_map` sees ``workers`` cores (``monkeypatch``: pytest's)."""
    from artigov.core import _parallel as parallel

    monkeypatch.setattr(module, threshold, 0)
    monkeypatch.setattr(parallel, "cores", lambda: workers)


def print_str_hash() -> None:
    """Print ``hash("artigov")``: which hash seed the process runs with (for a test of a server that
    forks processes with a seed of its own, :class:`artigov.core.ForkDoor`)."""
    print(hash("artigov"))
