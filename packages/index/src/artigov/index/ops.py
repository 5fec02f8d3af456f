"""The index operations: add, update, rebuild, verify, recover.

Each write is one transaction through :class:`IndexStore` (one journal
record, one rewrite), whatever the number of paths. Entries are added only
for artifacts that pass validation; invalid ones are reported and left out,
and the rest of the batch still lands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.core.atomic import DEFAULT_LOCK_TIMEOUT
from artigov.core.errors import ArtigovError
from artigov.core.events import get_logger
from artigov.core.findings import Finding, sort_findings
from artigov.core.workspace import Workspace
from artigov.index._scan import IndexSlice, framework_slice, id_version_holders, splice
from artigov.index.model import Entries, Index, entry_from_artifact
from artigov.index.statcache import NAME as STATCACHE_NAME
from artigov.index.statcache import QuickCheck, Stamp, StatCache
from artigov.index.store import IndexStore, Recovery
from artigov.schema.discovery import ArtifactUnit, discover, discovery_scope

if TYPE_CHECKING:
    from artigov.schema.validator import SchemaSet

from artigov.index.errors import IndexMissingError

__all__ = [
    "IndexResult",
    "VerifyResult",
    "add",
    "read_framework",
    "read_index",
    "rebuild",
    "recover",
    "update",
    "verify",
]

log = get_logger(__name__)
ProgressHook = Callable[[int, int], None]


@dataclass
class IndexResult:
    """What a write operation did."""

    op: str
    digest: str
    count: int
    written: bool
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    recovery: Recovery | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "ok": self.ok,
            "digest": self.digest,
            "count": self.count,
            "written": self.written,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "findings": [f.to_dict() for f in self.findings],
            "recovery": None if self.recovery is None else self.recovery.action,
            "notes": self.notes,
        }


@dataclass
class VerifyResult:
    """Index versus disk."""

    digest: str
    count: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    recovery: Recovery | None = None
    #: how the result was proved: "content" (every file re-hashed) or "stat cache" (as git status)
    proved_by: str = "content"

    @property
    def ok(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": "verify",
            "ok": self.ok,
            "digest": self.digest,
            "count": self.count,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "invalid": [f.to_dict() for f in self.findings],
            "recovery": None if self.recovery is None else self.recovery.action,
            "proved_by": self.proved_by,
        }


def _dedupe(base: Entries, entries: Entries) -> list[Finding]:
    """Drop entries whose (id, version) another entry has; keep the one already indexed, else bytewise first."""
    from artigov.schema.validate import duplicate_finding

    by_key: dict[tuple[str, str], list[str]] = {}
    for rel in sorted(entries, key=lambda p: p.encode("utf-8")):
        e = entries[rel]
        by_key.setdefault((e["id"], e["version"]), []).append(rel)
    findings: list[Finding] = []
    for paths in by_key.values():
        if len(paths) < 2:
            continue
        keep = next((p for p in paths if p in base and base[p] == entries[p]), paths[0])
        for rel in paths:
            if rel != keep:
                e = entries.pop(rel)
                findings.append(duplicate_finding(e.get("meta") or rel, e["id"], e["version"], keep))
    return findings


@dataclass
class Scan:
    """What :func:`scan` found: valid entries, their stamps, findings, and the folders it listed."""

    entries: Entries
    stamps: dict[str, tuple[Stamp, Stamp | None]]
    findings: list[Finding]
    #: Listed folders' stamps when the walk was complete (no finding, every unit indexed); else None.
    dirs: dict[str, Stamp] | None


def scan(
    ws: Workspace,
    schemas: SchemaSet | None = None,
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
    units are the cached ones and only the changed ones are read.
    """
    from artigov.schema.validate import check_units, unit_stamps
    from artigov.schema.validator import SchemaSet

    schemas = schemas or SchemaSet(ws.kind_schemas_dir)
    old = old or {}
    entries: Entries = {}
    stamps: dict[str, tuple[Stamp, Stamp | None]] = {}
    to_check: list[ArtifactUnit] = []
    if changed is not None and cache is not None:
        dirs: dict[str, Stamp] | None = cache.dirs
        findings: list[Finding] = []
        redo = set(changed)
        for rel, pair in cache.stamps.items():
            if rel in redo:
                to_check.append(ArtifactUnit(rel, old[rel].get("meta")))
            else:
                entries[rel] = old[rel]
                stamps[rel] = pair
        total = len(cache.stamps)
    else:
        found = discover(ws)
        dirs = found.dirs if not found.findings else None
        findings = list(found.findings)
        for unit in found.units:
            known = old.get(unit.path)
            if cache is not None and known is not None and known.get("meta") == unit.meta_path:
                content, meta = unit_stamps(ws.root, unit)
                if cache.fresh(unit.path, content, meta):
                    entries[unit.path] = known
                    stamps[unit.path] = cache.stamps[unit.path]
                    continue
            to_check.append(unit)
        total = len(found.units)
    checked = check_units(
        ws.root, to_check, schemas, progress, done=total - len(to_check), total=total, transform=entry_from_artifact
    )
    for unit, entry, problems, content, meta in checked:
        findings.extend(problems)
        if entry is not None and content is not None:
            entries[unit.path] = entry
            stamps[unit.path] = (content, meta)
        else:
            dirs = None  # an invalid or unreadable unit: the walk is not complete
    entries = {k: entries[k] for k in sorted(entries, key=lambda p: p.encode("utf-8"))}
    duplicates = _dedupe(old, entries)
    if duplicates:
        dirs = None
    findings.extend(duplicates)
    return Scan(entries, stamps, sort_findings(findings), dirs)


