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
import os
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from artigov.core import Finding, Workspace, sort_findings
from artigov.index._model import HEAD, TAIL, Entries, Entry, entry_from_artifact, entry_line
from artigov.index._results import ProgressHook
from artigov.index._stamptable import StampPair
from artigov.index._statcache import Stamp, StatCache
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


@dataclass
class LineScan:
    """What :func:`line_scan` found: the valid units' paths (in walk order), their lines (in the
    spool, in that order), stamps and sidecars, the findings, and the listed folders."""

    spool: BinaryIO
    paths: list[str] = field(default_factory=list)
    #: the stat cache's form of the units' stamps (:meth:`StatCache.of_walk`): the paths, each unit
    #: then its sidecar; four integers a path; unit -> sidecar
    files: list[str] = field(default_factory=list)
    packed: array[int] = field(default_factory=lambda: array("q"))
    metas: dict[str, str] = field(default_factory=dict)
    #: every unit is in ``files`` with its sidecar's stamp (else the cache vouches for no walk)
    complete: bool = True
    findings: list[Finding] = field(default_factory=list)
    #: Listed folders' stamps when the walk was complete (no finding, every unit valid); else None.
    dirs: dict[str, Stamp] | None = None
    #: the (id, version) hashes of the lines (this process's ``hash``: a collision only sends the
    #: caller the dicts' way), until :meth:`settle` tells whether one came twice
    keys: array[int] = field(default_factory=lambda: array("q"))
    #: whether the paths came in byte order (the index's) and no (id, version) hash came twice
    plain: bool = True
    size: int = 0
    _last: str = ""
    _hasher: Any = field(default_factory=lambda: hashlib.sha256(HEAD))
    _batch: list[bytes] = field(default_factory=list)

    def add(self, path: str, line: bytes, key: tuple[str, str], stamps: StampPair, meta: str | None) -> None:
        """One valid unit's line (and its (id, version) ``key``), after the last one."""
        if self.paths:
            if self._last >= path:  # code point order: the UTF-8 bytes' order
                self.plain = False
            self._batch.append(b",")
        self._last = path
        self._batch += (line, b"\n")
        if len(self._batch) >= _BATCH:
            self._write()
        self.paths.append(path)
        self.keys.append(hash(key))
        content, meta_stamp = stamps
        if (meta is None) != (meta_stamp is None):  # a sidecar gone or come since it was read
            self.complete = False
            return
        self.files.append(path)
        self.packed.extend(content)
        if meta is not None and meta_stamp is not None:
            self.files.append(meta)
            self.packed.extend(meta_stamp)
            self.metas[path] = meta

    def _write(self) -> None:
        """Spool and hash the pieces added since the last time (one write and one hash update)."""
        data = b"".join(self._batch)
        self._batch.clear()
        self.spool.write(data)
        self._hasher.update(data)
        self.size += len(data)

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
    def count(self) -> int:
        """Entries in the index file the lines make."""
        return len(self.paths)

    @property
    def pieces(self) -> _Pieces:
        """The index file the lines make, in pieces (read from the spool as they are written)."""
        self.spool.flush()
        return _Pieces(self.spool.fileno(), self.size)

    def lines(self) -> Iterator[tuple[str, bytes]]:
        """(path, line without its separator and newline) of each valid unit, in walk order."""
        self.spool.flush()
        self.spool.seek(0)
        for path, raw in zip(self.paths, self.spool, strict=False):
            yield path, raw[1:-1] if raw.startswith(b",") else raw[:-1]

    def stat_cache(self, path: Path, scope: str) -> StatCache:
        """The stat cache of this walk at ``path`` (what the walk's entries and stamps make)."""
        packed = (self.files, self.packed, self.metas)
        return StatCache.of_walk(path, packed, complete=self.complete, dirs=self.dirs, scope=scope)

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
        return Scan(entries, stamps, sort_findings([*self.findings, *duplicates]), dirs)


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


def line_scan(ws: Workspace, spool: BinaryIO, progress: ProgressHook | None = None) -> LineScan:
    """Walk and check every unit as :func:`artigov.index._walk.scan` does (no stat cache: every file
    read), each valid one's index line written to ``spool``."""
    from artigov.schema import SchemaSet, check_units, discover

    found = discover(ws)
    result = LineScan(spool, findings=list(found.findings), dirs=found.dirs if not found.findings else None)
    checked = check_units(ws.root, found.units, SchemaSet(ws.kind_schemas_dir), progress, transform=_line_of)
    for unit, made, problems, content, meta in checked:
        result.findings.extend(problems)
        if made is not None and content is not None:
            line, id_, version = made
            result.add(unit.path, line, (id_, version), (content, meta), unit.meta_path)
        else:
            result.dirs = None  # an invalid or unreadable unit: the walk is not complete
    result.settle()
    result.findings = sort_findings(result.findings)
    return result


class LineDiff(NamedTuple):
    """From an index file to a line scan's lines: the digest (None: no file) and entry count of the file read, the paths
    added, changed and removed, and the new entries of the first :data:`listed` added or changed
    (an audit event lists them) with how many more there are."""

    digest: str | None
    held: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    changes: Entries
    more: int


def merge_lines(index: StreamedIndex, scan: LineScan, listed: int) -> LineDiff:
    """Compare the index read one entry at a time (its order proved as it is read) with the lines
    (:attr:`LineScan.plain`: in the same order), holding neither side whole; the new entries of the
    first ``listed`` paths added or changed are kept.

    Raises:
        IndexCorruptError / OSError: the index file is not a canonical index, or not readable.
    """
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    changes: Entries = {}
    more = 0

    def came(path: str, line: bytes, into: list[str]) -> None:
        nonlocal more
        into.append(path)
        if len(changes) < listed:
            changes[path] = _entry(path, line)
        else:
            more += 1

    new = scan.lines()
    pending = next(new, None)
    for rel, _old, line in index.lines():
        while pending is not None and pending[0] < rel:  # code point order: the UTF-8 bytes' order
            came(*pending, added)
            pending = next(new, None)
        if pending is not None and pending[0] == rel:
            if pending[1] != line:  # both canonical: the same bytes, or another entry
                came(*pending, changed)
            pending = next(new, None)
        else:
            removed.append(rel)
    while pending is not None:
        came(*pending, added)
        pending = next(new, None)
    return LineDiff(index.digest, index.count, added, changed, removed, changes, more)


def no_index(scan: LineScan, listed: int) -> LineDiff:
    """:func:`merge_lines` from no index: every line added."""
    changes: Entries = {}
    for path, line in scan.lines():
        if len(changes) >= listed:
            break
        changes[path] = _entry(path, line)
    return LineDiff(None, 0, list(scan.paths), [], [], changes, scan.count - len(changes))
