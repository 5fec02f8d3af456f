"""``index update``: three named strategies, tried in order; the first that answers writes.

1. :func:`unchanged`: the stat cache proves no file changed since the index was written: nothing
   is read (but the few units held out of the index as invalid, whose findings every update
   names), parsed or written.
2. :func:`spliced`: it proves a few files (up to :data:`PATCH_MAX`) changed, were added or removed
   (the folders whose stamps changed listed again), and nothing else: those are re-read and their
   lines replaced, inserted or deleted in the index file, read in chunks and written as the old
   file's ranges with the new lines between (:mod:`artigov.index._filesplice`). A file found
   invalid is held out (its line deleted, if it had one), and a held-out one found valid again is
   taken in (its line inserted).
3. :func:`full`: anything else: a walk that re-reads what the cache cannot vouch for, and a
   rewrite when an entry was added, changed or removed.

Every strategy leaves the same index bytes the full one would (tests hold them equal); the first
two are only speed, and give up (return None) at any surprise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from artigov.core import DEFAULT_LOCK_TIMEOUT, Finding, Workspace, sort_findings, utf8_sorted
from artigov.index._filesplice import FileSplice, LineEdits, splice_file
from artigov.index._model import Entries
from artigov.index._results import IndexResult, ProgressHook
from artigov.index._scan import id_version_clash
from artigov.index._statcache import QuickCheck, StatCache, UnitStamps
from artigov.index._store import IndexStore, IndexWrite, Recovery, frameworks_left
from artigov.index._walk import (
    Reread,
    cache_path,
    diff,
    log_unchanged,
    quick_check,
    quick_units,
    read_held,
    rebuilder,
    reread,
    save_cache,
    scan,
)

__all__ = ["PATCH_MAX", "STRATEGIES", "UpdateContext", "full", "spliced", "unchanged", "update"]

#: Up to this many changed files, :func:`spliced` patches the index's bytes in place.
PATCH_MAX = 64


@dataclass
class UpdateContext:
    """What the strategies share, under the index lock."""

    ws: Workspace
    store: IndexStore
    cache: StatCache
    #: What the stat cache proved (None: nothing; a recovery, a fresh clone, a changed folder).
    quick: QuickCheck | None
    recovery: Recovery | None
    progress: ProgressHook | None = None
    #: The units ``quick`` found held out of the index, read again (None: only :func:`full` judges them).
    held: Reread | None = field(default_factory=Reread)


def unchanged(ctx: UpdateContext) -> IndexResult | None:
    """Nothing changed, and the stat cache proves it: the index is not even read. When a folder's
    stamp alone changed (a hidden file came or went: listed again, no artifact did), the cache
    learns the folder's new stamp. The units held out of the index (invalid) were read again:
    their findings are the answer's, as a walk's would be."""
    from artigov.schema import log_findings

    quick, held = ctx.quick, ctx.held
    if quick is None or held is None or held.entries or quick.changed or quick.added or quick.removed:
        return None
    if quick.dirs:
        ctx.cache.save_moved(quick, {}, ctx.cache.index_digest, ctx.ws.index_path)
    log_findings(held.findings)
    log_unchanged(ctx.ws, ctx.cache.index_digest)
    return IndexResult(
        "update",
        ctx.cache.index_digest,
        ctx.cache.units,
        False,
        findings=held.findings,
        recovery=ctx.recovery,
        proved_unchanged=True,
    )


@dataclass(frozen=True)
class _Splice:
    """What :func:`spliced` edits: the quick check with its lists as the index sees them (a unit
    found invalid moved from changed to removed, or left out of added; a held-out one found valid
    put in added), the new entries and stamps, the units held out after, the findings, and the
    sidecars of the units taken in (path by unit)."""

    quick: QuickCheck
    new: Entries
    stamps: UnitStamps
    held: dict[str, str | None]
    findings: list[Finding]
    sidecars: dict[str, str]


def spliced(ctx: UpdateContext) -> IndexResult | None:
    """A few files changed, were added or removed, and nothing else (the stat cache proved it, the
    folders that changed listed again): re-read just those and edit their lines in the index file,
    read in chunks (:mod:`artigov.index._filesplice`), without parsing or re-serializing the rest.
    One found invalid is held out (its line deleted), one held out found valid is taken in; any
    other surprise (a duplicate id+version, an unexpected file shape) returns None and
    :func:`full` runs, which reports it.
    """
    quick, held = ctx.quick, ctx.held
    if quick is None or held is None:
        return None
    if len(quick.changed) + len(quick.added) + len(quick.removed) + len(held.entries) > PATCH_MAX:
        return None
    plan = _plan(ctx, quick, held)
    if plan is None:
        return None
    try:
        source = ctx.store.path.open("rb")
    except OSError:
        return None  # not there: the full update reports it
    with source:  # open until written: a streamed edit reads the old file as it writes the new
        try:
            edit = _edit(source, plan.new, plan.quick)
        except OSError:
            return None
        return None if edit is None else _land(ctx, plan, edit)


def _plan(ctx: UpdateContext, quick: QuickCheck, held: Reread) -> _Splice | None:
    """The changed and added units read again, with the held-out ones read already: what the
    splice edits (:class:`_Splice`); None when a unit is valid but gave no stamp (only the full
    update judges it)."""
    read = reread(ctx.ws, quick_units(ctx.cache, quick))
    if read is None:
        return None
    invalid = read.invalid
    edits = replace(
        quick,
        changed=[rel for rel in quick.changed if rel not in invalid],
        added=utf8_sorted([*(rel for rel in quick.added if rel not in invalid), *held.entries]),
        removed=utf8_sorted([*quick.removed, *(rel for rel in quick.changed if rel in invalid)]),
    )
    still = {rel: meta for rel, meta in quick.held.items() if rel not in held.entries}
    sidecars = {rel: sidecar for rel in held.entries if (sidecar := quick.held[rel]) is not None}
    new, stamps = {**held.entries, **read.entries}, {**held.stamps, **read.stamps}
    findings = sort_findings([*held.findings, *read.findings])
    return _Splice(edits, new, stamps, {**still, **invalid}, findings, sidecars)


def _edit(source: BinaryIO, new: Entries, quick: QuickCheck) -> FileSplice | None:
    """The edit of the index file ``source``, made in the file read in chunks (:func:`splice_file`:
    memory does not grow with the index)."""
    keys = {(e["id"], e["version"]) for e in new.values()}
    added = {p: new[p] for p in quick.added}
    return splice_file(source, LineEdits({p: new[p] for p in quick.changed}, added, quick.removed), keys)


def _land(ctx: UpdateContext, plan: _Splice, edit: FileSplice) -> IndexResult | None:
    """Write the edit (when an entry changed) and the stat cache; None on a duplicate (id, version):
    the full update reports it. The findings of the units held out are the answer's."""
    from artigov.schema import log_findings

    ws, cache, quick, new = ctx.ws, ctx.cache, plan.quick, plan.new
    changed = utf8_sorted(p for p in quick.changed if new[p] != edit.replaced[p])
    paths = [*changed, *quick.added]
    before, after = {**edit.replaced, **edit.removed}, {p: new[p] for p in paths}
    if id_version_clash(lambda i, v: edit.holders[(i, v)], before, after):
        return None  # a duplicate (id, version): the full update reports it
    digest = cache.index_digest
    touched = utf8_sorted([*changed, *quick.added, *quick.removed])
    log_findings(plan.findings)
    if touched:
        digest = edit.digest
        delta = {p: new[p] for p in utf8_sorted(paths)}
        was = frameworks_left(before.values())
        ctx.store.write(
            IndexWrite(
                "update", edit.pieces, digest, edit.count, cache.index_digest, delta, quick.removed, touched, was=was
            )
        )
    else:  # racily clean files re-read: same entries, only the cache learns their stamps
        log_unchanged(ws, digest)
    cache.held = plan.held  # saved with the stamps: the units it holds out now
    cache.save_moved(quick, plan.stamps, digest, ws.index_path, plan.sidecars)
    return IndexResult(
        "update", digest, edit.count, bool(touched), quick.added, changed, quick.removed, plan.findings, ctx.recovery
    )