def _diff(old: Entries, new: Entries) -> tuple[list[str], list[str], list[str]]:
    def order(paths: set[str]) -> list[str]:
        return sorted(paths, key=lambda p: p.encode("utf-8"))

    added = order(set(new) - set(old))
    removed = order(set(old) - set(new))
    changed = order({p for p in set(old) & set(new) if old[p] != new[p]})
    return added, changed, removed


def _cache_path(ws: Workspace) -> Path:
    return ws.state_dir / STATCACHE_NAME


def _save_cache(ws: Workspace, found: Scan, digest: str) -> None:
    cache = StatCache(_cache_path(ws), found.stamps, dirs=found.dirs, scope=discovery_scope(ws))
    cache.save(digest, found.entries, ws.index_path)


def _rebuilder(ws: Workspace) -> Callable[[], Entries]:
    return lambda: scan(ws).entries


def rebuild(
    ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, progress: ProgressHook | None = None
) -> IndexResult:
    """Rebuild the index from scratch (a corrupt index is replaced)."""
    from artigov.schema.validate import log_findings

    store = IndexStore(ws, lock_timeout=lock_timeout)
    with store.locked(_rebuilder(ws)) as recovery:
        try:
            base = store.read()
        except ArtigovError:
            base = None
        found = scan(ws, progress=progress)
        log_findings(found.findings)
        added, changed, removed = _diff(base.entries if base else {}, found.entries)
        new = store.commit("rebuild", base, found.entries, [])
        _save_cache(ws, found, new.digest)
    return IndexResult(
        "rebuild", new.digest, len(found.entries), True, added, changed, removed, found.findings, recovery
    )


def _log_unchanged(ws: Workspace, digest: str) -> None:
    log.info("index_unchanged", audit=True, subject=ws.rel(ws.index_path), outcome="unchanged", digest=digest)


#: Up to this many changed files, ``update`` patches the index's bytes in place (:func:`_patch`).
PATCH_MAX = 64


def _patch(
    ws: Workspace, store: IndexStore, cache: StatCache, quick: QuickCheck, recovery: Recovery | None
) -> IndexResult | None:
    """A few files changed and nothing else (the stat cache proved it): re-read just those and
    splice their new entries into the index file's bytes, without parsing or re-serializing the
    rest. Any surprise (a finding, a duplicate id+version, an unexpected file shape) returns None
    and the full update runs, which reports it.
    """
    from artigov.schema.validate import check_units
    from artigov.schema.validator import SchemaSet

    try:
        data = store.path.read_bytes()
    except OSError:
        return None
    units = [ArtifactUnit(rel, cache.meta_of(rel)) for rel in quick.changed]
    new: Entries = {}
    stamps: dict[str, tuple[Stamp, Stamp | None]] = {}
    for unit, artifact, problems, content, meta in check_units(ws.root, units, SchemaSet(ws.kind_schemas_dir)):
        if problems or artifact is None or content is None:
            return None
        new[unit.path] = entry_from_artifact(artifact)
        stamps[unit.path] = (content, meta)
    # The stat check proved the index file is the one the cache describes (same stamp; hashed if
    # racy), so its digest is known: no hash of the whole base file.
    spliced = splice(data, new, base_digest=cache.index_digest)
    if spliced is None:
        return None
    changed = sorted((p for p in new if new[p] != spliced.replaced[p]), key=lambda p: p.encode("utf-8"))
    keys = [(new[p]["id"], new[p]["version"]) for p in changed]

    def holders_after(key: tuple[str, str]) -> int:
        before = id_version_holders(data, *key)
        gone = sum(1 for e in spliced.replaced.values() if (e.get("id"), e.get("version")) == key)
        came = sum(1 for e in new.values() if (e["id"], e["version"]) == key)
        return before - gone + came

    if len(set(keys)) != len(keys) or any(holders_after(key) != 1 for key in keys):
        return None  # a duplicate (id, version): the full update reports it
    digest = cache.index_digest
    if changed:
        digest = spliced.digest
        delta = {p: new[p] for p in changed}
        store.write("update", spliced.pieces, digest, spliced.count, cache.index_digest, delta, [], changed)
    else:  # racily clean files re-read: same entries, only the cache learns their stamps
        _log_unchanged(ws, digest)
    cache.save_patched(quick, stamps, digest, ws.index_path)
    return IndexResult("update", digest, spliced.count, bool(changed), [], changed, [], [], recovery)


