"""A memory seam of ``index update``: a few entry lines edited in the index FILE, never held whole.

Editing an index's bytes in memory held the ~100 MB file at 300,000 artifacts to change one line
of it. :func:`splice_file` finds the lines to
replace and delete, and where new ones go, in chunks of whole lines
(:class:`artigov.index._stream.ChunkedIndex`), hashing the new file as it goes, and the
:class:`FileSplice` it returns writes the new file as ranges of the old one read again in chunks,
with the new lines between them: memory holds a chunk, whatever the index's size. The bytes are
those of a full rewrite (property tests hold them equal, in chunks of any size); a file that
changed between the two reads is refused, never written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import orjson

from artigov.index._model import HEAD, TAIL, Entries, entry_line
from artigov.index._scan import LineAt, first_line_after, lines_in_run
from artigov.index._stream import SLICE_CHUNK, ChunkedIndex, parse_line

__all__ = ["FileSplice", "LineEdits", "splice_file"]

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
    #: the entries deleted, as they were
    removed: Entries = field(default_factory=dict)

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


@dataclass(frozen=True)
class LineEdits:
    """What to edit in an index file: entries replaced (``changes``), inserted at their sorted
    places (``added``, paths not in it) and deleted (``removed``)."""

    changes: Entries = field(default_factory=dict)
    added: Entries = field(default_factory=dict)
    removed: Sequence[str] = ()


def _insert_at(body: bytes, path: str) -> int | None:
    """Where in ``body`` a new line for ``path`` goes, if its place is in this run of lines
    (``len(body)``: in a later one); None when a line probed is not an entry."""
    last = body.rfind(b"\n", 0, len(body) - 1) + 1
    if body[last:] == TAIL:  # the file's last run: the place is before its tail at the latest
        return first_line_after(body, path, 0, last)
    parsed = parse_line(body[last:-1])
    if parsed is None:
        return None
    return first_line_after(body, path, 0, last) if parsed[0] > path else len(body)


#: One edit in a run of lines: (start, order, end, new bytes), offsets in the run; at one place an
#: insert (order 0) goes before the line it precedes is replaced or deleted (order 1).
_Cut = tuple[int, int, int, bytes]


class _Found:
    """The cuts, old entries and id holders one read of the file finds (:func:`splice_file`); what
    is still ``pending`` was not met yet."""

    def __init__(self, edits: LineEdits, keys: Iterable[tuple[str, str]]) -> None:
        self.edits = edits
        self.dumped = {p: orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for p, e in edits.changes.items()}
        self.pending = {"replace": sorted(edits.changes), "delete": sorted(edits.removed)}
        self.pending["insert"] = sorted(edits.added)
        self.replaced: Entries = {}
        self.removed: Entries = {}
        self.holders = dict.fromkeys(keys, 0)

    def cuts_in(self, body: bytes, offset: int) -> list[_Cut] | None:
        """The edits in ``body`` (whole lines at ``offset`` of the file), in order; None on a
        surprise (the caller gives up)."""
        looked = lines_in_run(body, [p for paths in self.pending.values() for p in paths], self.holders)
        if looked is None or any(p in looked[1] for p in self.pending["insert"]):
            return None  # a line that is no entry, or a path "added" but indexed already
        data, lines = looked
        parts = (self._replacing(lines), self._deleting(data, lines, offset), self._inserting(body, offset))
        if any(part is None for part in parts):
            return None
        return sorted((cut for part in parts for cut in part or ()), key=lambda c: (c[0], c[1]))

    def _replacing(self, lines: dict[str, LineAt]) -> list[_Cut]:
        cuts = []
        for path in self.pending["replace"]:
            if (line := lines.get(path)) is not None:
                self.replaced[path] = line.entry
                cuts.append((line.start - 1, 1, line.end - 1, self.dumped[path]))  # less the leading newline
        self.pending["replace"] = [p for p in self.pending["replace"] if p not in self.replaced]
        return cuts

    def _deleting(self, data: bytes, lines: dict[str, LineAt], offset: int) -> list[_Cut] | None:
        cuts = []
        for path in self.pending["delete"]:
            if (line := lines.get(path)) is None:
                continue
            at = data.rfind(b"\n", 0, line.start)  # where the line starts in the run
            if offset + at == len(HEAD):
                return None  # the first entry line: the next one would lose its comma
            self.removed[path] = line.entry
            cuts.append((at, 1, line.end, b""))
        self.pending["delete"] = [p for p in self.pending["delete"] if p not in self.removed]
        return cuts

    def _inserting(self, body: bytes, offset: int) -> list[_Cut] | None:
        cuts = []
        placed = set()
        for path in self.pending["insert"]:
            at = _insert_at(body, path)
            if at is None or offset + at == len(HEAD):
                return None  # the new first entry line would need no comma, the old one its comma
            if at < len(body):
                placed.add(path)
                cuts.append((at, 0, at, b"," + entry_line(path, self.edits.added[path]) + b"\n"))
        self.pending["insert"] = [p for p in self.pending["insert"] if p not in placed]
        return cuts


def splice_file(
    source: BinaryIO, edits: LineEdits, keys: Iterable[tuple[str, str]] = (), *, chunk: int = 0
) -> FileSplice | None:
    """The index file ``source`` with ``edits`` made, found and hashed in one read in chunks, and
    how many entries of the old file hold each of ``keys`` (id, version); None when the file is not
    shaped like an index, a path changed or removed is not in it, an added one is, or the first
    entry line would change (the caller takes another path). ``chunk``: bytes read at a time (by
    default :data:`artigov.index._stream.SLICE_CHUNK`)."""
    found = _Found(edits, keys)
    cuts: list[tuple[int, int, bytes]] = []
    hasher = hashlib.sha256(HEAD)
    offset = len(HEAD)
    index = ChunkedIndex(source, chunk or SLICE_CHUNK, hashed=False)  # the base's digest: the stat cache's
    for body in index.bodies():
        here = found.cuts_in(body, offset)
        if here is None:
            return None
        view, pos = memoryview(body), 0
        for start, _order, end, new in here:
            hasher.update(view[pos:start])
            hasher.update(new)
            cuts.append((offset + start, offset + end, new))
            pos = end
        hasher.update(view[pos:])
        offset += len(body)
    if not index.shaped or any(found.pending.values()):
        return None
    count = index.lines - 1 + len(edits.added) - len(found.removed)  # the tail line is no entry
    digest = "sha256:" + hasher.hexdigest()
    return FileSplice(source, tuple(cuts), offset, digest, count, found.replaced, found.holders, found.removed)