def full(ctx: UpdateContext) -> IndexResult:
    """Walk the workspace (re-reading only files the stat cache cannot vouch for) and rewrite the
    index when an entry was added, changed or removed."""
    from artigov.schema import log_findings

    ws, store, cache, quick = ctx.ws, ctx.store, ctx.cache, ctx.quick
    base = store.read()
    old = base.entries if base else {}
    if quick is not None and quick.moved:
        quick = None  # files came or went: the walk finds them
    if base is None or cache.index_digest != base.digest:
        cache = StatCache(cache.path)  # stamps of another index prove nothing about this one
        quick = None
    found = scan(ws, progress=ctx.progress, old=old, cache=cache, changed=quick.changed if quick else None)
    log_findings(found.findings)
    added, changed, removed = diff(old, found.entries)
    written = base is None or bool(added or changed or removed)
    rels = [*added, *changed, *removed]
    digest = store.commit("update", base, found.entries, rels) if written else base.digest  # type: ignore[union-attr]
    if cache.outdated(found.stamps, found.dirs, found.held, index_written=written, walked=quick is None):
        save_cache(ws, found, digest)
    if not written:
        log_unchanged(ws, digest)
    return IndexResult(
        "update", digest, len(found.entries), written, added, changed, removed, found.findings, ctx.recovery
    )


#: Tried in this order; :func:`full` always answers.
STRATEGIES: tuple[Callable[[UpdateContext], IndexResult | None], ...] = (unchanged, spliced, full)


def update(
    ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, progress: ProgressHook | None = None
) -> IndexResult:
    """Bring the index up to date with the workspace, re-reading only changed files.

    When the stat cache can prove which files changed (:meth:`StatCache.check`), there is no
    walk; when it proves nothing changed, the index is not even parsed.
    """
    store = IndexStore(ws, lock_timeout=lock_timeout)
    with store.locked(rebuilder(ws)) as recovery:
        cache = StatCache.load(cache_path(ws))
        quick = quick_check(ws, cache) if recovery is None else None
        ctx = UpdateContext(ws, store, cache, quick, recovery, progress, read_held(ws, quick))
        for strategy in STRATEGIES:
            result = strategy(ctx)
            if result is not None:
                return result
    raise AssertionError("the full strategy always answers")  # pragma: no cover
