"""What ``artigov status`` keeps between runs: each framework's gate checks for one index version
(a speed seam, like the placement ``route check`` keeps: :mod:`artigov.views.routecheck`).

The expensive part of status on a large workspace is reading every index entry to check each
framework's gates. Those checks depend on:

* the index: its digest, proved current by the stat cache (status keeps and reads a summary only
  for a FRESH index, so the documents on disk are the ones the index describes);
* the contract files, the record's approvals, its public keys and its trust versions, the
  workspace configuration, the trust pin in the environment, and artigov's own version: the
  stamps (size, mtime, ctime, inode) of every one of those files are the key;
* time: a key or a signature an approval check relied on can expire (V012). The summary holds
  the first moment that can happen (``valid_until``), and is not read from then on.

Asked again with the same index digest, the same key and before ``valid_until``, the summary is
the answer and no entry is read. After an index write of a few paths (the pre-commit hooks'
``index update``), the summary of the earlier index is carried over the recorded index steps
(:meth:`artigov.index.DerivedCache.before`): only the frameworks of the touched entries are
checked again, each from its own slice of the index. Anything else is computed afresh. It is kept in the state folder
(:class:`artigov.index.DerivedCache`, sealed), and only in a state folder that is already there:
status never makes one, so a fresh clone stays as it was. Like ``git status`` refreshing its
index, keeping it is best effort (a read-only folder only costs speed). And like git's racy
check, a kept summary is not read when a file of its key changed (mtime or ctime) no earlier
than the summary file was written: within the file system's timestamp tick, that file could
have changed again and kept its stamp.

What is NOT kept: the record's verification, the decision logs, the trust chain, the rollback
triggers and the upstream comparison are checked on every run, as before.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.core import Workspace

if TYPE_CHECKING:
    from artigov.index import Entries

__all__ = ["KeptSummary"]

_NAME = "status"


def _tree_stamps(folder: Path) -> list[list[Any]]:
    """[relative path, size, mtime_ns, ctime_ns, inode] of ``folder`` and everything under it, in
    path order (a file added, removed, renamed or rewritten changes it)."""
    out: list[list[Any]] = []
    if not folder.is_dir():
        return out
    for top, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted([".", *files]):
            path = Path(top) / name if name != "." else Path(top)
            try:
                st = path.lstat()
            except OSError:
                continue
            out.append([path.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
    return out


def _racy(key: dict[str, Any], written_ns: int) -> bool:
    """Whether a file stamped in ``key`` changed (mtime or ctime) no earlier than ``written_ns``."""
    trees = [key["contracts"], key["keys"], key["trust"], *key["approvals"].values()]
    times = [t for tree in trees for stamp in tree for t in stamp[2:4]]
    times += key["config"][1:3] if key["config"] is not None else []
    return any(t >= written_ns for t in times)


def _framework_entries(ws: Workspace, digest: str, framework: str) -> Entries | None:
    """One framework's entries of the index with ``digest``, parsing only its lines; None when the
    file is not that index or not in canonical shape."""
    from artigov.index import framework_slice_of

    try:
        with ws.index_path.open("rb") as f:
            found = framework_slice_of(f, framework)
    except OSError:
        return None
    return found.entries if found is not None and found.digest == digest else None


def _usable(held: Any) -> bool:
    """Whether a kept value is a whole summary still in time: every indexed framework has its part,
    and no key or signature the checks relied on has expired since (``valid_until``)."""
    if not isinstance(held, dict) or not isinstance(held.get("frameworks"), dict):
        return False
    until, indexed = held.get("valid_until"), held.get("indexed")
    if until is not None and (not isinstance(until, int) or time.time() >= until):
        return False
    if not all(isinstance(part, dict) and "in_review_count" in part for part in held["frameworks"].values()):
        return False  # kept before parts counted their documents in review (and listed them all)
    return isinstance(indexed, list) and all(name in held["frameworks"] for name in indexed)


def _key(ws: Workspace) -> dict[str, Any]:
    """Every input of the gate checks but the index and time (see the module doc)."""
    from artigov.contract import approvals_dir
    from artigov.core import PIN_ENV, distribution_version
    from artigov.index import file_stamp
    from artigov.promote import record_frameworks

    return {
        "root": str(ws.root),
        "artigov": distribution_version(),
        "pin": os.environ.get(PIN_ENV, ""),
        "config": file_stamp(ws.config_path),
        "contracts": _tree_stamps(ws.contracts_dir),
        "keys": _tree_stamps(ws.keys_dir),
        "trust": _tree_stamps(ws.record_dir / "trust"),
        "approvals": {name: _tree_stamps(approvals_dir(ws, name)) for name in record_frameworks(ws.record_dir)},
    }


class KeptSummary:
    """The summary of the index with ``digest``: its key is taken when this is made, BEFORE the
    checks it would keep run, so a file changed meanwhile makes the kept copy unreadable."""

    def __init__(self, ws: Workspace, digest: str) -> None:
        from artigov.index import DerivedCache

        self.ws = ws
        self.digest = digest
        #: status keeps nothing where there is no state folder (and never makes one)
        self.writable = ws.state_dir.is_dir()
        self.key = _key(ws) if self.writable else None
        self._cache = DerivedCache(ws, _NAME)

    def get(self) -> dict[str, Any] | None:
        """The summary kept for this index and today's inputs, or None (see the module doc). Its
        ``frameworks`` map each indexed framework (and any other it was computed for) to its part;
        ``indexed`` names the frameworks with an indexed artifact."""
        if self.key is None or not self._in_time():
            return None
        held = self._cache.get(self.digest, self.key)
        return held if _usable(held) else None

    def _in_time(self) -> bool:
        """False when a file of the key changed no earlier than the summary file was written (it
        could have changed again in that tick and kept its stamp: git's racy rule)."""
        try:
            written = self._cache.path.stat().st_mtime_ns  # first: a later rewrite only makes it older
        except OSError:
            return False
        return self.key is not None and not _racy(self.key, written)

    def carried(self, gates: Callable[[str, Entries], dict[str, Any]]) -> dict[str, Any] | None:
        """The summary kept for an earlier index, carried over the index steps since (the
        pre-commit hooks' ``index update`` of a few edits): the frameworks of the entries those
        steps touched, as they are and as they were, are checked again with ``gates(framework,
        entries)`` from the index's slice of each, the others carried. None when no step chain
        leads here, a touched path is no longer indexed and a step did not record the frameworks
        it left, or the counts do not add up to the index's."""
        from artigov.index import read_entries

        if self.key is None or (chain := self._cache.chain(self.digest, self.key)) is None:
            return None
        held, touched = chain.value, chain.paths
        if not _usable(held) or not self._in_time():
            return None
        found = read_entries(self.ws, self.digest, sorted(touched))
        was = chain.frameworks
        if found is None or (was is None and len(found[0]) != len(touched)):
            return None
        entries, count = found
        parts = dict(held["frameworks"])
        names = {*(e["framework"] for e in entries.values()), *(was or ())}
        for name in sorted(names):
            mine = _framework_entries(self.ws, self.digest, name)
            if mine is None:
                return None
            parts[name] = gates(name, mine)
        indexed = sorted(n for n in {*held["indexed"], *names} if parts[n]["artifacts"])
        if sum(parts[name]["artifacts"] for name in indexed) != count:
            return None
        untils = [p["valid_until"] for p in parts.values() if p.get("valid_until") is not None]
        return {"frameworks": parts, "indexed": indexed, "valid_until": min(untils, default=None)}

    def overlaid(
        self, indexed: Entries, fresh: Entries, found: int, gates: Callable[[str, Entries], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The summary kept for this index with the few files changed since overlaid (``status`` on a
        stale local index, which a walk of every file would otherwise answer): ``indexed``, the
        index's entries of the paths changed or removed, give way to ``fresh``, those files read
        again that are valid artifacts. The frameworks of both are checked again with
        ``gates(framework, entries)`` from the index's slice of each so overlaid, the others
        carried. None when nothing is kept for this index, or the counts do not add up to
        ``found`` (the artifacts the walk would find)."""
        held = self.get()
        if held is None:
            return None
        from artigov.core import utf8_sorted

        parts = dict(held["frameworks"])
        touched = sorted({e["framework"] for e in [*indexed.values(), *fresh.values()]})
        for name in touched:
            mine = _framework_entries(self.ws, self.digest, name)
            if mine is None:
                return None
            for path in indexed:
                mine.pop(path, None)
            mine.update((path, e) for path, e in fresh.items() if e["framework"] == name)
            parts[name] = gates(name, {path: mine[path] for path in utf8_sorted(mine)})
        indexed_names = sorted(n for n in {*held["indexed"], *touched} if parts[n]["artifacts"])
        if sum(parts[name]["artifacts"] for name in indexed_names) != found:
            return None
        untils = [p["valid_until"] for p in parts.values() if p.get("valid_until") is not None]
        return {"frameworks": parts, "indexed": indexed_names, "valid_until": min(untils, default=None)}

    def put(self, frameworks: dict[str, Any], indexed: list[str]) -> None:
        """Keep ``frameworks`` (name -> part, each with its ``valid_until``; every indexed framework
        among them); best effort."""
        if self.key is None:
            return
        untils = [p["valid_until"] for p in frameworks.values() if p.get("valid_until") is not None]
        value = {"frameworks": frameworks, "indexed": sorted(indexed), "valid_until": min(untils, default=None)}
        self._cache.put(self.digest, self.key, value)
