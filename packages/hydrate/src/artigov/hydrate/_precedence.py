"""The precedence rule (rule_version 1) that ranks candidate artifacts.

Best first: status (approved > review > draft); then version, higher first
(PEP 440 order; versions that do not parse sort below those that do, and
among themselves as text); then newer commit time (git's last commit
touching the file; ``updated_at`` outside git; never mtime); then path,
bytewise ascending. Commit times are looked up only for candidates still
tied after status and version.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import cmp_to_key
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from artigov.schema import STATUS_RANK

if TYPE_CHECKING:
    from artigov.index import Entry

__all__ = ["RULE_VERSION", "Candidate", "CommitTimes", "decided_by", "rank", "rank_key"]

RULE_VERSION = 1


@dataclass(frozen=True)
class Candidate:
    """An indexed artifact that could be a stage's input: its path and its index entry."""

    path: str
    entry: Entry

    @property
    def status(self) -> str:
        """The candidate's indexed status."""
        return str(self.entry["status"])

    @property
    def version(self) -> str:
        """The candidate's indexed version."""
        return str(self.entry["version"])


def _version_key(text: str) -> tuple[int, Version | None, str]:
    try:
        return (1, Version(text), text)
    except InvalidVersion:
        return (0, None, text)


class CommitTimes:
    """Commit time of a path: git's last commit touching it, else ``updated_at``, else 0."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, tuple[int, str]] = {}
        self._git: bool | None = None

    def _in_git(self) -> bool:
        if self._git is None:
            try:
                out = subprocess.run(
                    ["git", "rev-parse", "--is-inside-work-tree"],
                    cwd=self.root,
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
                self._git = out.returncode == 0 and out.stdout.strip() == "true"
            except (OSError, subprocess.SubprocessError):
                self._git = False
        return self._git

    def prefetch(self, candidates: Sequence[Candidate]) -> None:
        """Look up many paths' commit times at once: one `git log` over their folders (per 500 folders).

        The newest commit touching a path is the first one `git log` lists it in; paths git never
        saw keep no entry here and fall back to ``updated_at`` in :meth:`__call__`.
        """
        todo = {c.path for c in candidates if c.path not in self._cache}
        if not todo or not self._in_git():
            return
        folders = sorted({p.rpartition("/")[0] or "." for p in todo})
        found: dict[str, int] = {}
        for start in range(0, len(folders), 500):
            out = subprocess.run(
                ["git", "log", "--relative", "--format=%x00%ct", "--name-only", "--", *folders[start : start + 500]],
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if out.returncode != 0:
                return  # fall back to one lookup per path
            for block in out.stdout.split("\x00")[1:]:
                lines = block.strip("\n").split("\n")
                if not lines or not lines[0].isdigit():
                    continue
                when = int(lines[0])
                for path in lines[1:]:
                    if path in todo:
                        found.setdefault(path, when)  # newest first: the first commit seen is the last
        for path in todo:
            if path in found:
                self._cache[path] = (found[path], "git")

    def __call__(self, cand: Candidate) -> tuple[int, str]:
        """(epoch seconds, source) where source is git, updated_at or none."""
        if cand.path in self._cache:
            return self._cache[cand.path]
        value: tuple[int, str] = (0, "none")
        if self._in_git():
            out = subprocess.run(
                ["git", "log", "-1", "--format=%ct", "--", cand.path],
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            if out.returncode == 0 and out.stdout.strip().isdigit():
                value = (int(out.stdout.strip()), "git")
        if value[1] == "none":
            updated = cand.entry.get("updated_at")
            if isinstance(updated, str):
                with suppress(ValueError):  # validated as date-time, but stay safe on odd input
                    value = (int(datetime.fromisoformat(updated.replace("Z", "+00:00")).timestamp()), "updated_at")
        self._cache[cand.path] = value
        return value


def _primary(c: Candidate) -> tuple[int, int, Version | None, str]:
    parsable, version, text = _version_key(c.version)
    return (STATUS_RANK[c.status], parsable, version, text)


def _cmp_keys(ka: tuple[int, int, Version | None, str], kb: tuple[int, int, Version | None, str]) -> int:
    for x, y in ((ka[0], kb[0]), (ka[1], kb[1])):
        if x != y:
            return -1 if x > y else 1
    if ka[1] == 1:
        assert ka[2] is not None and kb[2] is not None
        if ka[2] != kb[2]:
            return -1 if ka[2] > kb[2] else 1
    if ka[3] != kb[3] and ka[1] == 0:
        return -1 if ka[3] > kb[3] else 1
    return 0


def rank(candidates: Sequence[Candidate], commit_time: Callable[[Candidate], tuple[int, str]]) -> list[Candidate]:
    """Candidates best first; the order does not depend on the input order."""
    by_path = sorted(candidates, key=lambda c: c.path.encode("utf-8"))
    keys = {id(c): _primary(c) for c in by_path}  # parse each version once, not once per comparison
    primary = sorted(by_path, key=cmp_to_key(lambda a, b: _cmp_keys(keys[id(a)], keys[id(b)])))
    # Only candidates tied on status and version need commit times.
    out: list[Candidate] = []
    i = 0
    while i < len(primary):
        j = i + 1
        while j < len(primary) and _cmp_keys(keys[id(primary[i])], keys[id(primary[j])]) == 0:
            j += 1
        group = primary[i:j]
        if len(group) > 1:
            prefetch = getattr(commit_time, "prefetch", None)
            if prefetch is not None:
                prefetch(group)
            group = sorted(group, key=lambda c: -commit_time(c)[0])  # stable: path order kept within equal times
        out.extend(group)
        i = j
    return out


def rank_key(c: Candidate, commit_time: tuple[int, str] | None) -> dict[str, Any]:
    """The rank key as the decision log records it."""
    parsable, _, _ = _version_key(c.version)
    key: dict[str, Any] = {"status": c.status, "version": c.version, "version_parsable": bool(parsable), "path": c.path}
    if commit_time is not None:
        key["commit_time"] = commit_time[0]
        key["commit_time_source"] = commit_time[1]
    return key


def decided_by(loser: Candidate, winner: Candidate, commit_time: Callable[[Candidate], tuple[int, str]]) -> str:
    """The first rule of the precedence that ranks ``winner`` above ``loser``: status, version,
    commit_time or path (the decision log records it for every loser)."""
    lk, wk = _primary(loser), _primary(winner)
    if lk[0] != wk[0]:
        return "status"
    if _cmp_keys(lk, wk) != 0:
        return "version"
    if commit_time(loser)[0] != commit_time(winner)[0]:
        return "commit_time"
    return "path"
