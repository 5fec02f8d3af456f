"""The stat cache: which files are unchanged since they were last indexed.

Kept in ``state_dir/statcache.json`` (never in the index, which must not hold
host data). For each indexed path it records ``[size, mtime_ns, ctime_ns,
inode]`` of the content file and of its sidecar. ``update`` trusts an entry
only if the stats are identical AND the file is not "racy": following git,
a file whose mtime is not older than the cache file's own mtime may have
changed again within the timestamp granularity, so it is re-hashed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson

from artigov.core.atomic import write_atomic
from artigov.core.canonical import canonical_json_plain
from artigov.schema.validate import Stamp, stamp_of

__all__ = ["StatCache", "Stamp", "stamp_of"]

_VERSION = 1


@dataclass
class StatCache:
    """path -> (content stamp, sidecar stamp or None)."""

    path: Path
    stamps: dict[str, tuple[Stamp, Stamp | None]] = field(default_factory=dict)
    reference_ns: int = 0
    #: Digest of the index these stamps describe: a cache is only valid with that index
    #: (a `git checkout` of an older index must not be "confirmed" by newer stamps).
    index_digest: str = ""

    @classmethod
    def load(cls, path: Path) -> StatCache:
        """Load the cache; a missing or unreadable cache is an empty one (it only costs speed)."""
        try:
            reference = path.stat().st_mtime_ns
            value = orjson.loads(path.read_bytes())
            if value.get("version") != _VERSION:
                return cls(path)
            stamps = {
                rel: (tuple(pair[0]), tuple(pair[1]) if pair[1] is not None else None)
                for rel, pair in value["stamps"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return cls(path)
        return cls(path, stamps, reference, str(value.get("index_digest", "")))

    def fresh(self, rel: str, content: Stamp | None, meta: Stamp | None) -> bool:
        """True if ``rel`` is unchanged since it was cached and not racily clean."""
        if not self.index_digest:
            return False
        cached = self.stamps.get(rel)
        if cached is None or content is None or cached != (content, meta):
            return False
        newest = max(content[1], meta[1] if meta else 0)
        return newest < self.reference_ns

    def save(self, index_digest: str) -> None:
        """Write the cache for the index with ``index_digest`` (the caller holds the index lock)."""
        self.index_digest = index_digest
        stamps = {k: [list(v[0]), list(v[1]) if v[1] else None] for k, v in self.stamps.items()}
        data = canonical_json_plain({"version": _VERSION, "index_digest": index_digest, "stamps": stamps})
        write_atomic(self.path, data, lock=False)
