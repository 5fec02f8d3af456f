"""The no-change ``index update``, light enough for a pre-commit hook on every commit.

:func:`unchanged` proves "nothing changed" from stats alone
(:meth:`StatCache.check`) with only the standard library, orjson and PyYAML
loaded: no jsonschema, no structlog, no Typer. It returns None whenever it
cannot prove it (a changed file, a leftover journal or temp file, a held lock,
another config, no cache ...); the caller then runs the full
:func:`artigov.index.ops.update`, which reports and repairs everything. The
answer is the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from artigov.core.atomic import FileLock, lock_path_for
from artigov.core.errors import ArtigovError
from artigov.core.faults import fault_point
from artigov.core.workspace import Workspace, load_workspace
from artigov.index.journal import Journal, stale_temps
from artigov.index.statcache import NAME, StatCache
from artigov.schema.discovery import discovery_scope

__all__ = ["Unchanged", "unchanged"]


@dataclass(frozen=True)
class Unchanged:
    """The proof: this workspace's index, with this digest and entry count, is up to date."""

    ws: Workspace
    digest: str
    count: int


def unchanged(root: Path | None) -> Unchanged | None:
    """The proof that the index at ``root`` (default: found from cwd) is up to date, or None."""
    try:
        # The config's JSON Schema check is skipped only because the cache must then show that
        # exactly these config bytes were loaded, checked, by the update that wrote it.
        ws = load_workspace(root, check_schema=False)
    except (ArtigovError, OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    cache = StatCache.load(ws.state_dir / NAME)
    if not cache.config_digest or cache.config_digest != ws.config_digest:
        return None
    lock = FileLock(lock_path_for(ws.index_path), timeout=0)
    try:
        lock.acquire()
    except (ArtigovError, OSError):
        return None  # another writer: the full update waits for it (and names it) properly
    try:
        fault_point("after-lock")
        if Journal(ws.state_dir / "index.journal").pending() or stale_temps(ws.index_path, ws.state_dir, NAME):
            return None
        quick = cache.check(ws.root, ws.index_path, discovery_scope(ws))
        if quick is None or quick.changed:
            return None
        return Unchanged(ws, cache.index_digest, cache.units)
    finally:
        lock.release()
