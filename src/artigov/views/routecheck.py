"""``artigov route check`` on a large workspace: placement from the index, kept per index version.

Routing templates and the command matrix are checked every time (they are small). Artifact
placement is the expensive part, and it depends only on the routing map and on each artifact's
path, kind, framework, id and version, which the index holds. So, when the stat cache proves the
index current (:func:`artigov.index.proved_changes`):

* the placement of every indexed artifact is kept for that index digest and routing map
  (:class:`artigov.index.DerivedCache`);
* when the index was since rewritten by a few changed entries (``index update`` after an edit:
  the pre-commit hooks' case), the placement kept for the earlier index is carried over: only the
  entries the recorded index steps touched are placed again, read from the index by a byte search
  (:meth:`artigov.index.DerivedCache.before`, :func:`artigov.index.read_entries`);
* otherwise it is computed once from the index's entries;
* the few files changed since the index was written are loaded and placed afresh, replacing
  what was kept about them.

Otherwise every artifact is read, as before. The findings are the same either way (tests hold
them equal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from artigov.core import Workspace
from artigov.router import PlacementResult, RouteReport

if TYPE_CHECKING:
    from artigov.index import DerivedCache, Entries, Proved

__all__ = ["index_placement", "route_check", "routes_over"]


def route_check(ws: Workspace, *, proof: Proved | None = None) -> RouteReport:
    """``artigov route check`` on the index: placement from the index's entries (kept per index
    digest, carried over small index steps), conflicts from the routing files; the few files the
    stat cache says changed or were added are read again, those removed dropped.

    ``proof``: the index's digest and the units changed since it was written, already proved by
    this process's own stat check (``artigov hook pre-commit``: its index verify just compared
    every file, so the files are not stat'ed a second time); else the stat cache is asked here."""
    from artigov.index import proved_changes, read_units
    from artigov.router import check_routes

    proved = proof if proof is not None else proved_changes(ws)
    if proved is None:
        return check_routes(ws)
    known = index_placement(ws, proved.digest)
    if known is None:
        return check_routes(ws)
    fresh, _invalid, _findings = read_units(ws, proved.units)  # an invalid file is validate's business
    return routes_over(ws, known, proved, fresh)


def routes_over(ws: Workspace, known: PlacementResult, proved: Proved, fresh: Entries) -> RouteReport:
    """Routing conflicts with ``known`` (the placement of the index ``proved`` describes) overlaid
    by the files changed since: those changed, added or removed dropped from it, and ``fresh`` (the
    ones read again that are valid artifacts) placed afresh."""
    from artigov.router import check_routes

    rest = known.without({u.path for u in proved.units} | set(proved.removed))
    rest.checked = known.checked - (len(proved.units) - len(proved.added)) - len(proved.removed)  # the indexed ones
    return check_routes(ws, entries=fresh, known=rest)


def index_placement(ws: Workspace, digest: str, *, compute: bool = True) -> PlacementResult | None:
    """The placement of every entry of the index with ``digest``: the one kept for it, else the one
    kept for an earlier index carried over the steps since, else (``compute``) placed from the index
    and kept. None when the index on disk is no longer that one, or nothing is kept and ``compute``
    is False (``artigov status`` without a state folder: it never makes one, so it only reads)."""
    from artigov.index import DerivedCache, file_stamp

    cache = DerivedCache(ws, "placement")
    key = {"routing": file_stamp(ws.routing_map), "root": str(ws.root)}
    known = _kept(cache, digest, key)
    if known is not None:
        return known
    known = _carried(ws, cache, digest, key) or (_placed(ws, digest) if compute else None)
    if known is not None and compute:
        cache.put(digest, key, known.to_dict())
    return known


def _kept(cache: DerivedCache, digest: str, key: Any) -> PlacementResult | None:
    held = cache.get(digest, key)
    return None if held is None else PlacementResult.from_dict(held)


def _carried(ws: Workspace, cache: DerivedCache, digest: str, key: Any) -> PlacementResult | None:
    """The placement kept for an earlier index, carried to this one: the entries the index steps
    since have added, changed or removed are dropped and those still indexed placed again."""
    from artigov.index import read_entries
    from artigov.router import check_placement

    before = cache.before(digest, key)
    if before is None:
        return None
    value, touched = before
    found = read_entries(ws, digest, sorted(touched))
    if found is None:
        return None
    entries, count = found
    kept = PlacementResult.from_dict(value).without(touched)
    fresh = check_placement(ws, entries)
    return PlacementResult(kept.findings + fresh.findings, kept.misplaced + fresh.misplaced, count)


def _placed(ws: Workspace, digest: str) -> PlacementResult | None:
    """The placement of every entry of the index, if it is still the one with ``digest``: the
    entries are placed as they are read, never held (:func:`artigov.index.fold_index`)."""
    from artigov.index import fold_index
    from artigov.router import check_placement

    return fold_index(ws, digest, lambda entries: check_placement(ws, entries))
