"""Resolving an artifact to its canonical path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from artigov.core import ArtigovError
from artigov.router._maps import PLACEHOLDER, RoutingMap, placeholders, subtree_base
from artigov.router.errors import NoRouteError

__all__ = ["NoRouteError", "PlacementCache", "canonical_path", "render"]


def render(template: str, values: dict[str, str]) -> str:
    """Fill a template's ``{name}`` placeholders with plain text substitution (never ``str.format``:
    ``{id[99]}`` or ``{framework.x}`` must not index or look up anything).

    Raises:
        ArtigovError: a placeholder that is not one of ``values`` (route check reports it as R007).
    """
    unknown = [p for p in placeholders(template) if p not in values]
    if unknown:
        raise ArtigovError(
            f"template {template!r} uses unknown placeholder(s) {', '.join(map(repr, unknown))}",
            fix="use only {framework}, {kind}, {id} and {version} (run `artigov route check`)",
        )
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)  # every match is a known name here


def canonical_path(routing: RoutingMap, path: str, meta: dict[str, str]) -> str:
    """The POSIX path, relative to the root, where the artifact at ``path`` belongs.

    Args:
        routing: the routing map.
        path: the artifact's current path (its file name is kept unless the
            route has a filename template).
        meta: the artifact's metadata (``framework``, ``kind``, ``id``, ``version``).
    """
    route = routing.routes.get(meta.get("kind", ""))
    if route is None:
        raise NoRouteError(meta.get("kind", ""), str(routing.path.name))
    values = {k: str(meta.get(k, "")) for k in ("framework", "kind", "id", "version")}
    template, subtree = subtree_base(route.dir)
    directory = render(template, values).strip("/")
    if subtree:
        directory = keep_place(directory, path)
    name = render(route.filename, values) if route.filename else path.rpartition("/")[2]  # relative POSIX paths
    return f"{directory}/{name}" if directory else name


def keep_place(directory: str, path: str) -> str:
    """The folder of ``path`` when it is ``directory`` or below it (a ``/{path}`` route keeps each
    artifact's place in its kind's subtree), else ``directory`` itself."""
    folder = path.rpartition("/")[0]
    if not directory or folder == directory or folder.startswith(directory + "/"):
        return folder
    return directory


class PlacementCache:
    """:func:`canonical_path` for many artifacts, each distinct rendering done once.

    A speed seam, nothing more: a route's folder template usually names only ``{framework}`` and
    ``{kind}``, so 100,000 artifacts have a few hundred distinct folders. The folder is rendered once
    per distinct tuple of the values its template uses, with :func:`render` itself; the result is
    what :func:`canonical_path` returns (a test holds the two equal).
    """

    def __init__(self, routing: RoutingMap) -> None:
        self.routing = routing
        self._dirs: dict[tuple[str, ...], str] = {}
        self._used = {kind: tuple(sorted(set(placeholders(r.dir)))) for kind, r in routing.routes.items()}
        #: kind -> (its folder template without a final /{path}, whether it owns the subtree below)
        self._bases = {kind: subtree_base(r.dir) for kind, r in routing.routes.items()}

    def placed(self, path: str, meta: Mapping[str, Any]) -> bool:
        """True if ``path`` is already where :meth:`target` says (without building the target)."""
        kind = meta.get("kind", "")
        route = self.routing.routes.get(kind)
        if route is None or route.filename:
            return False  # let target() decide (and raise) for these
        template, subtree = self._bases[kind]
        try:
            directory = self._directory(kind, template, meta)
        except ArtigovError:
            return False  # a bad template: target() raises it where the caller reports it
        if not directory:
            return subtree or "/" not in path
        n = len(directory)
        inside = path.startswith(directory) and path[n : n + 1] == "/"
        return inside and (subtree or "/" not in path[n + 1 :])

    def _directory(self, kind: str, template: str, meta: Mapping[str, Any]) -> str:
        key = (kind, *(str(meta.get(k, "")) for k in self._used[kind]))
        directory = self._dirs.get(key)
        if directory is None:
            directory = render(template, {k: str(meta.get(k, "")) for k in _FIELDS}).strip("/")
            self._dirs[key] = directory
        return directory

    def target(self, path: str, meta: Mapping[str, Any]) -> str:
        """The canonical path of the artifact at ``path`` with metadata ``meta``."""
        kind = str(meta.get("kind", ""))
        route = self.routing.routes.get(kind)
        if route is None or route.filename:
            return canonical_path(self.routing, path, {k: str(meta.get(k, "")) for k in _FIELDS})
        template, subtree = self._bases[kind]
        directory = self._directory(kind, template, meta)
        if subtree:
            directory = keep_place(directory, path)
        name = path.rpartition("/")[2]
        return f"{directory}/{name}" if directory else name


_FIELDS = ("framework", "kind", "id", "version")
