"""The routing map as ``artigov adopt`` reads it backwards (a folder names its kind), and the
subtree routes it proposes for nested docs trees (``frameworks/{framework}/docs/{path}``).

A docs tree nests folders freely. A route for each folder would give permanent R001 conflicts
(nested folders of different kinds), so where documents sit below exactly one kind's folder, and
no other kind's folder is inside it, adopt proposes that the kind owns its subtree: its route's
``dir`` gains a final ``/{path}`` and each document keeps its place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from artigov.core import ArtigovError, Workspace

__all__ = ["KindFolders", "subtree_routes", "write_routes"]


@dataclass(frozen=True)
class _Folder:
    kind: str
    template: str
    #: the kind's folder for this framework (the template without a final /{path})
    exact: re.Pattern[str]
    subtree: bool
    #: one folder ``exact`` names (another placeholder filled with ``x``)
    sample: str


class KindFolders:
    """Each route's folder for one framework, to name the kind of the folder a file sits in."""

    def __init__(self, ws: Workspace, framework: str, overrides: dict[str, str] | None = None) -> None:
        from artigov.router import load_routing_map, subtree_base

        routing = load_routing_map(ws)
        self.folders = []
        for kind, route in sorted(routing.routes.items()):
            template = (overrides or {}).get(kind, route.dir)
            base, subtree = subtree_base(template)
            pieces = _pieces(base, framework, kind)
            pattern = "".join(re.escape(text) if literal or text else "[^/]+" for text, literal in pieces)
            sample = "".join(text if literal or text else "x" for text, literal in pieces)
            self.folders.append(_Folder(kind, template, re.compile(pattern.strip("/")), subtree, sample.strip("/")))

    def kinds_of(self, folder: str) -> list[str]:
        """The kinds whose route names ``folder`` (or, for a subtree route, a folder above it)."""
        return [f.kind for f in self.folders if _owns(f, folder)]

    def below(self, folder: str) -> list[_Folder]:
        """The plain (not subtree) routes whose folder is above ``folder``."""
        out = []
        for f in self.folders:
            if f.subtree:
                continue
            for cut in _ancestors(folder):
                if f.exact.fullmatch(cut):
                    out.append(f)
                    break
        return out


def _pieces(base: str, framework: str, kind: str) -> list[tuple[str, bool]]:
    """``base`` as (text, literal) pieces: ``{framework}`` and ``{kind}`` filled in, any other
    placeholder as ("", False) (any one folder name)."""
    from artigov.router import PLACEHOLDER

    pieces, last = [], 0
    for m in PLACEHOLDER.finditer(base):
        pieces.append((base[last : m.start()], True))
        name = m.group(1)
        pieces.append((framework if name == "framework" else kind if name == "kind" else "", False))
        last = m.end()
    pieces.append((base[last:], True))
    return pieces


def _owns(f: _Folder, folder: str) -> bool:
    if f.exact.fullmatch(folder):
        return True
    return f.subtree and any(f.exact.fullmatch(cut) for cut in _ancestors(folder))


def _ancestors(folder: str) -> list[str]:
    parts = folder.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts) - 1, -1, -1)]


def subtree_routes(folders: KindFolders, unrouted: list[str]) -> dict[str, str]:
    """kind -> its route's new ``dir`` (with ``/{path}``) for the folders no route names, where
    each sits below exactly one kind's folder and no other kind's folder is inside that one."""
    out: dict[str, str] = {}
    for folder in sorted(set(unrouted)):
        above = folders.below(folder)
        if len(above) != 1:
            continue
        owner = above[0]
        inside = [
            f
            for f in folders.folders
            if f is not owner and any(owner.exact.fullmatch(cut) for cut in _ancestors(f.sample))
        ]
        if not inside:
            out[owner.kind] = owner.template.rstrip("/") + "/{path}"
    return out


def _setter(template: str) -> Callable[[re.Match[str]], str]:
    """The replacement of a ``dir:`` line's value by ``template``, in the line's own quotes."""

    def put(m: re.Match[str]) -> str:
        return f"{m.group(1)}{m.group(2)}{template}{m.group(2)}{m.group(3)}"

    return put


def write_routes(ws: Workspace, path: Path, changes: dict[str, str]) -> None:
    """The routing map at ``path`` with each kind's ``dir:`` line set to its new template (the other
    bytes kept), written atomically, then loaded again to prove it.

    Raises:
        ArtigovError: a route is not written as a ``dir:`` line under its kind (edit it by hand), or
            the edited map does not load to the intended routes (the old bytes are put back).
    """
    from artigov.core import write_atomic
    from artigov.router import load_routing_map

    before = load_routing_map(ws)
    old = path.read_bytes()
    text = old.decode("utf-8")
    for kind, template in sorted(changes.items()):
        current = before.routes[kind].dir
        line = re.compile(
            rf"(?m)^([ \t]+{re.escape(kind)}:[ \t]*\r?\n(?:[ \t]+[^\r\n]*\r?\n)*?[ \t]+dir:[ \t]*)"
            rf"(['\"]?){re.escape(current)}\2([ \t]*(?:#[^\r\n]*)?)$"
        )
        text, n = line.subn(_setter(template), text, count=1)
        if n != 1:
            raise ArtigovError(
                f"cannot set routes.{kind}.dir in {ws.rel(path)} by itself (it is not a `dir:` line under `{kind}:`)",
                fix=f"set it by hand to {template!r}, then run adopt again",
            )
    write_atomic(path, text.encode("utf-8"), lock=False)
    after = load_routing_map(ws).routes
    wanted = {k: changes.get(k, r.dir) for k, r in before.routes.items()}
    if {k: r.dir for k, r in after.items()} != wanted:
        write_atomic(path, old, lock=False)
        raise ArtigovError(
            f"setting {', '.join(sorted(changes))} in {ws.rel(path)} would not give the intended routes; put back",
            fix="; ".join(f"set routes.{k}.dir to {t!r} by hand" for k, t in sorted(changes.items())),
        )
