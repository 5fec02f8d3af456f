"""``artigov index merge %O %A %B``: a git merge driver for ``artifacts_index.json``.

git's own line merge already merges two branches that touch different artifacts (the index is
one entry per line). The driver does better where lines touch: it merges three ways BY PATH, so
two branches that add neighbouring artifacts, or edit one and add its neighbour, merge too. Then
it re-validates the merged entries (every field, and no (id, version) held by two paths). A path
changed differently on both sides is a real conflict: the result keeps our side for it and the
driver exits 1, so git marks the file conflicted; resolve the artifacts, then run
``artigov index update``.

Register it (``artigov init`` writes the ``.gitattributes`` line and prints the config line)::

    # .gitattributes
    artifacts_index.json merge=artigov-index
    # once per clone
    git config merge.artigov-index.driver "artigov index merge %O %A %B"

A hosting service's server-side merge runs no custom driver; it falls back to git's text merge,
which the line format is made for, and CI's ``index verify`` catches any wrong resolution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from artigov.core import write_atomic
from artigov.index._model import Entries, Index, merge_entries
from artigov.index.errors import IndexCorruptError

__all__ = ["MergeResult", "merge_files", "merge_index"]


@dataclass
class MergeResult:
    """A merged index file's bytes, and the paths both sides changed differently (or what kept it from merging)."""

    data: bytes
    conflicts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing conflicts and nothing kept the files from merging."""
        return not self.conflicts and not self.problems


def _entries(data: bytes, label: str) -> Entries:
    """The entries of one side: this format, or the old one-line format. Only the common ancestor
    (``%O``) may be empty (both sides added the file); an empty side is a deleted or truncated
    index, never "no entries" (merging it would drop every entry)."""
    if not data.strip():
        if label == "%O":
            return {}
        raise IndexCorruptError(
            Path(label),
            "is empty: that side deleted or truncated the index; merging it would drop every entry "
            "(resolve the merge, then run `artigov index rebuild`)",
        )
    try:
        return Index.parse(data, Path(label)).entries
    except IndexCorruptError as e:
        try:
            value = json.loads(data)  # the old format (or a non-canonical one): merge what it says
        except (ValueError, RecursionError):
            raise IndexCorruptError(Path(label), f"cannot be merged: {e.problem}") from None
        entries = value.get("entries") if isinstance(value, dict) else None
        if not isinstance(entries, dict):
            raise IndexCorruptError(Path(label), "cannot be merged: no `entries` object") from None
        return entries


def merge_files(base: bytes, ours: bytes, theirs: bytes) -> MergeResult:
    """Merge three index files' bytes by path and re-validate the result."""
    merged, conflicts = merge_entries(_entries(base, "%O"), _entries(ours, "%A"), _entries(theirs, "%B"))
    result = MergeResult(Index(merged).to_bytes(), conflicts)
    holders: dict[tuple[str, str], str] = {}
    for path, entry in merged.items():
        try:
            Index.parse(Index({path: entry}).to_bytes(), Path(path))
        except IndexCorruptError as e:
            result.problems.append(f"{path}: {e.problem}")
            continue
        key = (str(entry["id"]), str(entry["version"]))
        if key in holders:
            result.problems.append(f"{path}: id {key[0]!r} version {key[1]!r} is also {holders[key]}")
        holders[key] = path
    return result


def merge_index(base: Path, ours: Path, theirs: Path) -> MergeResult:
    """The driver: merge, write the result over ``ours`` (git's %A), report."""
    result = merge_files(base.read_bytes(), ours.read_bytes(), theirs.read_bytes())
    write_atomic(ours, result.data, lock=False)
    return result
