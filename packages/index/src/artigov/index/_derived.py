"""Results derived from one version of the index, kept for the next command (a speed seam).

A command that checks something of every indexed artifact (placement, say) can keep its result
for the index it read: ``state_dir/derived-<name>.json`` holds the index digest, a key naming
every other input it depends on (file stamps), and the value. Asked again with the same digest
and key, it answers without reading the index; with anything else it answers None and the caller
computes afresh. A corrupt or foreign file is the same as none; writing is best effort (a
read-only state folder only costs speed). Nothing in it is ever committed or trusted for more.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from artigov.core import Workspace

__all__ = ["DerivedCache", "file_stamp"]

_FORMAT = 1


def file_stamp(path: Path) -> list[int] | None:
    """(size, mtime_ns, ctime_ns, inode) of ``path``, or None if it is not there."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class DerivedCache:
    """One value computed from an index, kept in ``state_dir`` and valid only for that index's digest
    and the same key (a speed seam: losing it costs one recomputation)."""

    def __init__(self, ws: Workspace, name: str) -> None:
        self.path = ws.state_dir / f"derived-{name}.json"

    def get(self, digest: str, key: Any) -> Any | None:
        """The value stored for index ``digest`` and ``key``, or None."""
        try:
            held = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(held, dict) or held.get("format") != _FORMAT:
            return None
        if held.get("index_digest") != digest or held.get("key") != key:
            return None
        return held.get("value")

    def put(self, digest: str, key: Any, value: Any) -> None:
        """Store ``value`` for index ``digest`` and ``key`` (best effort: a failed write is ignored)."""
        from artigov.core import DiskError, write_atomic

        data = json.dumps({"format": _FORMAT, "index_digest": digest, "key": key, "value": value}).encode()
        with contextlib.suppress(OSError, DiskError):  # best effort: the next command computes it again
            write_atomic(self.path, data, lock=False)
