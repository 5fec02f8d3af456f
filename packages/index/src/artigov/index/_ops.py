"""The index operations: add, update, rebuild, verify, recover.

Each write is one transaction through :class:`IndexStore` (one journal
record, one rewrite), whatever the number of paths. Entries are added only
for artifacts that pass validation; invalid ones are reported and left out,
and the rest of the batch still lands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple, TypeVar

from artigov.core import (
    DEFAULT_LOCK_TIMEOUT,
    ArtigovError,
    Finding,
    Workspace,
    bulk_results,
    get_logger,
    sort_findings,
    utf8_sorted,
)
from artigov.index._linescan import MERGE_CHUNK, LineDiff, LineScan, line_scan, merge_lines, no_index, spool_file
from artigov.index._model import Entries, Entry, Index, entry_from_artifact
from artigov.index._results import RESULT_PATHS, IndexResult, ProgressHook, VerifyResult
from artigov.index._scan import IndexSlice, framework_slice_of
from artigov.index._stamptable import StampTable
from artigov.index._statcache import QuickCheck, Stamp, StatCache
from artigov.index._store import IndexStore, IndexWrite, Recovery
from artigov.index._update import update
from artigov.index._walk import (
    cache_path,
    dedupe,
    diff,
    held_units,
    quick_check,
    quick_units,
    read_units,
    rebuilder,
    save_cache,
    scan,
    streamed_diff,
)
from artigov.index.errors import IndexMissingError
from artigov.schema import ArtifactUnit, discovery_scope

__all__ = [
    "IndexResult",
    "Overlay",
    "Proved",
    "VerifyResult",
    "add",
    "overlaid_entries",
    "proved_changes",
    "fold_index",
    "read_entries",
    "read_framework",
    "read_index",
    "read_units",
    "rebuild",
    "recover",
    "scan",
    "update",
    "verify",
    "verify_quick",
]

log = get_logger(__name__)

T = TypeVar("T")


def rebuild(
    ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, progress: ProgressHook | None = None
) -> IndexResult:
    """Rebuild the index from scratch (a corrupt index is replaced)."""
    from artigov.schema import log_findings

    store = IndexStore(ws, lock_timeout=lock_timeout)
    with bulk_results(), store.locked(rebuilder(ws)) as recovery, spool_file(ws) as spool, spool_file(ws) as names:
        lines = line_scan(ws, spool, progress, names)  # index lines, not entry dicts (_linescan)
        parsed: Index | None = None  # an old index that is not canonical, parsed whole once
        if lines.plain:
            log_findings(lines.findings)
            written = _rebuilt_from_lines(ws, store, lines)
            if not isinstance(written, Index):
                digest, delta = written
                paths = (delta.added, delta.changed, delta.removed)
                return IndexResult(
                    "rebuild", digest, lines.count, True, *paths, lines.findings, recovery, counts=delta.counts
                )
            parsed = written
        found = lines.as_scan()  # a duplicate (id, version), or an old index that is not canonical
        if not lines.plain:
            log_findings(found.findings)
        # the old index is never held whole when it streams (canonical); else it is parsed whole
        streamed = streamed_diff(ws.index_path, found.entries) if parsed is None else None
        if streamed is not None:
            added, changed, removed = streamed.added, streamed.changed, streamed.removed
            digest = store.commit_delta("rebuild", found.entries, streamed.delta(found.entries), [])
        else:  # none, or not canonical (a corrupt one is replaced)
            base = parsed if parsed is not None else _read_or_none(store)
            added, changed, removed = diff(base.entries if base else {}, found.entries)
            digest = store.commit("rebuild", base, found.entries, [])
        save_cache(ws, found, digest)
    counts = (len(added), len(changed), len(removed))  # the answer lists the first ones, as the lines' way
    shown = (added[:RESULT_PATHS], changed[:RESULT_PATHS], removed[:RESULT_PATHS])
    return IndexResult("rebuild", digest, len(found.entries), True, *shown, found.findings, recovery, counts=counts)


def _read_or_none(store: IndexStore) -> Index | None:
    """The index parsed whole; None when there is none or it is corrupt (a rebuild replaces it)."""
    try:
        return store.read()
    except ArtigovError:
        return None


def _rebuilt_from_lines(ws: Workspace, store: IndexStore, lines: LineScan) -> tuple[str, LineDiff] | Index:
    """Write the index the lines make (the caller holds the lock), and the stat cache of their walk:
    the new index's digest, and the diff from the old one (a corrupt one: every entry added). When
    the old index parses but is not in canonical form, nothing is written: it is returned parsed
    (the caller diffs the walk's entries with it, and does not read it again)."""
    from artigov.index import _store
    from artigov.index._stream import StreamedIndex
    from artigov.index.errors import IndexCorruptError

    listed, shown = _store.AUDIT_LIST_MAX, RESULT_PATHS
    if ws.index_path.exists() or ws.index_path.is_symlink():
        try:
            delta = merge_lines(StreamedIndex(ws.index_path, MERGE_CHUNK), lines, listed, shown)
        except (OSError, IndexCorruptError):
            parsed = _read_or_none(store)
            if parsed is not None:
                return parsed
            delta = no_index(lines, listed, shown)  # corrupt: replaced, every entry added
    else:
        delta = no_index(lines, listed, shown)
    digest = lines.digest
    more_removed = delta.counts[2] - len(delta.removed)
    write = IndexWrite(
        "rebuild",
        lines.pieces,
        digest,
        lines.count,
        delta.digest,
        delta.changes,
        delta.removed,
        [],
        delta.more,
        more_removed,
    )
    store.write(write)
    lines.save_stat_cache(cache_path(ws), discovery_scope(ws), digest, ws.index_path)
    return digest, delta


def add(ws: Workspace, paths: Sequence[Path], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> IndexResult:
    """Index (or re-index) the given artifact files in one transaction.

    A named file that no longer exists is removed from the index; one that
    fails validation is reported and left out (its old entry removed).

    Raises:
        IndexCorruptError: the index is corrupt; it is never overwritten by
            ``add`` (rebuild it).
    """
    from artigov.schema import log_findings, unit_stamps, validate_workspace

    store = IndexStore(ws, lock_timeout=lock_timeout)
    with store.locked(rebuilder(ws)) as recovery:
        base = store.read()
        old = base.entries if base else {}
        missing = [p for p in paths if not p.exists() and not p.is_symlink()]
        gone: list[str] = []
        for p in missing:
            rel = ws.rel(p)
            if rel in old:
                gone.append(rel)
        present = [p for p in paths if p not in missing]
        report = validate_workspace(ws, present) if present else None
        findings = list(report.findings) if report else []
        # Idempotent: re-running an interrupted `add` that removed a deleted file is not an error.
        notes = [
            f"{ws.rel(p)}: not on disk and not in the index; nothing to do" for p in missing if ws.rel(p) not in old
        ]
        for note in notes:
            log.info("index_add_skipped", audit=True, subject=note.split(":", 1)[0], outcome="skipped")
        entries = dict(old)
        for rel in gone:
            entries.pop(rel, None)
        stamps: dict[str, tuple[Stamp, Stamp | None]] = {}
        valid = {a.path: a for a in report.artifacts} if report else {}
        for unit in report.units if report else []:
            artifact = valid.get(unit.path)
            if artifact is None:
                entries.pop(unit.path, None)
                continue
            content, meta = unit_stamps(ws.root, unit)
            entries[unit.path] = entry_from_artifact(artifact)
            if content is not None:
                stamps[unit.path] = (content, meta)
        dup = dedupe(old, entries)
        log_findings(dup)
        findings = sort_findings(findings + dup)
        added, changed, removed = diff(old, entries)
        written = base is None or bool(added or changed or removed)
        rels = [*added, *changed, *removed]
        digest = store.commit("add", base, entries, rels) if written else base.digest  # type: ignore[union-attr]
        if written or stamps:
            cache = StatCache.load(cache_path(ws))
            valid_before = base is not None and cache.index_digest == base.digest
            kept = cache.stamps.only(entries) if valid_before else StampTable()
            kept.update({k: v for k, v in stamps.items() if k in entries})
            StatCache(cache.path, kept, entries=entries).save(digest)  # no walk: the next update walks again
    result = IndexResult("add", digest, len(entries), written, added, changed, removed, findings, recovery)
    result.notes = notes
    return result


def recover(ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Recovery | None:
    """Recover a leftover journal, if any (every reader calls this first)."""
    return IndexStore(ws, lock_timeout=lock_timeout).recover(rebuilder(ws))


def keep_fresh(ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> IndexResult | None:
    """A LOCAL index (``index_committed: false``, the default) is derived state: bring it up to date
    before it is read (built when missing, rebuilt when corrupt; the stat cache makes a fresh one
    cost a few stats). A committed index is read as committed (None): a stale one is the reader's
    to refuse."""
    if ws.index_committed:
        return None
    from artigov.index.errors import IndexCorruptError

    try:
        return update(ws, lock_timeout=lock_timeout)
    except IndexCorruptError as e:
        log.info("index_rebuilt", audit=True, subject=ws.rel(ws.index_path), outcome=f"local index was corrupt: {e}")
        return rebuild(ws, lock_timeout=lock_timeout)


def read_index(ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, refresh: bool = True) -> Index:
    """The current index after recovery, for readers (hydrate, promote); a local one is brought up
    to date first (:func:`keep_fresh`) unless ``refresh`` is False (a read-only caller: status).

    Raises:
        IndexMissingError: there is no index yet.
        IndexCorruptError: the index is corrupt.
    """
    if refresh:
        keep_fresh(ws, lock_timeout=lock_timeout)
    store = IndexStore(ws, lock_timeout=lock_timeout)
    store.recover(rebuilder(ws))
    index = store.read()
    if index is None:
        raise IndexMissingError(ws.index_path)
    return index


def indexed_frameworks(ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> set[str]:
    """The frameworks of the current index's entries (after recovery; a local index brought up to
    date first), the file read in chunks of entry lines: memory holds a chunk, never the index. An
    index not in canonical shape (or with a framework that is not a name) is read whole, with
    :func:`read_index`'s errors.

    Raises:
        IndexMissingError / IndexCorruptError: as :func:`read_index`.
    """
    from artigov.index._stream import ChunkedIndex

    keep_fresh(ws, lock_timeout=lock_timeout)
    IndexStore(ws, lock_timeout=lock_timeout).recover(rebuilder(ws))
    try:
        with ws.index_path.open("rb") as f:
            index = ChunkedIndex(f)
            names = {entry["framework"] for _, entry in index.entries()}
        if index.shaped and all(isinstance(n, str) and n for n in names):
            return names
    except (OSError, ValueError):
        pass
    return {str(e["framework"]) for e in read_index(ws, lock_timeout=lock_timeout, refresh=False).entries.values()}


def read_framework(
    ws: Workspace, framework: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, refresh: bool = True
) -> IndexSlice:
    """One framework's entries of the current index (after recovery), and the whole index's digest.

    Only those entries are parsed when the file is in canonical shape, and the file is read in
    chunks (:func:`artigov.index._scan.framework_slice_of`); otherwise the whole file is parsed,
    with the same errors as :func:`read_index`. A local index is brought up to date first, unless
    ``refresh`` is False (the caller did that already in this command: promote's index check).
    """
    if refresh:
        keep_fresh(ws, lock_timeout=lock_timeout)
    store = IndexStore(ws, lock_timeout=lock_timeout)
    store.recover(rebuilder(ws))
    try:
        with store.path.open("rb") as f:
            fast = framework_slice_of(f, framework)  # streamed: memory holds a chunk, not the file
    except FileNotFoundError:
        raise IndexMissingError(ws.index_path) from None
    except OSError:  # a folder, say: the store's reader names the problem
        fast = None
    if fast is not None:
        return fast
    index = store.read()  # not canonical: the whole file is parsed, and its problems named
    if index is None:
        raise IndexMissingError(ws.index_path)
    return IndexSlice(index.digest, {p: e for p, e in index.entries.items() if e["framework"] == framework}, framework)


def fold_index(ws: Workspace, digest: str, fold: Callable[[Iterable[tuple[str, Entry]]], T]) -> T | None:
    """``fold`` over every ``(path, entry)`` of the index, in file order, read in chunks (memory
    holds one chunk and what ``fold`` keeps, never the index), when the file is the index with
    ``digest`` (proved by the caller, by the stat cache say) in canonical shape; None when it is
    not, is not there, or changed while read (what ``fold`` answered is then dropped)."""
    from artigov.index._stream import ChunkedIndex

    try:
        with ws.index_path.open("rb") as f:
            index = ChunkedIndex(f)
            answer = fold(index.entries())  # a fold that stops early leaves it unshaped: no answer
    except (OSError, ValueError):
        return None
    return answer if index.shaped and index.digest == digest else None


def read_entries(ws: Workspace, digest: str, paths: Sequence[str]) -> tuple[Entries, int] | None:
    """The entries of those of ``paths`` the index holds, and how many entries it holds in all,
    found by a byte search of its lines read in chunks (memory holds one chunk, never the file:
    :func:`artigov.index._scan.entries_in`) without parsing the rest, when the index file is the
    one with ``digest``; None when it is not, is not there, or is not in canonical shape (the
    caller reads it whole)."""
    from artigov.index._scan import entries_in

    try:
        with ws.index_path.open("rb") as f:
            found = entries_in(f, paths, hashed=True)
    except OSError:
        return None
    if found is None or found.digest != digest:
        return None
    return found.entries, found.held


def verify_quick(
    ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, refresh: bool = False
) -> VerifyResult | None:
    """Index versus disk from file stats, the way ``git status`` answers: when the stat cache proves
    which files changed since the index was written (and the index file is the one it describes),
    only those are read and compared with their index lines. None when the cache proves nothing
    (a fresh clone, an added or removed file, a racy index): then :func:`verify` re-hashes all.

    With ``refresh``, a local index is brought up to date first (:func:`keep_fresh`); when that
    update's own stat check proved that nothing changed, its proof is the answer (the files are
    not stat'ed twice).
    """
    from artigov.index._scan import entries_in, id_version_clash

    if refresh:
        fresh = keep_fresh(ws, lock_timeout=lock_timeout)
        if fresh is not None and fresh.proved_unchanged:  # with the held-out units' findings, read again
            proved = VerifyResult(
                fresh.digest, fresh.count, findings=fresh.findings, recovery=fresh.recovery, proved_by="stat cache"
            )
            _log_verified(ws, proved)
            return proved
    store = IndexStore(ws, lock_timeout=lock_timeout)
    recovery = store.recover(rebuilder(ws))
    cache = StatCache.load(cache_path(ws))
    quick = quick_check(ws, cache) if recovery is None else None
    if quick is None:
        return None
    proof = _proved(cache, quick)
    units = proof.units
    new, invalid, findings = read_units(ws, units) if units else ({}, [], [])
    if not (quick.changed or quick.added or quick.removed or new):
        result = VerifyResult(
            cache.index_digest, cache.units, findings=sort_findings(findings), recovery=recovery, proved_by="stat cache"
        )
        _log_verified(ws, result)
        return result
    keys = {(e["id"], e["version"]) for e in new.values()}
    try:
        with store.path.open("rb") as f:  # in chunks: memory holds one, never the index
            found = entries_in(f, [*quick.changed, *quick.removed], keys)
    except OSError:
        return None
    if found is None or len(found.entries) != len(quick.changed) + len(quick.removed):
        return None  # a path the stat cache holds that the index does not: only a walk explains it
    indexed = found.entries
    changed = utf8_sorted(p for p in new if p in indexed and new[p] != indexed[p])
    added = utf8_sorted(p for p in new if p not in indexed)  # the files added that are valid artifacts
    # gone, or indexed and no longer a valid artifact (one never indexed, added or held out: a finding)
    removed = utf8_sorted([*(rel for rel in invalid if rel in indexed), *quick.removed])
    result = VerifyResult(
        cache.index_digest, cache.units, added, changed, removed, sort_findings(findings), recovery, "stat cache"
    )
    result.overlay = Overlay(
        proof,
        cache.units,
        indexed,
        new,
        id_version_clash(lambda i, v: found.holders[(i, v)], indexed, new),
        invalid,
        findings,
    )
    _log_verified(ws, result)
    return result


def verify_by_stats(
    ws: Workspace,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    refresh: bool = True,
    progress: ProgressHook | None = None,
) -> VerifyResult:
    """What ``index verify`` answers: by file stats where the stat cache proves them
    (:func:`verify_quick`; with ``refresh``, a local index is brought up to date first, once), else
    every file re-hashed (:func:`verify`)."""
    quick = verify_quick(ws, lock_timeout=lock_timeout, refresh=refresh)
    return quick or verify(ws, lock_timeout=lock_timeout, progress=progress, refresh=False)


class Proved(NamedTuple):
    """What the stat cache proved about the index as it stands (:func:`proved_changes`)."""

    digest: str
    #: the units changed or added since it was written, and those held out of it (invalid at the
    #: last walk): to read again
    units: list[ArtifactUnit]
    #: of those, the paths not in the index (added since, or held out)
    added: list[str]
    #: the paths removed since (in the index, gone from disk)
    removed: list[str]


class Overlay(NamedTuple):
    """The files changed since the index was written, as :func:`verify_quick` proved and read them:
    enough to tell what a walk would find without parsing the index (``status`` on a stale index)."""

    proof: Proved
    #: how many entries the index holds
    held: int
    #: the index's entries of the paths changed or removed
    indexed: Entries
    #: the files changed or added that are valid artifacts, read again (the others are findings)
    fresh: Entries
    #: whether an (id, version) of ``fresh`` is held by another entry once they replace ``indexed``
    #: (then only a walk tells which of the two it keeps)
    clash: bool
    #: the files changed or added that are not valid artifacts
    invalid: list[str]
    #: the findings of the files read
    findings: list[Finding]

    @property
    def found(self) -> int:
        """How many artifacts a walk would find: the index's, less those gone or no longer valid,
        plus those added."""
        gone = sum(1 for p in self.indexed if p not in self.fresh)
        return self.held - gone + sum(1 for p in self.fresh if p not in self.indexed)


def proved_changes(ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Proved | None:
    """From file stats and the listings of the folders that changed (no artifact read): the digest
    of the index as it stands, the units changed or added since it was written, and the paths of
    those removed, when the stat cache proves them; else None. Writes nothing."""
    if not ws.index_path.is_file() or IndexStore(ws, lock_timeout=lock_timeout).journal.pending():
        return None
    cache = StatCache.load(cache_path(ws))
    quick = quick_check(ws, cache)
    if quick is None:
        return None
    return _proved(cache, quick)


def _proved(cache: StatCache, quick: QuickCheck) -> Proved:
    """What ``cache``'s check ``quick`` proved: the units to read again (changed, added, and the
    held-out ones, in no index and always read), those of them not in the index, those removed."""
    units = quick_units(cache, quick) + held_units(quick.held)
    return Proved(cache.index_digest, units, utf8_sorted([*quick.added, *quick.held]), quick.removed)


def overlaid_entries(ws: Workspace, overlay: Overlay | None = None) -> tuple[Entries, list[Finding]] | None:
    """What a walk reading every artifact finds (:func:`scan`'s entries and findings), from the index
    and the few files the stat cache says changed, were added or were removed since it was written:
    those are read, the rest taken from the index, duplicates dropped as the walk drops them. None
    when the stat cache proves nothing, or the index is not the one it describes (walk). Reads only:
    ``status`` on a stale local index, which it never writes. ``overlay``: what this process's own
    index check proved and read (:attr:`VerifyResult.overlay`): the files are neither stat'ed nor
    read again."""
    from artigov.index._stream import StreamedIndex

    proved = overlay.proof if overlay is not None else proved_changes(ws)
    if proved is None:
        return None
    index = StreamedIndex(ws.index_path)  # one entry at a time: no whole-file parse held beside them
    try:
        entries: Entries = dict(index)
    except (OSError, ArtigovError):
        return None
    if index.digest != proved.digest:
        return None
    if overlay is not None:
        fresh, invalid, findings = overlay.fresh, overlay.invalid, overlay.findings
    else:
        fresh, invalid, findings = read_units(ws, proved.units)
    for rel in [*invalid, *proved.removed]:
        entries.pop(rel, None)
    new = fresh.keys() - entries.keys()
    entries.update(fresh)
    if new:  # added at the end: the walk's order is the paths' sorted order
        entries = {rel: entries[rel] for rel in utf8_sorted(entries)}
    return entries, sort_findings(findings + dedupe({}, entries))


def _log_verified(ws: Workspace, result: VerifyResult) -> None:
    log.info(
        "index_verified",
        audit=True,
        subject=ws.rel(ws.index_path),
        outcome="ok" if result.ok else "drift",
        digest=result.digest,
        added=result.added,
        changed=result.changed,
        removed=result.removed,
    )


def verify(
    ws: Workspace,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    progress: ProgressHook | None = None,
    refresh: bool = True,
) -> VerifyResult:
    """Compare the index with the files on disk, re-hashing everything.

    The index file is read one entry at a time (:class:`~artigov.index._stream.StreamedIndex`:
    layout, order, canonical form and schema proven line by line), so memory holds the
    workspace's scan, never the whole index: a hand-made index of a million entries verifies
    in bounded memory.

    Raises:
        IndexMissingError / IndexCorruptError: no index, or a corrupt one.
    """
    from artigov.index._stream import StreamedIndex
    from artigov.index.errors import IndexCorruptError

    if refresh:  # a local index is derived state: up to date, then compared (status only reads)
        keep_fresh(ws, lock_timeout=lock_timeout)
    store = IndexStore(ws, lock_timeout=lock_timeout)
    recovery = store.recover(rebuilder(ws))
    if not ws.index_path.is_file():
        if ws.index_path.is_dir():
            raise IndexCorruptError(ws.index_path, "is a directory")
        raise IndexMissingError(ws.index_path)
    with bulk_results(), spool_file(ws) as spool, spool_file(ws) as names:
        lines = line_scan(ws, spool, progress, names)  # index lines, not entry dicts (_linescan)
        if lines.plain:
            index = StreamedIndex(ws.index_path, MERGE_CHUNK)
            delta = merge_lines(index, lines, 0)
            result = VerifyResult(
                index.digest, index.count, delta.added, delta.changed, delta.removed, lines.findings, recovery
            )
            _log_verified(ws, result)
            return result
        found = lines.as_scan()  # a duplicate (id, version): the walk's rules drop one
    on_disk = found.entries  # consumed: what is left after the index is read was added
    changed: list[str] = []
    removed: list[str] = []
    index = StreamedIndex(ws.index_path)
    for rel, entry in index:
        disk = on_disk.pop(rel, None)
        if disk is None:
            removed.append(rel)
        elif disk != entry:
            changed.append(rel)
    added = utf8_sorted(on_disk)
    result = VerifyResult(index.digest, index.count, added, changed, removed, found.findings, recovery)
    _log_verified(ws, result)
    return result