def update(
    ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, progress: ProgressHook | None = None
) -> IndexResult:
    """Bring the index up to date with the workspace, re-reading only changed files.

    When the stat cache can prove which files changed (:meth:`StatCache.check`), there is no
    walk; when it proves nothing changed, the index is not even parsed.
    """
    store = IndexStore(ws, lock_timeout=lock_timeout)
    with store.locked(_rebuilder(ws)) as recovery:
        cache = StatCache.load(_cache_path(ws))
        quick = cache.check(ws.root, ws.index_path, discovery_scope(ws)) if recovery is None else None
        if quick is not None and not quick.changed:
            _log_unchanged(ws, cache.index_digest)
            return IndexResult("update", cache.index_digest, cache.units, False, recovery=recovery)
        if quick is not None and len(quick.changed) <= PATCH_MAX:
            patched = _patch(ws, store, cache, quick, recovery)
            if patched is not None:
                return patched
        base = store.read()
        old = base.entries if base else {}
        if base is None or cache.index_digest != base.digest:
            cache = StatCache(cache.path)  # stamps of another index prove nothing about this one
            quick = None
        found = scan(ws, progress=progress, old=old, cache=cache, changed=quick.changed if quick else None)
        from artigov.schema.validate import log_findings  # not on the quick paths above

        log_findings(found.findings)
        added, changed, removed = _diff(old, found.entries)
        written = base is None or bool(added or changed or removed)
        rels = [*added, *changed, *removed]
        digest = store.commit("update", base, found.entries, rels).digest if written else base.digest  # type: ignore[union-attr]
        if (
            written
            or (quick is None and found.dirs is not None)  # vouch for this walk, so the next update can be quick
            or found.dirs != cache.dirs
            or found.stamps != cache.stamps
            or any(not cache.fresh(p, *s) for p, s in found.stamps.items())
        ):
            _save_cache(ws, found, digest)
    if not written:
        _log_unchanged(ws, digest)
    return IndexResult("update", digest, len(found.entries), written, added, changed, removed, found.findings, recovery)


