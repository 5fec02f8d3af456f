"""The single writer of ``artifacts_index.json``: lock, journal, write, recover.

A write is one transaction, in this order (each step a fault point):

1. take ``<index>.lock`` (flock), waiting up to the lock timeout;
   ``after-lock``;
2. recover a leftover journal, if any;
3. append the intent to ``state_dir/index.journal`` and fsync it;
   ``after-journal-append``;
4. write the new index to a temp file, fsync, ``os.replace``, fsync the
   directory (``mid-temp-write``, ``after-temp-fsync``, ``after-rename``);
5. ``before-journal-truncate``; truncate the journal; release the lock.

Readers need no lock: the atomic rename means they see the old index or the
new one, never a torn file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from artigov.core import (
    DEFAULT_LOCK_TIMEOUT,
    Chunks,
    FileLock,
    Workspace,
    fault_point,
    get_logger,
    lock_path_for,
    write_atomic,
)
from artigov.index._derived import STEPS_NAME, record_step
from artigov.index._journal import Journal, stale_temps
from artigov.index._model import Entries, Index, entries_digest
from artigov.index._statcache import NAME as STATCACHE_NAME
from artigov.index.errors import IndexCorruptError

__all__ = ["Delta", "IndexStore", "IndexWrite", "Recovery", "frameworks_left"]

log = get_logger(__name__)

#: Rebuilds the entries from the files (used when a journal cannot be redone).
Rebuilder = Callable[[], Entries]


@dataclass(frozen=True)
class Recovery:
    """What recovering a leftover journal did."""

    action: str  # completed | redone | rebuilt | discarded
    op: str | None
    digest: str
    dropped_records: int


#: An audit event lists at most this many changed (or removed) paths; past it, the count and the
#: first ones. The complete change is the difference between the two digests' indexes.
AUDIT_LIST_MAX = 1000


def _listed(name: str, items: dict[str, str] | list[str], total: int) -> dict[str, Any]:
    """``{name: items}`` (the first :data:`AUDIT_LIST_MAX` of ``total``), with ``{name}_total`` when
    there were more."""
    return {name: items} if total <= AUDIT_LIST_MAX else {name: items, f"{name}_total": total}


@dataclass(frozen=True)
class IndexWrite:
    """One write of the index file: what :meth:`IndexStore.write` journals, writes and logs."""

    #: add, update or rebuild
    op: str
    #: the new file's bytes, in pieces written in order (a splice: no join of the whole file)
    data: Chunks
    #: ``sha256:`` of the new file
    digest: str
    #: entries in the new file
    count: int
    #: the digest of the index the changes apply to (None: there was none)
    base_digest: str | None
    #: path -> new entry, for every added or changed entry
    changes: Entries
    #: paths no longer indexed
    removed: list[str]
    #: the paths the command was given (the journal's record of intent)
    paths: list[str]
    #: added or changed entries not in ``changes`` (a rebuild's: their number alone; the journal of
    #: a rebuild holds no changes, and its audit event lists the first ones)
    more_changes: int = 0
    #: paths no longer indexed and not in ``removed`` (a rebuild's, likewise)
    more_removed: int = 0
    #: the frameworks of the entries changed or removed, as they were (None: not known), for the
    #: step the write records (:func:`artigov.index._derived.record_step`)
    was: list[str] | None = None


def frameworks_left(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """The frameworks of the entries a write changed or removed, as they were (:attr:`IndexWrite.was`)."""
    return sorted({entry["framework"] for entry in entries})


class Delta(NamedTuple):
    """An index write's changes from its base: the base's digest (None: no base), the entries added
    or changed (in the new entries' order), the paths removed (sorted)."""

    base_digest: str | None
    changes: Entries
    removed: list[str]


class IndexStore:
    """Reads and writes one workspace's index."""

    def __init__(self, ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.ws = ws
        self.path = ws.index_path
        self.lock_timeout = lock_timeout
        self.journal = Journal(ws.state_dir / "index.journal")

    def read(self, *, strict: bool = False) -> Index | None:
        """The current index, or None if there is none yet (``strict``: also prove canonical form).

        Raises:
            IndexCorruptError: the file is not a valid index.
        """
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise IndexCorruptError(self.path, "is a directory") from None
        return Index.parse(data, self.path, strict=strict)

    def raw_digest(self) -> str | None:
        """The index's digest, checked on its raw bytes without parsing them; None if that cannot be shown."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        return Index.raw_digest(data)

    @contextmanager
    def locked(self, rebuild: Rebuilder) -> Iterator[Recovery | None]:
        """Hold the index lock, after recovering any leftover journal."""
        with FileLock(lock_path_for(self.path), self.lock_timeout):
            fault_point("after-lock")
            self._remove_stale_temps()
            yield self._recover(rebuild)

    def _remove_stale_temps(self) -> None:
        """Temp files of writers that died: only the lock holder writes them, and we hold it."""
        for stale in self._stale_temps():
            with suppress(OSError):
                stale.unlink()
                log.info("stale_temp_removed", audit=True, subject=self.ws.rel(stale), outcome="removed")

    def _stale_temps(self) -> list[Path]:
        return stale_temps(self.path, self.journal.path.parent, STATCACHE_NAME, STEPS_NAME)

    def recover(self, rebuild: Rebuilder) -> Recovery | None:
        """Recover a leftover journal and clear dead writers' temp files (taking the lock only if needed)."""
        if not self.journal.pending() and not self._stale_temps():
            return None
        with self.locked(rebuild) as recovery:
            return recovery

    def _recover(self, rebuild: Rebuilder) -> Recovery | None:
        if not self.journal.pending():
            return None
        records, dropped = self.journal.records()
        if not records:
            self.journal.clear()
            current = self._read_or_none()
            recovery = Recovery("discarded", None, current.digest if current else "", dropped)
            self._log(recovery)
            return recovery
        record = records[-1]
        op = str(record.get("op"))
        expected = record.get("expected_digest")
        current = self._read_or_none()
        if current is not None and current.digest == expected:
            action = "completed"
            digest = current.digest
        else:
            redone = self._redo(record, current)
            if redone is not None and entries_digest(redone) == expected:
                action = "redone"
                new = Index(redone)
            else:
                action = "rebuilt"
                new = Index(rebuild())
            write_atomic(self.path, new.to_bytes(), lock=False)
            digest = new.digest
        self.journal.clear()
        recovery = Recovery(action, op, digest, dropped)
        self._log(recovery)
        return recovery

    def _read_or_none(self) -> Index | None:
        try:
            return self.read()
        except IndexCorruptError:
            return None

    @staticmethod
    def _redo(record: dict[str, Any], current: Index | None) -> Entries | None:
        if record.get("op") == "rebuild":
            return None  # a rebuild is redone by rebuilding
        if record.get("base_digest") and (current is None or current.digest != record["base_digest"]):
            return None
        entries = dict(current.entries) if current else {}
        changes = record.get("changes")
        removed = record.get("removed")
        if not isinstance(changes, dict) or not isinstance(removed, list):
            return None
        for rel in removed:
            entries.pop(rel, None)
        entries.update(changes)
        return entries

    def write(self, change: IndexWrite) -> None:
        """Write an index file's bytes as one transaction: journal, atomic write, journal cleared.

        The journal record carries the changes relative to the index with ``change.base_digest``
        (or, for a rebuild, nothing: it is redone by rebuilding). The caller holds the lock.
        """
        record: dict[str, Any] = {
            "op": change.op,
            "paths": change.paths,
            "base_digest": change.base_digest,
            "expected_digest": change.digest,
        }
        if (change.more_changes or change.more_removed) and change.op != "rebuild":
            raise ValueError("only a rebuild is journaled without its changes")
        if change.op != "rebuild":
            record["changes"] = change.changes
            record["removed"] = change.removed
        self.journal.append(record)
        fault_point("after-journal-append")
        write_atomic(self.path, change.data, lock=False)
        fault_point("before-journal-truncate")
        self.journal.clear()
        stepped = None if change.more_changes or change.more_removed else [*change.changes, *change.removed]
        record_step(self.ws, change.base_digest, change.digest, stepped, change.was)
        changes = change.changes
        total = len(changes) + change.more_changes
        log.info(
            "index_written",
            audit=True,
            subject=self.ws.rel(self.path),
            outcome="written",
            op=change.op,
            digest=change.digest,
            previous_digest=change.base_digest,
            count=change.count,
            **_listed("changed", {k: changes[k]["checksum"] for k in sorted(changes)[:AUDIT_LIST_MAX]}, total),
            **_listed("removed", change.removed[:AUDIT_LIST_MAX], len(change.removed) + change.more_removed),
        )

    def _log(self, recovery: Recovery) -> None:
        log.warning(
            "index_recovered",
            audit=True,
            subject=self.ws.rel(self.path),
            outcome=recovery.action,
            op=recovery.op,
            digest=recovery.digest,
            dropped_records=recovery.dropped_records,
        )

    def commit(self, op: str, base: Index | None, entries: Entries, paths: list[str]) -> str:
        """Write ``entries`` as the new index (the caller holds the lock); its digest. The file's
        serialized pieces are let go once written (a rebuild's next step, the stat cache, is its
        peak).

        The journal record carries the changes relative to ``base`` (or, for
        a rebuild, nothing: it is redone by rebuilding).
        """
        old = base.entries if base else {}
        changes = {k: v for k, v in entries.items() if old.get(k) != v} if old else entries
        removed = sorted(k for k in old if k not in entries)
        # the frameworks the step left (a rebuild's records none: its streamed way never holds the
        # old entries, and every way records the same step)
        was = None if op == "rebuild" else frameworks_left(old[k] for k in [*changes, *removed] if k in old)
        return self.commit_delta(op, entries, Delta(base.digest if base else None, changes, removed), paths, was)

    def commit_delta(
        self, op: str, entries: Entries, delta: Delta, paths: list[str], was: list[str] | None = None
    ) -> str:
        """:meth:`commit` with the changes from the base already known (``delta``), so the base's
        entries need not be held (``was``: the frameworks of the entries changed or removed, as
        they were, when known)."""
        new = Index(entries)
        base, changes, removed = delta
        self.write(IndexWrite(op, new.pieces(), new.digest, len(entries), base, changes, removed, paths, was=was))
        return new.digest
