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


def _git(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,  # with ``input``, a pipe
    )


def git_state(root: Path, paths: list[str]) -> GitState:
    """``git rev-parse HEAD`` and those of ``paths`` whose bytes are not the ones HEAD holds
    (:func:`_differ_from_head`; ``git status``'s modified, staged or untracked when git cannot
    tell that way)."""
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
    differ = _differ_from_head(root, paths)
    return GitState(head.stdout.strip(), differ if differ is not None else _status_dirty(root, paths))


def _blobs(root: Path, paths: list[str], *extra: str) -> list[str] | None:
    """The blob id of the bytes on disk of each of ``paths`` (named from the top of the work
    tree): raw with ``extra`` ``--no-filters``, else through the repository's clean filters and
    line-ending rules. None when git cannot hash one."""
    done = _git(root, "hash-object", *extra, "--stdin-paths", stdin="".join(f"{p}\n" for p in paths))
    blobs = done.stdout.split()
    return blobs if done.returncode == 0 and len(blobs) == len(paths) else None


def _differ_from_head(root: Path, paths: list[str]) -> tuple[str, ...] | None:
    """Those of ``paths`` whose bytes on disk are not HEAD's blob of that path (raw, or through the
    clean filters: a CRLF checkout of an LF blob, or a CRLF blob as it was committed), or that
    HEAD does not hold as a regular file. Neither reads git's index (``git status`` holds all of
    it: ~300 bytes a file of the repository), so memory does not grow with the repository. None
    when git cannot tell this way (a path git cannot hash, a name with a newline): the caller asks
    ``git status``."""
    shown = _git(root, "rev-parse", "--show-prefix")  # both commands below name paths from the top
    if shown.returncode != 0 or any("\n" in p for p in paths):
        return None
    prefix = shown.stdout.strip("\n")
    full = {prefix + p: p for p in paths}
    listed = _git(root, "--literal-pathspecs", "ls-tree", "--full-tree", "-z", "HEAD", "--", *full)
    if listed.returncode != 0:
        return None
    held: dict[str, str] = {}
    for item in listed.stdout.split("\0"):
        info, _, path = item.partition("\t")
        if info.startswith(("100644 blob ", "100755 blob ")):
            held[path] = info.split()[2]
    tracked = [p for p in full if p in held]
    filtered = _blobs(root, tracked)
    if filtered is None:
        return None
    unlike = [p for p, blob in zip(tracked, filtered, strict=True) if blob != held[p]]
    raw = _blobs(root, unlike, "--no-filters") if unlike else []  # only where the filters made a difference
    if raw is None:
        return None
    same = {full[p] for p in tracked} - {full[p] for p, blob in zip(unlike, raw, strict=True) if blob != held[p]}
    return tuple(sorted(p for p in set(paths) if p not in same))


def _status_dirty(root: Path, paths: list[str]) -> tuple[str, ...]:
    """Those of ``paths`` that ``git status`` calls modified, staged or untracked."""
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
    dirty: set[str] = set()
    if status.returncode == 0:
        prefix = _git(root, "rev-parse", "--show-prefix").stdout.strip()
        for item in status.stdout.split("\0"):
            if len(item) > 3:
                path = item[3:]
                dirty.add(path.removeprefix(prefix) if prefix else path)
    return tuple(sorted(dirty))


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
