"""A memory seam of ``index update``: a few entries replaced in the index FILE, never held whole.

:func:`artigov.index._scan.splice` edits an index's bytes in memory: at 300,000 artifacts a
one-file update held the ~100 MB file to change one line. :func:`splice_file` finds the changed
entries' lines in chunks of whole lines (:class:`artigov.index._stream.ChunkedIndex`), hashing the
new file as it goes, and the :class:`FileSplice` it returns writes the new file as ranges of the
old one read again in chunks, with the new entries between them: memory holds a chunk, whatever
the index's size. The bytes are those :func:`~artigov.index._scan.splice` makes (a property test
holds them equal); a file that changed between the two reads is refused, never written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import orjson

from artigov.index._model import HEAD, Entries
from artigov.index._scan import _entry_at, _line_at, id_version_holders
from artigov.index._stream import SLICE_CHUNK, ChunkedIndex

__all__ = ["FileSplice", "splice_file"]

#: Bytes of the old file read at a time when the new one is written.
COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileSplice:
    """The new index file: the old one (``source``, kept open until written) with the objects of
    some entry lines replaced (``cuts``: start, end, new bytes, in file order). Iterating it
    yields the new file's bytes in pieces (what :func:`artigov.core.write_atomic` writes); the
    old file is read again, and a difference from what was hashed raises :class:`OSError`."""

    source: BinaryIO
    cuts: tuple[tuple[int, int, bytes], ...]
    #: bytes of the old file
    size: int
    #: ``sha256:`` of the new file
    digest: str
    #: entries in the file (the same before and after)
    count: int
    #: the entries replaced, as they were
    replaced: Entries
    #: how many entries of the old file hold each (id, version) asked
    holders: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def pieces(self) -> Iterable[bytes]:
        """The new file's bytes, in order (read from the old file as they are written)."""
        return self

    def __iter__(self) -> Iterator[bytes]:
        fd = self.source.fileno()
        hasher = hashlib.sha256()
        pos = 0
        for start, end, new in (*self.cuts, (self.size, self.size, b"")):
            while pos < start:
                piece = os.pread(fd, min(COPY_CHUNK, start - pos), pos)
                if not piece:
                    raise OSError("the index file got shorter while it was being updated")
                hasher.update(piece)
                yield piece
                pos += len(piece)
            if new:
                hasher.update(new)
                yield new
            pos = end
        if "sha256:" + hasher.hexdigest() != self.digest or os.fstat(fd).st_size != self.size:
            raise OSError("the index file changed while it was being updated")


def splice_file(
    source: BinaryIO, changes: Entries, keys: Iterable[tuple[str, str]] = (), *, chunk: int = 0
) -> FileSplice | None:
    """The index file ``source`` with the entries of ``changes``' paths replaced, found and hashed in
    one read in chunks, and how many entries hold each of ``keys`` (id, version); None when the file
    is not shaped like an index or a path is not in it (the caller takes another path). ``chunk``:
    bytes read at a time (by default :data:`artigov.index._stream.SLICE_CHUNK`)."""
    dumped = {path: orjson.dumps(entry, option=orjson.OPT_SORT_KEYS) for path, entry in changes.items()}
    pending = sorted(changes)
    cuts: list[tuple[int, int, bytes]] = []
    replaced: Entries = {}
    holders = dict.fromkeys(keys, 0)
    hasher = hashlib.sha256(HEAD)
    offset = len(HEAD)
    index = ChunkedIndex(source, chunk or SLICE_CHUNK, hashed=False)  # the base's digest: the stat cache's
    for body in index.bodies():
        data = b"\n" + body  # every line of the chunk starts after a newline, as in the whole file
        here = []
        for path in pending:
            found = _line_at(data, path)
            if found is None:
                continue
            old = _entry_at(data, found)
            if old is None:
                return None
            replaced[path] = old
            here.append((found[0] - 1, found[1] - 1, dumped[path]))  # offsets in ``body``
        pending = [p for p in pending if p not in replaced]
        view, pos = memoryview(body), 0
        for start, end, new in sorted(here):
            hasher.update(view[pos:start])
            hasher.update(new)
            cuts.append((offset + start, offset + end, new))
            pos = end
        hasher.update(view[pos:])
        for key in holders:
            holders[key] += id_version_holders(data, *key, start=0)
        offset += len(body)
    if not index.shaped or pending:
        return None
    return FileSplice(source, tuple(cuts), offset, "sha256:" + hasher.hexdigest(), index.lines - 1, replaced, holders)
