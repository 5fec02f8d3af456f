"""A memory seam of ``index rebuild`` and ``index verify --full``: the walk's entries as index lines.

:func:`artigov.index._walk.scan` holds every entry as a dict (~1 KB an artifact: 350 MB for a
rebuild at 300,000). :func:`line_scan` walks and checks the same units with the same rules, but
each worker sends back the entry's line as the index file holds it (``"path":{…}``) with its id
and version; the parent writes the lines, in order, to an unnamed spool file (hashing them: the
new index's digest) and keeps only the paths, the stat stamps in the stat cache's packed form, and
a 64-bit hash of each (id, version). The lines
are compared with the old index read one entry at a time (:func:`merge_lines`), and written as the
new one from the spool (:attr:`LineScan.pieces`).

The answer is the walk's whenever it can be: two lines with one (id, version) hash (a duplicate, or
a collision) or paths not in byte order make :attr:`LineScan.plain` False, and the caller takes
:meth:`LineScan.as_scan`, the entries parsed back from the spool with :func:`scan`'s rules (the
tests hold the two equal, and the written index byte-equal to the walk's).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from artigov.core import Finding, Workspace, sort_findings
from artigov.index._model import HEAD, TAIL, Entries, Entry, entry_from_artifact, entry_line
from artigov.index._results import ProgressHook
from artigov.index._stamptable import StampPair
from artigov.index._statcache import Stamp, StatCache, Walked
from artigov.index._stream import StreamedIndex, parse_line
from artigov.index._walk import Scan, dedupe
from artigov.schema import Artifact

__all__ = ["MERGE_CHUNK", "LineDiff", "LineScan", "line_scan", "merge_lines", "no_index", "spool_file"]

#: Bytes of the spool read at a time when the new index is written from it.
READ_CHUNK = 1 << 20
#: Bytes of the old index read at a time to compare it with the lines (its default, 4 MiB, split
#: into lines, doubles for a moment: a rebuild's peak).
MERGE_CHUNK = 1 << 20
#: Pieces of lines joined into one spool write.
_BATCH = 3000


def twice(keys: array[int]) -> bool:
    """Whether a value comes twice in ``keys``, in two passes that hold a table of 16 to 32 bits a
    key and the few keys whose bit was set already (a sort, or a set of every key, holds 40 to 70
    bytes a key: 12 MB at 300,000, a rebuild's peak)."""
    mask = (1 << max(16, (len(keys) * 16).bit_length())) - 1
    seen = bytearray(mask // 8 + 1)
    suspects: set[int] = set()
    for key in keys:
        bit = key & mask
        if seen[bit >> 3] & (1 << (bit & 7)):
            suspects.add(key)
        seen[bit >> 3] |= 1 << (bit & 7)
    if not suspects:
        return False
    met: set[int] = set()
    for key in keys:
        if key in suspects:
            if key in met:
                return True
            met.add(key)
    return False


def _line_of(artifact: Artifact) -> tuple[bytes, str, str]:
    """What a worker sends back for a valid artifact: its index line, id and version (the parent
    keeps only a hash of the two)."""
    entry = entry_from_artifact(artifact)
    return entry_line(artifact.path, entry), entry["id"], entry["version"]


@contextmanager
def spool_file(ws: Workspace) -> Iterator[BinaryIO]:
    """An unnamed temporary file for the lines (in the state folder, beside the index, else the
    system's): nothing is left behind, whatever ends the command."""
    import tempfile  # only the walks that spool (rebuild, verify --full) load it

    try:
        spool = tempfile.TemporaryFile(dir=ws.state_dir)  # noqa: SIM115  # closed below
    except OSError:  # no state folder yet, or a read-only one (an auditor's verify)
        spool = tempfile.TemporaryFile()  # noqa: SIM115
    with spool:
        yield spool


#: A unit's place in the stat cache (:attr:`LineScan.flags`): its content file alone, then its
#: sidecar after it, or neither (its sidecar came or went while it was read).
ALONE, WITH_SIDECAR, LEFT_OUT = 0, 1, 2
_FLAGGED = re.compile(b"[^\x00]")


@dataclass
class LineScan:
    """What :func:`line_scan` found: the valid units' lines (in ``spool``) and paths (in ``names``,
    each UTF-8 and ended by a NUL), in walk order, their stamps and sidecars, the findings, and the
    listed folders. No string per path is held: the paths are read back from ``names``."""

    spool: BinaryIO
    #: the paths' spool (None: one in memory, for a few units)
    names: BinaryIO | None = None
    #: the stat cache's stamps of the units (:meth:`StatCache.of_walk`): four integers a path, each
    #: unit's then its sidecar's, the units left out of the cache skipped
    packed: array[int] = field(default_factory=lambda: array("q"))
    #: each unit's place in the cache: :data:`ALONE`, :data:`WITH_SIDECAR` or :data:`LEFT_OUT`
    flags: bytearray = field(default_factory=bytearray)
    metas: dict[str, str] = field(default_factory=dict)
    #: every unit is in the cache with its sidecar's stamp (else the cache vouches for no walk)
    complete: bool = True
    findings: list[Finding] = field(default_factory=list)
    #: Listed folders' stamps when the walk was complete (no layout finding, every unit indexed or
    #: held out); else None.
    dirs: dict[str, Stamp] | None = None
    #: the units found invalid, held out of the index: path -> sidecar path (see :class:`Scan`)
    held: dict[str, str | None] = field(default_factory=dict)
    #: the (id, version) hashes of the lines (this process's ``hash``: a collision only sends the
    #: caller the dicts' way), until :meth:`settle` tells whether one came twice
    keys: array[int] = field(default_factory=lambda: array("q"))
    #: whether the paths came in byte order (the index's) and no (id, version) hash came twice
    plain: bool = True
    size: int = 0
    count: int = 0
    _last: str = ""
    _hasher: Any = field(default_factory=lambda: hashlib.sha256(HEAD))
    _batch: list[bytes] = field(default_factory=list)
    _named: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.names is None:
            self.names = io.BytesIO()

    def add(self, path: str, line: bytes, key: tuple[str, str], stamps: StampPair, meta: str | None) -> None:
        """One valid unit's line (and its (id, version) ``key``), after the last one."""
        if self.count:
            if self._last >= path:  # code point order: the UTF-8 bytes' order
                self.plain = False
            self._batch.append(b",")
        self._last = path
        self._batch += (line, b"\n")
        self._named += (path.encode("utf-8", "surrogateescape"), b"\0")
        if len(self._batch) >= _BATCH:
            self._write()
        self.count += 1
        self.keys.append(hash(key))
        content, meta_stamp = stamps
        if (meta is None) != (meta_stamp is None):  # a sidecar gone or come since it was read
            self.complete = False
            self.flags.append(LEFT_OUT)
            return
        self.packed.extend(content)
        if meta is not None and meta_stamp is not None:
            self.packed.extend(meta_stamp)
            self.metas[path] = meta
            self.flags.append(WITH_SIDECAR)
        else:
            self.flags.append(ALONE)

    def _write(self) -> None:
        """Spool and hash the pieces added since the last time (one write and one hash update)."""
        data = b"".join(self._batch)
        self._batch.clear()
        self.spool.write(data)
        self._hasher.update(data)
        self.size += len(data)
        assert self.names is not None
        self.names.write(b"".join(self._named))
        self._named.clear()

    def settle(self) -> None:
        """The walk is over: tell whether an (id, version) hash came twice, and let the hashes go."""
        self._write()
        self.plain = self.plain and not twice(self.keys)
        self.keys = array("q")
        self.spool.flush()

    @property
    def digest(self) -> str:
        """``sha256:`` of the index file the lines make."""
        hasher = self._hasher.copy()
        hasher.update(TAIL)
        return "sha256:" + str(hasher.hexdigest())

    @property
    def pieces(self) -> _Pieces:
        """The index file the lines make, in pieces (read from the spool as they are written)."""
        self.spool.flush()
        return _Pieces(self.spool.fileno(), self.size)

    def _name_runs(self) -> Iterator[list[bytes]]:
        """The paths as the spool holds them (UTF-8 bytes), a read's worth at a time."""
        names = self.names
        assert names is not None
        names.flush()
        names.seek(0)
        rest = b""
        while piece := names.read(READ_CHUNK):
            run = (rest + piece).split(b"\0")
            rest = run.pop()  # the part after the last NUL: the next read ends it
            if run:  # (a read without a NUL ends no path)
                yield run

    @property
    def paths(self) -> Iterator[str]:
        """The valid units' paths, in walk order (read from the spool)."""
        for run in self._name_runs():
            for raw in run:
                yield raw.decode("utf-8", "surrogateescape")

    def lines(self) -> Iterator[tuple[str, bytes]]:
        """(path, line without its separator and newline) of each valid unit, in walk order."""
        self.spool.flush()
        self.spool.seek(0)
        for path, raw in zip(self.paths, self.spool, strict=False):
            yield path, raw[1:-1] if raw.startswith(b",") else raw[:-1]

    def _cache_runs(self) -> Iterator[tuple[list[bytes], array[int]]]:
        """The stat cache's paths and stamps, run by run (:meth:`StatCache.save_walk`): each unit's
        path, then its sidecar's, the units left out skipped; runs without either copied whole."""
        packed, flags = self.packed, self.flags
        first = at = 0  # the run's first unit; its first path's place in ``packed``
        for run in self._name_runs():
            end = first + len(run)
            marked = [m.start() for m in _FLAGGED.finditer(flags, first, end)]
            names: list[bytes] = []
            taken = 0  # of the run
            for k in marked:
                names += run[taken : k - first]
                if flags[k] == WITH_SIDECAR:
                    path = run[k - first]
                    names += (
                        path,
                        self.metas[path.decode("utf-8", "surrogateescape")].encode("utf-8", "surrogateescape"),
                    )
                taken = k - first + 1
            names += run[taken:]
            if names:  # (a run of units left out has none: no empty name between two runs)
                yield names, packed[4 * at : 4 * (at + len(names))]
            at += len(names)
            first = end

    @property
    def files(self) -> list[str]:
        """The stat cache's paths: each unit then its sidecar, the units left out skipped."""
        return [raw.decode("utf-8", "surrogateescape") for names, _ in self._cache_runs() for raw in names]

    def stat_cache(self, path: Path, scope: str) -> StatCache:
        """The stat cache of this walk at ``path`` (what the walk's entries and stamps make)."""
        packed = (self.files, self.packed, self.metas)
        return StatCache.of_walk(path, packed, complete=self.complete, walk=Walked(self.dirs, scope, self.held))

    def save_stat_cache(self, path: Path, scope: str, index_digest: str, index_path: Path) -> None:
        """:meth:`stat_cache` saved for the index with ``index_digest``, written run by run from the
        spooled paths (no string per path)."""
        packed: tuple[list[str], array[int], dict[str, str]] = ([], array("q"), self.metas)  # paths, stamps: runs
        cache = StatCache.of_walk(path, packed, complete=self.complete, walk=Walked(self.dirs, scope, self.held))
        cache.save_runs(index_digest, index_path, self._cache_runs)

    def as_scan(self) -> Scan:
        """What :func:`artigov.index._walk.scan` answers for the same walk: the entries parsed back
        from the spool, sorted, duplicates dropped (the caller's path when not :attr:`plain`)."""
        entries: Entries = {}
        for path, line in self.lines():
            entries[path] = _entry(path, line)
        entries = {k: entries[k] for k in sorted(entries, key=lambda p: p.encode())}
        duplicates = dedupe({}, entries)
        dirs = None if duplicates else self.dirs
        # A unit left out of the packed stamps (its sidecar came or went) is left out of the cache
        # the dicts' way too (it has no stamps of the same width): the same cache either way.
        stamps = self.stat_cache(Path(os.devnull), "").stamps
        return Scan(entries, stamps, sort_findings([*self.findings, *duplicates]), dirs, self.held)


def _entry(path: str, line: bytes) -> Entry:
    """The entry of one of our own spooled lines."""
    parsed = parse_line(line)
    if parsed is None or parsed[0] != path:
        raise ValueError(f"{path}: the spooled index line does not read back")  # never: our own bytes
    return parsed[1]


class _Pieces:
    """A spool's bytes between the index's first and last lines, re-readable (a write may take them twice)."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size

    def __iter__(self) -> Iterator[bytes]:
        yield HEAD
        pos = 0
        while pos < self.size:
            piece = os.pread(self.fd, min(READ_CHUNK, self.size - pos), pos)
            if not piece:
                raise OSError("the spool of index lines got shorter")
            yield piece
            pos += len(piece)
        yield TAIL


def line_scan(
    ws: Workspace, spool: BinaryIO, progress: ProgressHook | None = None, names: BinaryIO | None = None
) -> LineScan:
    """Walk and check every unit as :func:`artigov.index._walk.scan` does (no stat cache: every file
    read), each valid one's index line written to ``spool`` and its path to ``names``: the walk is
    streamed (:class:`artigov.schema.Streamed`), so no list of every path or unit is held."""
    from artigov.schema import SchemaSet, Streamed, check_units

    found = Streamed(ws)
    result = LineScan(spool, names)
    complete = True
    checked = check_units(ws.root, found.units(), SchemaSet(ws.kind_schemas_dir), progress, transform=_line_of)
    for unit, made, problems, content, meta in checked:
        result.findings.extend(problems)
        if made is not None and content is not None:
            line, id_, version = made
            result.add(unit.path, line, (id_, version), (content, meta), unit.meta_path)
        elif made is None:  # invalid (or unreadable): held out, and read again by every quick check
            result.held[unit.path] = unit.meta_path
        else:
            complete = False  # valid but without a stamp: the walk is not complete
    result.settle()
    result.dirs = found.dirs if complete and not found.findings else None
    result.findings = sort_findings([*found.findings, *result.findings])
    return result


class LineDiff(NamedTuple):
    """From an index file to a line scan's lines: the digest (None: no file) and entry count of the
    file read, the paths added, changed and removed (the first ``shown`` of each, when capped) and
    how many of each there are, and the new entries of the first :data:`listed` added or changed
    (an audit event lists them) with how many more there are."""

    digest: str | None
    held: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    changes: Entries
    more: int
    counts: tuple[int, int, int]


def merge_lines(index: StreamedIndex, scan: LineScan, listed: int, shown: int | None = None) -> LineDiff:
    """Compare the index read one entry at a time (its order proved as it is read) with the lines
    (:attr:`LineScan.plain`: in the same order), holding neither side whole; the new entries of the
    first ``listed`` paths added or changed are kept, and the first ``shown`` paths added, changed
    and removed (None: all), each counted.

    Raises:
        IndexCorruptError / OSError: the index file is not a canonical index, or not readable.
    """
    kept: tuple[list[str], list[str], list[str]] = ([], [], [])
    counts = [0, 0, 0]
    changes: Entries = {}
    more = 0

    def note(what: int, path: str) -> None:
        counts[what] += 1
        if shown is None or counts[what] <= shown:
            kept[what].append(path)

    def came(path: str, line: bytes, what: int) -> None:
        nonlocal more
        note(what, path)
        if len(changes) < listed:
            changes[path] = _entry(path, line)
        else:
            more += 1

    new = scan.lines()
    pending = next(new, None)
    for rel, _old, line in index.lines():
        while pending is not None and pending[0] < rel:  # code point order: the UTF-8 bytes' order
            came(*pending, _ADDED)
            pending = next(new, None)
        if pending is not None and pending[0] == rel:
            if pending[1] != line:  # both canonical: the same bytes, or another entry
                came(*pending, _CHANGED)
            pending = next(new, None)
        else:
            note(_REMOVED, rel)
    while pending is not None:
        came(*pending, _ADDED)
        pending = next(new, None)
    return LineDiff(index.digest, index.count, *kept, changes, more, (counts[0], counts[1], counts[2]))


_ADDED, _CHANGED, _REMOVED = 0, 1, 2


def no_index(scan: LineScan, listed: int, shown: int | None = None) -> LineDiff:
    """:func:`merge_lines` from no index: every line added."""
    changes: Entries = {}
    for path, line in scan.lines():
        if len(changes) >= listed:
            break
        changes[path] = _entry(path, line)
    added = list(islice(scan.paths, shown))
    return LineDiff(None, 0, added, [], [], changes, scan.count - len(changes), (scan.count, 0, 0))
