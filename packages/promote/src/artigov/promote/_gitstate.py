"""What git says about a promotion: the commit promoted, uncommitted inputs, and the record commit."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from artigov.promote.errors import PromotionError

__all__ = ["GitState", "commit_record", "git_state"]


@dataclass(frozen=True)
class GitState:
    """``commit`` is None outside a git work tree; ``dirty`` lists inputs that differ from it."""

    commit: str | None
    dirty: tuple[str, ...] = ()

    @property
    def inputs_committed(self) -> bool:
        """True inside a git work tree when no input differs from the commit."""
        return self.commit is not None and not self.dirty


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL
    )


def git_state(root: Path, paths: list[str]) -> GitState:
    """``git rev-parse HEAD`` and the inputs among ``paths`` that are modified, staged or untracked."""
    try:
        head = _git(root, "rev-parse", "--verify", "-q", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return GitState(None)
    if head.returncode != 0:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
        if inside.returncode == 0 and inside.stdout.strip() == "true":
            return GitState(None, tuple(sorted(paths)))  # a repository with no commit yet: nothing is committed
        return GitState(None)
    if not paths:
        return GitState(head.stdout.strip())
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
    dirty: set[str] = set()
    if status.returncode == 0:
        prefix = _git(root, "rev-parse", "--show-prefix").stdout.strip()
        for item in status.stdout.split("\0"):
            if len(item) > 3:
                path = item[3:]
                dirty.add(path.removeprefix(prefix) if prefix else path)
    return GitState(head.stdout.strip(), tuple(sorted(dirty)))


def commit_record(root: Path, paths: list[str], message: str) -> str:
    """Stage ``paths`` (the record's changes) and commit only them; return the new commit."""
    added = _git(root, "add", "--", *paths)
    if added.returncode != 0:
        raise PromotionError(f"git add failed: {added.stderr.strip()[-300:]}", fix="commit the record by hand")
    done = _git(root, "commit", "--quiet", "-m", message, "--", *paths)
    if done.returncode != 0:
        raise PromotionError(
            f"the snapshot is written, but git commit failed: {(done.stderr or done.stdout).strip()[-300:]}",
            fix="commit the record by hand (git add governance artifacts_index.json && git commit)",
        )
    return _git(root, "rev-parse", "HEAD").stdout.strip()
