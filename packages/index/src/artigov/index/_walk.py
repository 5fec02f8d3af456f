"""The workspace walk behind every index write: :func:`scan` finds the valid artifacts (re-reading only
what the stat cache cannot vouch for), drops duplicate (id, version) pairs, and records the stamps
the next quick check relies on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from artigov.core import Finding, Workspace, get_logger, sort_findings, utf8_sorted
from artigov.index._model import Entries, entry_from_artifact
from artigov.index._results import ProgressHook
from artigov.index._stamptable import StampPair, StampTable
from artigov.index._statcache import NAME as STATCACHE_NAME
from artigov.index._statcache import Held, QuickCheck, Stamp, StatCache, Walked
from artigov.index._store import Delta
from artigov.schema import ArtifactUnit, discover, discovery_scope, relist

__all__ = [
    "Scan",
    "StreamedDiff",
    "cache_path",
    "dedupe",
    "diff",
    "Reread",
    "held_units",
    "log_unchanged",
    "quick_check",
    "quick_units",
    "read_held",
    "read_units",
    "rebuilder",
    "reread",
    "save_cache",
    "scan",
    "streamed_diff",
]

log = get_logger(__name__)


def dedupe(base: Entries, entries: Entries) -> list[Finding]:
    """Drop entries whose (id, version) another entry has; keep the one already indexed, else bytewise first."""
    from artigov.schema import duplicate_finding

    first: dict[tuple[str, str], str] = {}
    by_key: dict[tuple[str, str], list[str]] = {}  # only the (id, version) pairs held twice or more
    for rel in utf8_sorted(entries):
        e = entries[rel]
        key = (e["id"], e["version"])
        held = first.setdefault(key, rel)
        if held != rel:
            by_key.setdefault(key, [held]).append(rel)
    findings: list[Finding] = []
    for paths in by_key.values():
        keep = next((p for p in paths if p in base and base[p] == entries[p]), paths[0])
        for rel in paths:
            if rel != keep:
                e = entries.pop(rel)
                findings.append(duplicate_finding(e.get("meta") or rel, e["id"], e["version"], keep))
    return findings


@dataclass
class Scan:
    """What :func:`scan` found: valid entries, their stamps, findings, the folders it listed, and the
    units it held out of the index."""

    entries: Entries
    stamps: StampTable
    findings: list[Finding]
    #: Listed folders' stamps when the walk was complete (no layout finding, no duplicate, every
    #: unit indexed or held out); else None.
    dirs: dict[str, Stamp] | None
    #: The units found invalid, held out of the index: path -> sidecar path (a stat cache keeps
    #: them, and every quick check reads them again).
    held: dict[str, str | None] = field(default_factory=dict)


def scan(
    ws: Workspace,
    progress: ProgressHook | None = None,
    *,
    old: Entries | None = None,
    cache: StatCache | None = None,
    changed: list[str] | None = None,
) -> Scan:
    """Entries of every valid artifact on disk, their stat stamps, and the findings.

    With ``old`` entries and a stat ``cache`` (incremental update), a file whose
    stamps the cache vouches for keeps its old entry without being read. With
    ``changed`` (what :meth:`StatCache.check` proved), there is no walk: the
    units are the cached ones and those it holds out, and only the changed and
    held-out ones are read.
    """
    from artigov.schema import SchemaSet, check_units

    old = old or {}
    kept = Scan({}, StampTable(), [], None)  # what is kept without a read, then what is read
    if changed is not None and cache is not None:
        kept.dirs = cache.dirs
        to_check, total = _proved_units(kept, old, cache, changed)
    else:
        to_check, total = _walked_units(ws, kept, old, cache)
    vouched = total - len(to_check)  # kept without a read: counted as done from the start
    hook = None if progress is None else lambda n, _given: progress(vouched + n, total)
    checked = check_units(ws.root, to_check, SchemaSet(ws.kind_schemas_dir), hook, transform=entry_from_artifact)
    held: dict[str, str | None] = {}
    for unit, entry, problems, content, meta in checked:
        kept.findings.extend(problems)
        if entry is not None and content is not None:
            kept.entries[unit.path] = entry
            kept.stamps[unit.path] = (content, meta)
        elif entry is None:  # invalid (or unreadable): held out, and read again by every quick check
            held[unit.path] = unit.meta_path
        else:
            kept.dirs = None  # valid but without a stamp: the walk is not complete
    entries = {k: kept.entries[k] for k in utf8_sorted(kept.entries)}
    duplicates = dedupe(old, entries)
    dirs = None if duplicates else kept.dirs
    findings = sort_findings([*kept.findings, *duplicates])
    return Scan(entries, kept.stamps, findings, dirs, held)  # (the cache file lists held in byte order)


def _proved_units(kept: Scan, old: Entries, cache: StatCache, changed: list[str]) -> tuple[list[ArtifactUnit], int]:
    """No walk (the stat ``cache`` proved what ``changed``): each cached unit not changed kept in
    ``kept`` with its old entry and stamps; (the changed and held-out units to read, how many units
    there are)."""
    to_check: list[ArtifactUnit] = []
    redo = set(changed)
    cached = cache.stamps
    for rel in cached:
        if rel in redo:
            to_check.append(ArtifactUnit(rel, old[rel].get("meta")))
        else:
            kept.entries[rel] = old[rel]
            kept.stamps.put_raw(rel, cached.raw(rel))
    to_check += held_units(cache.held)
    return to_check, len(cached) + len(cache.held)


def _walked_units(ws: Workspace, kept: Scan, old: Entries, cache: StatCache | None) -> tuple[list[ArtifactUnit], int]:
    """A walk: its findings and listed folders (when it found no layout problem) put in ``kept``,
    and each unit the ``cache`` vouches for kept with its old entry and stamps; (the units to read,
    how many units there are)."""
    from artigov.schema import unit_stamps

    found = discover(ws)
    kept.dirs = found.dirs if not found.findings else None
    kept.findings.extend(found.findings)
    to_check: list[ArtifactUnit] = []
    for unit in found.units:
        known = old.get(unit.path)
        if cache is not None and known is not None and known.get("meta") == unit.meta_path:
            content, meta = unit_stamps(ws.root, unit)
            if cache.fresh(unit.path, content, meta):
                kept.entries[unit.path] = known
                kept.stamps.put_raw(unit.path, cache.stamps.raw(unit.path))
                continue
        to_check.append(unit)
    return to_check, len(found.units)


def diff(old: Entries, new: Entries) -> tuple[list[str], list[str], list[str]]:
    """(added, removed, changed) paths from ``old`` to ``new``, each in byte order."""

    added = utf8_sorted(new.keys() - old.keys())
    removed = utf8_sorted(old.keys() - new.keys())
    changed = utf8_sorted(p for p in new.keys() & old.keys() if old[p] != new[p])
    return added, changed, removed


@dataclass(frozen=True)
class StreamedDiff:
    """From the index file on disk to new entries: its digest, and the paths added, changed and
    removed (each in byte order)."""

    base_digest: str
    added: list[str]
    changed: list[str]
    removed: list[str]

    def delta(self, entries: Entries) -> Delta:
        """The index write's changes: the new entries of the paths added or changed (in ``entries``'
        sorted order) and the paths removed."""
        return Delta(self.base_digest, {p: entries[p] for p in utf8_sorted([*self.added, *self.changed])}, self.removed)


def streamed_diff(path: Path, entries: Entries) -> StreamedDiff | None:
    """:func:`diff` from the index file at ``path`` to ``entries``, the file read one entry at a time
    (:class:`~artigov.index._stream.StreamedIndex`: layout, order, canonical form and schema proven
    line by line), merged with ``entries``' sorted paths: memory holds ``entries`` and a chunk,
    never the old index's entries too. None when there is no file or it is not a canonical index
    (the caller parses it whole, and names or replaces it)."""
    from artigov.index._stream import StreamedIndex
    from artigov.index.errors import IndexCorruptError

    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    order = iter(sorted(entries))  # the index's order (StreamedIndex proves it)
    pending = next(order, None)
    index = StreamedIndex(path)
    try:
        for rel, entry in index:
            while pending is not None and pending < rel:
                added.append(pending)
                pending = next(order, None)
            if pending == rel:
                if entries[rel] != entry:
                    changed.append(rel)
                pending = next(order, None)
            else:
                removed.append(rel)
    except (OSError, IndexCorruptError):
        return None
    if pending is not None:
        added.append(pending)
        added.extend(order)
    return StreamedDiff(index.digest, added, changed, removed)


def quick_check(ws: Workspace, cache: StatCache) -> QuickCheck | None:
    """:meth:`StatCache.check` of the workspace, folders whose stamps changed listed again with the
    walk's rules (:func:`artigov.schema.relist`): what changed, was added and was removed, from
    stats and a few listings; None when only a walk can say. Reads only."""
    known = set(cache.dirs or ())
    return cache.check(ws.root, ws.index_path, discovery_scope(ws), lambda moved: relist(ws, moved, known))


def quick_units(cache: StatCache, quick: QuickCheck) -> list[ArtifactUnit]:
    """The units a quick check says changed (with their sidecars) or were added (none has a sidecar:
    the check gives up otherwise): the ones to read again."""
    return [ArtifactUnit(rel, cache.meta_of(rel)) for rel in quick.changed] + [ArtifactUnit(r) for r in quick.added]


def held_units(held: Held) -> list[ArtifactUnit]:
    """The units held out of the index (invalid at the last walk; path -> sidecar path), as a stat
    cache or its quick check lists them: read again every time, so their findings come from a real
    check (and one that became valid is taken in)."""
    return [ArtifactUnit(rel, meta) for rel, meta in held.items()]


@dataclass(frozen=True)
class Reread:
    """Units read again (:func:`reread`): the entries and stamps of the valid ones, the invalid ones
    (path -> sidecar path), and the findings, sorted (what a walk names of them)."""

    entries: Entries = field(default_factory=dict)
    stamps: dict[str, StampPair] = field(default_factory=dict)
    invalid: dict[str, str | None] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def reread(ws: Workspace, units: list[ArtifactUnit]) -> Reread | None:
    """Check ``units`` again (:class:`Reread`); None when one is valid but gave no stamp (only the
    full update judges it)."""
    from artigov.schema import SchemaSet, check_units

    read = Reread()
    if not units:
        return read
    for unit, entry, problems, content, meta in check_units(
        ws.root, units, SchemaSet(ws.kind_schemas_dir), transform=entry_from_artifact
    ):
        if entry is not None and content is not None:
            read.entries[unit.path] = entry
            read.stamps[unit.path] = (content, meta)
        elif entry is not None:
            return None
        else:
            read.invalid[unit.path] = unit.meta_path
            read.findings.extend(problems)
    return replace(read, findings=sort_findings(read.findings))


def read_held(ws: Workspace, quick: QuickCheck | None) -> Reread | None:
    """Read again the units ``quick`` found held out of the index (:func:`reread`): the findings of
    those still invalid, and the entries of those that are valid artifacts now (to take in)."""
    return reread(ws, held_units(quick.held)) if quick is not None else Reread()


def cache_path(ws: Workspace) -> Path:
    """Where the workspace's stat cache lives."""
    return ws.state_dir / STATCACHE_NAME