def add(ws: Workspace, paths: Sequence[Path], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> IndexResult:
    """Index (or re-index) the given artifact files in one transaction.

    A named file that no longer exists is removed from the index; one that
    fails validation is reported and left out (its old entry removed).

    Raises:
        IndexCorruptError: the index is corrupt; it is never overwritten by
            ``add`` (rebuild it).
    """
    from artigov.schema.validate import log_findings, unit_stamps, validate_workspace

    store = IndexStore(ws, lock_timeout=lock_timeout)
    with store.locked(_rebuilder(ws)) as recovery:
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
        dup = _dedupe(old, entries)
        log_findings(dup)
        findings = sort_findings(findings + dup)
        added, changed, removed = _diff(old, entries)
        written = base is None or bool(added or changed or removed)
        rels = [*added, *changed, *removed]
        digest = store.commit("add", base, entries, rels).digest if written else base.digest  # type: ignore[union-attr]
        if written or stamps:
            cache = StatCache.load(_cache_path(ws))
            valid_before = base is not None and cache.index_digest == base.digest
            kept = {k: v for k, v in cache.stamps.items() if k in entries} if valid_before else {}
            kept.update({k: v for k, v in stamps.items() if k in entries})
            StatCache(cache.path, kept).save(digest, entries)  # no walk: the next update walks again
    result = IndexResult("add", digest, len(entries), written, added, changed, removed, findings, recovery)
    result.notes = notes
    return result


def recover(ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Recovery | None:
    """Recover a leftover journal, if any (every reader calls this first)."""
    return IndexStore(ws, lock_timeout=lock_timeout).recover(_rebuilder(ws))


def read_index(ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Index:
    """The current index after recovery, for readers (hydrate, promote).

    Raises:
        IndexMissingError: there is no index yet.
        IndexCorruptError: the index is corrupt.
    """
    store = IndexStore(ws, lock_timeout=lock_timeout)
    store.recover(_rebuilder(ws))
    index = store.read()
    if index is None:
        raise IndexMissingError(ws.index_path)
    return index


def read_framework(ws: Workspace, framework: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> IndexSlice:
    """One framework's entries of the current index (after recovery), and the whole index's digest.

    Only those entries are parsed when the file is in canonical shape (:func:`framework_slice`);
    otherwise the whole file is, with the same errors as :func:`read_index`.
    """
    store = IndexStore(ws, lock_timeout=lock_timeout)
    store.recover(_rebuilder(ws))
    try:
        data = store.path.read_bytes()
    except FileNotFoundError:
        raise IndexMissingError(ws.index_path) from None
    except OSError:  # a folder, say: the store's reader names the problem
        index = store.read()
    else:
        fast = framework_slice(data, framework)
        if fast is not None:
            return fast
        index = Index.parse(data, store.path)  # the bytes already read: no second recovery or read
    if index is None:
        raise IndexMissingError(ws.index_path)
    return IndexSlice(index.digest, {p: e for p, e in index.entries.items() if e["framework"] == framework}, framework)


def verify_quick(ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> VerifyResult | None:
    """Index versus disk from file stats, the way ``git status`` answers: when the stat cache proves
    which files changed since the index was written (and the index file is the one it describes),
    only those are read and compared with their index lines. None when the cache proves nothing
    (a fresh clone, an added or removed file, a racy index): then :func:`verify` re-hashes all.
    """
    from artigov.index._scan import entries_at

    store = IndexStore(ws, lock_timeout=lock_timeout)
    recovery = store.recover(_rebuilder(ws))
    cache = StatCache.load(_cache_path(ws))
    quick = cache.check(ws.root, ws.index_path, discovery_scope(ws)) if recovery is None else None
    if quick is None:
        return None
    if not quick.changed:
        result = VerifyResult(cache.index_digest, cache.units, recovery=recovery, proved_by="stat cache")
        _log_verified(ws, result)
        return result
    new, invalid, findings = read_units(ws, [ArtifactUnit(rel, cache.meta_of(rel)) for rel in quick.changed])
    try:
        data = store.path.read_bytes()
    except OSError:
        return None
    indexed = entries_at(data, sorted(quick.changed))
    if indexed is None:
        return None
    changed = sorted((p for p in new if new[p] != indexed.get(p)), key=lambda p: p.encode("utf-8"))
    removed = sorted(invalid, key=lambda p: p.encode("utf-8"))  # on disk but no longer a valid artifact
    result = VerifyResult(
        cache.index_digest, cache.units, [], changed, removed, sort_findings(findings), recovery, "stat cache"
    )
    _log_verified(ws, result)
    return result


def proved_changes(
    ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> tuple[str, list[ArtifactUnit]] | None:
    """From file stats alone (nothing read): the digest of the index as it stands, and the units
    changed since it was written, when the stat cache proves them; else None. Writes nothing."""
    if not ws.index_path.is_file() or IndexStore(ws, lock_timeout=lock_timeout).journal.pending():
        return None
    cache = StatCache.load(_cache_path(ws))
    quick = cache.check(ws.root, ws.index_path, discovery_scope(ws))
    if quick is None:
        return None
    return cache.index_digest, [ArtifactUnit(rel, cache.meta_of(rel)) for rel in quick.changed]


def read_units(ws: Workspace, units: Sequence[ArtifactUnit]) -> tuple[Entries, list[str], list[Finding]]:
    """Load and check ``units`` now: the entries of the valid ones, the paths of the others, and
    the findings (for the few files the stat cache says changed)."""
    from artigov.schema.validate import check_units
    from artigov.schema.validator import SchemaSet

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
    ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, progress: ProgressHook | None = None
) -> VerifyResult:
    """Compare the index with the files on disk, re-hashing everything.

    The index file is read one entry at a time (:class:`~artigov.index.stream.StreamedIndex`:
    layout, order, canonical form and schema proven line by line), so memory holds the
    workspace's scan, never the whole index: a hand-made index of a million entries verifies
    in bounded memory.

    Raises:
        IndexMissingError / IndexCorruptError: no index, or a corrupt one.
    """
    from artigov.index.errors import IndexCorruptError
    from artigov.index.stream import StreamedIndex

    store = IndexStore(ws, lock_timeout=lock_timeout)
    recovery = store.recover(_rebuilder(ws))
    if not ws.index_path.is_file():
        if ws.index_path.is_dir():
            raise IndexCorruptError(ws.index_path, "is a directory")
        raise IndexMissingError(ws.index_path)
    found = scan(ws, progress=progress)
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
    added = sorted(on_disk, key=lambda p: p.encode("utf-8"))
    result = VerifyResult(index.digest, index.count, added, changed, removed, found.findings, recovery)
    _log_verified(ws, result)
    return result
