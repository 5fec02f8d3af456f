"""``artigov route check`` on a large workspace: placement from the index, kept per index version.

Routing templates and the command matrix are checked every time (they are small). Artifact
placement is the expensive part, and it depends only on the routing map and on each artifact's
path, kind, framework, id and version, which the index holds. So, when the stat cache proves the
index current (:func:`artigov.index.proved_changes`):

* the placement of every indexed artifact is kept for that index digest and routing map
  (:class:`artigov.index.DerivedCache`), computed once from the index's entries;
* the few files changed since the index was written are loaded and placed afresh, replacing
  what was kept about them.

Otherwise every artifact is read, as before. The findings are the same either way (a test holds
the two equal).
"""

from __future__ import annotations

from artigov.core import Workspace
from artigov.router import RouteReport

__all__ = ["route_check"]


def route_check(ws: Workspace) -> RouteReport:
    """``artigov route check`` on the index: placement from the index's entries (cached per index
    digest), conflicts from the routing files; the few files the stat cache says changed are read again."""
    from artigov.index import DerivedCache, file_stamp, proved_changes, read_index, read_units
    from artigov.router import PlacementResult, check_placement, check_routes

    proved = proved_changes(ws)
    if proved is None:
        return check_routes(ws)
    digest, changed = proved
    cache = DerivedCache(ws, "placement")
    key = {"routing": file_stamp(ws.routing_map), "root": str(ws.root)}
    held = cache.get(digest, key)
    if held is None:
        index = read_index(ws)
        if index.digest != digest:
            return check_routes(ws)
        known = check_placement(ws, index.entries)
        cache.put(digest, key, known.to_dict())
    else:
        known = PlacementResult.from_dict(held)
    fresh, _invalid, _findings = read_units(ws, changed)  # an invalid file is validate's business
    gone = {p for u in changed for p in (u.path, u.meta_path) if p}
    rest = known.without(gone)
    rest.checked = known.checked - len(changed)
    return check_routes(ws, entries=fresh, known=rest)