def save_cache(ws: Workspace, found: Scan, digest: str) -> None:
    """Save the stat cache of scan ``found``, for the index whose digest is ``digest``."""
    walk = Walked(found.dirs, discovery_scope(ws), found.held)
    StatCache(cache_path(ws), found.stamps, entries=found.entries, walk=walk).save(digest, ws.index_path)


def rebuilder(ws: Workspace) -> Callable[[], Entries]:
    """A function that scans the workspace again and returns its entries (what a journal recovery rebuilds from)."""
    return lambda: scan(ws).entries


def log_unchanged(ws: Workspace, digest: str) -> None:
    """Record in the audit log that the index was found unchanged."""
    log.info("index_unchanged", audit=True, subject=ws.rel(ws.index_path), outcome="unchanged", digest=digest)


def read_units(ws: Workspace, units: Sequence[ArtifactUnit]) -> tuple[Entries, list[str], list[Finding]]:
    """Load and check ``units`` now: the entries of the valid ones, the paths of the others, and
    the findings (for the few files the stat cache says changed)."""
    from artigov.schema import SchemaSet, check_units

    entries: Entries = {}
    invalid: list[str] = []
    findings: list[Finding] = []
    for unit, artifact, problems, _content, _meta in check_units(ws.root, units, SchemaSet(ws.kind_schemas_dir)):
        findings.extend(problems)
        if artifact is None:
            invalid.append(unit.path)
        else:
            entries[unit.path] = entry_from_artifact(artifact)
    return entries, invalid, findings
