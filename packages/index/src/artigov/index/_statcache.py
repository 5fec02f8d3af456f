"""The stat cache: which files are unchanged since they were last indexed.

Kept in ``state_dir/statcache.bin`` (never in the index, which must not hold
host data). It records, for the index with a given digest:

* ``[size, mtime_ns, ctime_ns, inode]`` of every indexed content file and
  sidecar, as one packed array of 64-bit integers after a small JSON header;
* the same stamp for every directory the discovery walk listed, and for the
  index file itself, when the walk found a *complete* workspace (no layout
  problem, no duplicate (id, version), every artifact it found either
  indexed or *held out*);
* the held-out units: those the walk found invalid (path and sidecar path, no
  stamps). They are in no index, so a quick check reads them again every
  time: their findings always come from a real check, and one that became
  valid is taken in.

``update`` trusts a file only if its stamp is identical AND it is not "racy":
following git, a file whose mtime is not older than the cache file's own
mtime may have changed again within the timestamp granularity, so it is
re-hashed. Directory stamps are git's "untracked cache" idea: adding,
removing or renaming an entry changes its directory's mtime, so when no
listed directory changed (and none is racy) the set of artifacts is the one
recorded, and :meth:`StatCache.check` answers from stats alone, without
walking, parsing the index, or reading any file. A corrupt or foreign cache
only costs speed: it loads as an empty one.
"""

from __future__ import annotations

import os
import sys
import weakref
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import orjson

from artigov.core import cores, fork_map, utf8_sorted, write_atomic
from artigov.index._stamptable import STAMP_BYTES, StampPair, StampTable
from artigov.index._statbody import Body, Run
from artigov.schema import MISSING, Relisted, Stamp, sidecar_target, stamp_of

__all__ = ["NAME", "Held", "QuickCheck", "StatCache", "Stamp", "Walked", "stamp_of"]

NAME = "statcache.bin"
#: Paths encoded at a time when the cache is saved.
NAMES_RUN = 4096
_MAGIC = b"artigov statcache 4\n"
#: At least this many files: stat them in one forked worker per core.
PARALLEL_FILES = 20_000

UnitStamps = Mapping[str, StampPair]
#: The units a walk found invalid, held out of the index: path -> sidecar path (None: none).
Held = Mapping[str, str | None]


@dataclass(frozen=True)
class Walked:
    """What a walk tells a cache beside the stamps: the folders it listed with their stamps (None:
    it was not complete, and the cache vouches for no walk), what it covered (the artifact globs
    and the state folder: another scope proves nothing), and the units it held out (invalid)."""

    dirs: dict[str, Stamp] | None = None
    scope: str = ""
    held: Held = field(default_factory=dict)


def _differing(job: tuple[bytes, Body, Sequence[Run], int]) -> list[int]:
    """Positions of the files of ``runs`` whose stamp is not the cached one (or cannot be taken), or
    whose cached mtime is not older than ``reference`` (racily clean: it counts as changed).

    The paths stay bytes as the cache file holds them, one run at a time (a path object per file
    would cost more memory than the stamps). Each folder is opened once and its files stat'ed by
    name relative to it, which spares the kernel most of the path walk; the comparison happens
    here, so only the few differing positions travel back from a worker.
    """
    root, body, runs, reference = job
    differing: list[int] = []
    stat = os.stat
    folder = None
    fd = -1
    try:
        for run in runs:
            cached, first = body.stamps(run), run.first
            for i, rel in enumerate(body.paths(run)):
                where, _, name = rel.rpartition(b"/")
                if where != folder:
                    if fd >= 0:
                        os.close(fd)
                    folder = where
                    try:
                        fd = os.open(root + b"/" + where if where else root, os.O_RDONLY | os.O_DIRECTORY)
                    except OSError:
                        fd = -1
                try:
                    if fd < 0:
                        raise FileNotFoundError(rel)  # its folder is gone: so is the file
                    st = stat(name, dir_fd=fd)
                except OSError:
                    differing.append(first + i)
                    continue
                k = 4 * i
                if (
                    st.st_mtime_ns != cached[k + 1]
                    or st.st_ctime_ns != cached[k + 2]
                    or st.st_size != cached[k]
                    or st.st_ino != cached[k + 3]
                    or cached[k + 1] >= reference
                ):
                    differing.append(first + i)
    finally:
        if fd >= 0:
            os.close(fd)
    return differing


def _stat_files(root: Path, body: Body, reference: int) -> list[int]:
    """Positions of the files whose stamp differs from the cached one or is racy (see
    :func:`_differing`), in forked workers for many files, each given a share of the runs."""
    parts = cores() if body.count >= PARALLEL_FILES else 1
    runs = body.runs
    shares = [runs[len(runs) * k // parts : len(runs) * (k + 1) // parts] for k in range(parts)]
    jobs = [(os.fsencode(root), body, share, reference) for share in shares if share]
    return [i for part in fork_map(_differing, jobs) for i in part]


def _moved_runs(
    body: Body,
    edits: list[tuple[int, int, str | None]],
    patches: Mapping[int, Stamp],
    stamps: UnitStamps,
    sidecars: Mapping[str, str],
) -> Iterator[tuple[list[bytes], array[int]]]:
    """The paths and stamps of ``body`` run by run, ``patches`` (position -> stamp) in their places,
    and ``edits`` made (place, files dropped, unit put in: :meth:`StatCache._moves_at`; a unit put
    in with its sidecar's path from ``sidecars`` and stamp right after it). A unit dropped with its
    sidecar may end one run, its sidecar beginning the next: the drop goes on there."""
    todo = list(edits)
    skip = 0  # files of this run still to drop (a sidecar whose unit ended the run before)
    for run in [*body.runs, None]:
        first, count = (run.first, run.count) if run is not None else (body.count, 0)
        names = body.paths(run) if run is not None else []
        packed = next(body.patched_stamps(patches, [run])) if run is not None else array("q")
        out_names: list[bytes] = []
        out: array[int] = array("q")
        pos = skip
        while todo and (todo[0][0] < first + count or run is None):  # sorted: none is before ``first``
            at, drop, rel = todo.pop(0)
            out_names += names[pos : at - first]
            out += packed[4 * pos : 4 * (at - first)]
            if rel is not None:
                out_names.append(rel.encode("utf-8", "surrogateescape"))
                out.extend(stamps[rel][0])
                if rel in sidecars:
                    out_names.append(sidecars[rel].encode("utf-8", "surrogateescape"))
                    out.extend(stamps[rel][1] or ())
            pos = at - first + drop
        skip = max(pos - count, 0)
        out_names += names[pos:]
        out += packed[4 * pos :]
        if out_names:
            yield out_names, out


def _blob_and_stamps(runs: Callable[[], Iterator[tuple[list[bytes], array[int]]]]) -> Iterator[bytes]:
    """The paths blob (NUL-separated across runs), then the packed stamps, of ``runs()`` (made twice:
    never held whole)."""
    first = True
    for names, _packed in runs():
        yield (b"" if first else b"\0") + b"\0".join(names)
        first = False
    for _names, packed in runs():
        yield packed.tobytes()


@dataclass(frozen=True)
class QuickCheck:
    """What :meth:`StatCache.check` proved: the paths of the units that changed (empty: none)."""

    changed: list[str]
    #: Each changed unit's position among the cached files (for :meth:`StatCache.save_patched`).
    positions: dict[str, int] = field(default_factory=dict)
    #: Units added and removed in the folders listed again (only when ``check`` was given a
    #: ``relist``), and those folders' new stamps.
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    dirs: dict[str, Stamp] = field(default_factory=dict)
    #: The units held out of the index (invalid at the walk): read again by every caller, whose
    #: findings they give (a quick check proves they are still there, not that they are unchanged).
    held: dict[str, str | None] = field(default_factory=dict)

    @property
    def moved(self) -> bool:
        """Whether a folder changed: files added or removed, or its stamp alone (a hidden file)."""
        return bool(self.added or self.removed or self.dirs)


#: Lists some folders again with the walk's rules (:func:`artigov.schema.relist`, bound to a workspace).
Relister = Callable[[list[str]], Relisted | None]

#: Up to this many changed folders, :meth:`StatCache.check` lists them again instead of giving up.
RELIST_MAX = 16


def _write(path: Path, head: Mapping[str, Any], blob: bytes, *packed: bytes | memoryview) -> None:
    """The cache file: magic line, JSON header line, the paths blob, then the packed stamps (written
    as these pieces: never joined into one more copy of the file in memory)."""
    write_atomic(path, [_MAGIC, orjson.dumps(head), b"\n", blob, *packed], lock=False)


class _Pieces:
    """A file's pieces made when they are written (each time it is iterated): never held whole."""

    def __init__(self, make: Callable[[], Iterator[bytes | memoryview | array[int]]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[bytes | memoryview]:
        for piece in self._make():
            yield memoryview(piece).cast("B") if isinstance(piece, array) else piece


def _held_listed(held: Held) -> list[list[str | None]]:
    """The held-out units as the cache file's header lists them: ``[[path, sidecar or null], …]``,
    in the paths' byte order (read back by :func:`_held_of`)."""
    return [[rel, held[rel]] for rel in utf8_sorted(held)]


def _held_of(listed: Any) -> dict[str, str | None] | None:
    """The held-out units as a cache file's header lists them (``[[path, sidecar or null], …]``);
    None when it is not such a list (a damaged file: it loads as an empty cache)."""
    if not isinstance(listed, list):
        return None
    held: dict[str, str | None] = {}
    for pair in listed:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            return None
        if not isinstance(pair[1], (str, type(None))):
            return None
        held[pair[0]] = pair[1]
    return held


class StatCache:
    """path -> (content stamp, sidecar stamp or None), plus what makes a quick check possible."""

    def __init__(
        self,
        path: Path,
        stamps: UnitStamps | None = None,
        *,
        entries: Mapping[str, Mapping[str, Any]] | None = None,
        walk: Walked | None = None,
    ) -> None:
        """A cache of ``stamps`` for the indexed ``entries`` (which give each unit's sidecar path), or an
        empty one, and of what the ``walk`` that found them listed and held out. It is held in one
        form, the packed one the file stores: the paths in bytewise order, each sidecar right after
        its unit, and four 64-bit integers per path."""
        self.path = path
        self._reset()
        walk = walk or Walked()
        self.dirs: dict[str, Stamp] | None = walk.dirs
        self.scope = walk.scope
        self.held: dict[str, str | None] = dict(walk.held)
        if stamps:
            if entries is None:
                raise ValueError("stamps need the indexed entries: they give each unit's sidecar path")
            self._pack(stamps, entries)
        else:
            self._complete = not entries

    def _reset(self) -> None:
        """Every field as an empty cache of :attr:`path` has it (a half-read file left none behind)."""
        self._names: list[str] | None = []  # the paths; None: not decoded from ``_blob`` yet
        self._blob_read: bytes | None = b""  # :attr:`_blob`; None: not read from ``_body`` yet
        self._metas: dict[str, str] = {}
        self._packed_read: array[int] | None = array("q")  # :attr:`_packed`; None: not read yet
        #: A loaded cache's file, read in runs (:mod:`artigov.index._statbody`) until read whole.
        self._body: Body | None = None
        self._view: StampTable | None = None  # :attr:`stamps`, derived from the packed form on first use
        self._saved: tuple[dict[str, Any], bytes] | None = None  # a loaded cache's header and folder stamps
        #: Every given unit is indexed with the same sidecar (else the cache cannot vouch for a walk).
        self._complete = True
        #: Directories the walk listed, with their stamps; None: unknown (no quick check).
        self.dirs = None
        #: What the walk covered (the artifact globs and the state folder); another scope proves nothing.
        self.scope = ""
        #: The units the walk found and held out of the index (invalid): path -> sidecar path.
        self.held = {}
        self.reference_ns = 0
        #: Digest of the index these stamps describe: a cache is only valid with that index
        #: (a `git checkout` of an older index must not be "confirmed" by newer stamps).
        self.index_digest = ""
        self.index_stamp: Stamp | None = None
        #: The newest mtime among the cached files (racy if not older than ``reference_ns``).
        self.newest_ns = 0

    def _pack(self, stamps: UnitStamps, entries: Mapping[str, Mapping[str, Any]]) -> None:
        """Pack the stamps of the units ``entries`` index with the same sidecar (the others are left out,
        and the cache then vouches for no walk)."""
        self._complete = len(stamps) == len(entries)
        table = stamps if isinstance(stamps, StampTable) else StampTable(stamps)
        files, packed = self._files, self._packed
        for rel in utf8_sorted(table):
            raw = table.raw(rel)
            with_meta = len(raw) > STAMP_BYTES  # two stamps: the unit's, then its sidecar's
            entry = entries.get(rel)
            meta_rel = entry.get("meta") if entry is not None else None
            if entry is None or with_meta != (meta_rel is not None) or not isinstance(meta_rel, (str, type(None))):
                self._complete = False
                continue
            files.append(rel)
            packed.frombytes(raw)
            if with_meta and meta_rel is not None:
                self._metas[rel] = meta_rel
                files.append(meta_rel)

    def _reader(self) -> Body:
        """The paths and stamps as they stand, to read run by run: the file as loaded, else memory's."""
        if self._body is not None and self._packed_read is None:
            return self._body
        return Body.of_memory(self._paths_blob(), self._packed)

    def _read_whole(self) -> None:
        """Read a loaded cache's paths blob and packed stamps whole (to rewrite or walk them); a read
        that fails leaves an empty cache, which vouches for nothing."""
        body = self._body
        try:
            if body is None:
                raise OSError("no file to read")
            self._blob_read, self._packed_read = body.blob(), body.packed()
        except OSError:
            self._blob_read, self._packed_read, self._names, self._metas = b"", array("q"), [], {}
            self.index_digest, self.dirs, self._saved = "", None, None

    @property
    def _blob(self) -> bytes:
        """A loaded cache's paths as the file holds them (UTF-8, NUL-separated)."""
        if self._blob_read is None:
            self._read_whole()
        return self._blob_read or b""

    @property
    def _packed(self) -> array[int]:
        """Four 64-bit integers per cached path, in the paths' order."""
        if self._packed_read is None:
            self._read_whole()
        return self._packed_read if self._packed_read is not None else array("q")

    @_packed.setter
    def _packed(self, packed: array[int]) -> None:
        self._packed_read = packed

    @property
    def _count(self) -> int:
        """How many paths the cache holds (units and sidecars), without reading them."""
        if self._packed_read is None and self._body is not None:
            return self._body.count
        return len(self._packed) // 4

    @property
    def _files(self) -> list[str]:
        """The cached paths in order (a loaded cache decodes its blob on first use: a command whose
        stat check finds nothing changed never makes a string per file)."""
        if self._names is None:
            self._names = self._blob.decode("utf-8", "surrogateescape").split("\0") if self._blob else []
        return self._names

    def _paths_blob(self) -> bytes:
        """The paths as the cache file holds them (UTF-8, NUL-separated)."""
        return b"".join(self._paths_pieces())

    def _paths_pieces(self) -> list[bytes]:
        """:meth:`_paths_blob` in pieces of :data:`NAMES_RUN` paths (what :meth:`save` writes): the
        paths' text and bytes are never both held whole (a rebuild's peak at 300,000 artifacts)."""
        names = self._names
        if names is None:
            return [self._blob]
        pieces: list[bytes] = []
        for start in range(0, len(names), NAMES_RUN):
            if pieces:
                pieces.append(b"\0")
            pieces.append("\0".join(names[start : start + NAMES_RUN]).encode("utf-8", "surrogateescape"))
        return pieces

    def meta_of(self, rel: str) -> str | None:
        """The sidecar path recorded for unit ``rel`` (loaded caches)."""
        return self._metas.get(rel)

    @property
    def units(self) -> int:
        """How many units the cache holds."""
        return self._count - len(self._metas)

    @property
    def stamps(self) -> StampTable:
        """Every cached unit's stamps: a view of the packed form, built on first use (each unit's
        one or two stamps of the array, as they are)."""
        if self._view is None:
            stamps = StampTable()
            whole = self._packed.tobytes()
            metas, files = self._metas, self._files
            i = 0
            while i < len(files):
                rel = files[i]
                width = 2 if rel in metas else 1
                stamps.put_raw(rel, whole[STAMP_BYTES * i : STAMP_BYTES * (i + width)])
                i += width
            self._view = stamps
        return self._view

    @classmethod
    def of_walk(
        cls,
        path: Path,
        packed: tuple[list[str], array[int], dict[str, str]],
        *,
        complete: bool,
        walk: Walked,
    ) -> StatCache:
        """A cache of a walk's stamps already in the packed form (``packed``: the paths, each unit
        then its sidecar, in the units' byte order; four integers a path; unit -> sidecar), taken
        as they are; ``complete``: every unit the walk indexed is there, with its sidecar's stamp."""
        cache = cls(path, walk=walk)
        cache._names, cache._packed, cache._metas = packed
        cache._complete = complete
        return cache

    @classmethod
    def load(cls, path: Path) -> StatCache:
        """Load the cache's header and folder stamps, and cut its paths into runs (read through once,
        not held: :class:`artigov.index._statbody.Body`); a missing, unreadable or foreign cache is
        an empty one (it only costs speed)."""
        cache = cls(path)
        cache._open()
        return cache

    def _open(self) -> None:
        """:meth:`load` into this empty cache; it stays empty when the file is not a whole cache."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return
        closing = weakref.finalize(self, os.close, fd)  # the body reads it while the cache lives
        try:
            loaded = self._load(fd)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            loaded = False
        if not loaded:
            closing()
            self._reset()  # a half-read file: empty again

    def _load(self, fd: int) -> bool:
        """:meth:`load` from ``fd``: False when the file is not a whole cache of this host."""
        st = os.fstat(fd)
        size, reference = st.st_size, st.st_mtime_ns
        first = os.pread(fd, 1 << 16, 0)
        if not first.startswith(_MAGIC):
            return False
        while first.find(b"\n", len(_MAGIC)) < 0 and len(first) < size:
            first = os.pread(fd, 4 * len(first), 0)  # a long header (many folders or sidecars)
        end = first.index(b"\n", len(_MAGIC))
        head = orjson.loads(first[len(_MAGIC) : end])
        blob_at, blob_bytes = end + 1, int(head["files_bytes"])
        dirs, metas = head["dirs"], head["metas"]
        stamps_bytes = size - blob_at - blob_bytes
        if stamps_bytes < 0 or stamps_bytes % STAMP_BYTES or not isinstance(metas, dict):
            return False
        count = stamps_bytes // STAMP_BYTES - len(dirs or ())
        body = Body.of_file(fd, blob_at, blob_bytes, count) if count >= 0 else None
        if body is None or sys.byteorder != head["byteorder"]:
            return False
        folders_at = blob_at + blob_bytes + STAMP_BYTES * count
        folders = os.pread(fd, size - folders_at, folders_at)
        if len(folders) != size - folders_at:
            return False
        held = _held_of(head["held"])
        if held is None:
            return False
        packed: array[int] = array("q")
        packed.frombytes(folders)
        self.held = held
        self._names, self._blob_read, self._packed_read, self._body, self._metas = None, None, None, body, metas
        self._saved = (head, folders)
        if dirs is not None:
            self.dirs = {d: tuple(packed[4 * k : 4 * k + 4]) for k, d in enumerate(dirs)}  # type: ignore[misc]
        self.scope = str(head["scope"])
        self.index_digest = str(head["index_digest"])
        self.newest_ns = int(head["newest_ns"])
        self.index_stamp = tuple(head["index_stamp"]) if head["index_stamp"] else None
        self.reference_ns = reference
        return True

    def fresh(self, rel: str, content: Stamp | None, meta: Stamp | None) -> bool:
        """True if ``rel`` is unchanged since it was cached and not racily clean."""
        if not self.index_digest:
            return False
        cached = self.stamps.get(rel)
        if cached is None or content is None or cached != (content, meta):
            return False
        newest = max(content[1], meta[1] if meta else 0)
        return newest < self.reference_ns

    def outdated(
        self, stamps: UnitStamps, dirs: dict[str, Stamp] | None, held: Held, *, index_written: bool, walked: bool
    ) -> bool:
        """The save rule: whether this cache must be written again after a walk saw ``stamps``,
        ``dirs`` and ``held`` out units.

        Yes when the index was written (a cache describes one index digest); when a complete walk
        ran that the cache did not prove (``walked``), so the next update can be quick; when the
        walk saw other folders, stamps or held-out units; or when a stamp is racily clean now and a
        later cache file would vouch for it.
        """
        return (
            index_written
            or (walked and dirs is not None)
            or dirs != self.dirs
            or dict(held) != self.held
            or stamps != self.stamps
            or any(not self.fresh(rel, *pair) for rel, pair in stamps.items())
        )

    def _provable(self, root: Path, index_path: Path, scope: str) -> bool:
        """True when stats can prove what changed (see :meth:`check`): a saved cache of a complete
        walk of ``scope``, the index file it describes (not racy), and no listed directory changed."""
        if not self.index_digest or self.dirs is None or scope != self.scope or self.index_stamp is None:
            return False
        reference = self.reference_ns
        if stamp_of(index_path) != self.index_stamp:
            return False
        if self.index_stamp[1] >= reference and not self._same_index(index_path):
            return False  # racy: written in the cache's clock tick, so its bytes must show it
        return self._saved is not None  # built in memory, never saved: it describes no file on disk

    def _moved_dirs(self, root: Path) -> list[str] | None:
        """The listed folders whose stamp changed (or is racy: taken in the cache's clock tick); None
        when one of them was missing at the walk (a walk root created since: only a walk lists it)."""
        reference = self.reference_ns
        moved = []
        for rel, stamp in (self.dirs or {}).items():
            if stamp[1] >= reference or (stamp_of(root / rel if rel else root) or MISSING) != stamp:
                if stamp == MISSING:
                    return None
                moved.append(rel)
        return moved

    def _moves(self, relisted: Relisted) -> tuple[list[str], list[str]] | None:
        """(added, removed) units in the folders listed again; None when a sidecar is among them (a
        pairing changed: only a walk regroups the units)."""
        cached: dict[str, set[str]] = {folder: set() for folder in relisted.files}
        folders = {folder.encode("utf-8", "surrogateescape"): folder for folder in relisted.files}
        body = self._reader()
        for run in body.runs:  # the paths as bytes, run by run: only those of these folders decoded
            for raw in body.paths(run):
                folder = folders.get(raw.rpartition(b"/")[0])
                if folder is not None:
                    cached[folder].add(raw.decode("utf-8", "surrogateescape"))
        held = {*self.held, *(meta for meta in self.held.values() if meta is not None)}
        for rel in held:  # held out of the index, so in no run: the walk found them all the same
            folder_of = cached.get(rel.rpartition("/")[0])
            if folder_of is not None:
                folder_of.add(rel)
        added: set[str] = set()
        removed: set[str] = set()
        for folder, now in relisted.files.items():
            added |= set(now) - cached[folder]
            removed |= cached[folder] - set(now)
        if any(sidecar_target(rel) is not None for rel in added | removed) or any(r in self._metas for r in removed):
            return None
        if removed & held:
            return None  # a held-out unit gone: only a walk says what is held out now
        listed = (rel for now in relisted.files.values() for rel in now)
        if any(sidecar_target(rel) in added for rel in listed):
            return None
        return utf8_sorted(added), utf8_sorted(removed)

    def check(self, root: Path, index_path: Path, scope: str, relist: Relister | None = None) -> QuickCheck | None:
        """From stats alone: which units changed, if the cache can prove the rest did not; else None.

        Provable when the cache covers a complete walk of the same ``scope``, the index file is the
        one it describes (same stamp, not racy), and no listed directory changed (so no artifact
        was added, removed or renamed). Then every file is stat'ed (in parallel for many) and a unit
        whose stamp differs or is racy is "changed". Any doubt returns None: do the full walk.

        With ``relist``, up to :data:`RELIST_MAX` changed folders are listed again instead (with the
        walk's rules): the units added and removed there are in the answer, with the folders' new
        stamps; a new subfolder, a sidecar added or removed, or anything else only a walk can judge
        still returns None.
        """
        if not self._provable(root, index_path, scope):
            return None
        moved = self._moved_dirs(root)
        if moved is None or (moved and (relist is None or len(moved) > RELIST_MAX)):
            return None
        relisted = relist(moved) if moved and relist is not None else None
        moves = self._moves(relisted) if relisted is not None else ([], [])
        if moves is None or (moved and relisted is None):
            return None
        body = self._reader()
        suspects = _stat_files(root, body, self.reference_ns)  # racily clean files count as changed
        if not suspects and not moved:
            return QuickCheck([], held=dict(self.held))
        names = body.names_at({*suspects, *(j - 1 for j in suspects)})
        metas = self._metas
        positions: dict[str, int] = {}
        added, removed = moves
        gone = set(removed)
        for j in sorted(suspects):
            unit = j - 1 if j > 0 and metas.get(names[j - 1]) == names[j] else j  # a sidecar follows its unit
            if names[unit] not in gone:
                positions.setdefault(names[unit], unit)
        changed = utf8_sorted(positions)
        return QuickCheck(
            changed, positions, added, removed, relisted.dirs if relisted is not None else {}, dict(self.held)
        )

    def save_patched(self, quick: QuickCheck, stamps: UnitStamps, index_digest: str, index_path: Path) -> None:
        """Save the loaded cache with new stamps for ``quick``'s changed units (same files, same folders),
        now describing the index with ``index_digest``: no re-encoding of the 100k-path header."""
        if self._saved is None:
            raise ValueError("only a loaded cache can be patched")
        patches = self._patches(quick, stamps)
        in_memory = self._packed_read is not None or self._body is None
        body = self._reader()  # not read whole: the paths and stamps are copied run by run
        index_stamp = stamp_of(index_path)
        head, folders = self._saved
        head = {
            **head,
            "held": _held_listed(self.held),
            "index_digest": index_digest,
            "index_stamp": list(index_stamp) if index_stamp else None,
            "newest_ns": max((max(p[1::4], default=0) for p in body.patched_stamps(patches)), default=0),
        }
        if index_stamp is None:
            head["dirs"] = None  # cannot vouch for the walk without the index's stamp
            folders = b""
        start = [_MAGIC, orjson.dumps(head), b"\n"]
        pieces = _Pieces(lambda: chain(start, body.blob_pieces(), body.patched_stamps(patches), [folders]))
        write_atomic(self.path, pieces, lock=False)
        self.index_digest = index_digest
        self._view = None  # the packed form changed: derive the view again when asked
        if in_memory:
            self._patch(quick, stamps)
        else:  # the file it reads was replaced: its changed units' stamps there are the old ones
            self._saved = None  # (a unit whose stamp differs is read again); it proves nothing more

    def save_moved(
        self,
        quick: QuickCheck,
        stamps: UnitStamps,
        index_digest: str,
        index_path: Path,
        sidecars: Mapping[str, str] | None = None,
    ) -> None:
        """:meth:`save_patched` for a check that listed folders again, or a splice that took units
        out or in: the removed units left out (with their sidecars), the added ones put in their
        places (with their ``sidecars``, path by unit: a relisted folder's never have one, as
        :meth:`check` gave up otherwise), the folders' new stamps; the other stamps copied as they
        are, run by run (never read whole). The cache then describes the file it wrote."""
        if self._saved is None or self.dirs is None:
            raise ValueError("only a loaded cache of a complete walk can be patched")
        if not quick.moved:
            self.save_patched(quick, stamps, index_digest, index_path)
            return
        sidecars = dict(sidecars or {})
        if any(stamps[rel][1] is None for rel in sidecars):
            raise ValueError("a unit put in with a sidecar needs the sidecar's stamp")
        body = self._reader()
        edits = self._moves_at(body, quick)
        patches = self._patches(quick, stamps)
        self.dirs = {**self.dirs, **quick.dirs}
        for rel in quick.removed:
            self._metas.pop(rel, None)
        self._metas.update(sidecars)

        def runs() -> Iterator[tuple[list[bytes], array[int]]]:
            return _moved_runs(body, edits, patches, stamps, sidecars)

        self.save_runs(index_digest, index_path, runs)
        self._reload()

    def _patches(self, quick: QuickCheck, stamps: UnitStamps) -> dict[int, Stamp]:
        """The new stamps of ``quick``'s changed units (and their sidecars) by position."""
        patches: dict[int, Stamp] = {}
        for rel in quick.changed:
            at = quick.positions[rel]
            content, meta = stamps[rel]
            patches[at] = content
            if rel in self._metas:
                if meta is None:
                    raise ValueError(f"{rel}: its sidecar vanished")
                patches[at + 1] = meta
        return patches

    def _patch(self, quick: QuickCheck, stamps: UnitStamps) -> None:
        """Put the new stamps of ``quick``'s changed units in their places of the packed form."""
        packed = self._packed
        for at, stamp in self._patches(quick, stamps).items():
            packed[4 * at : 4 * at + 4] = array("q", stamp)

    def _moves_at(self, body: Body, quick: QuickCheck) -> list[tuple[int, int, str | None]]:
        """Where ``quick``'s removed and added units go among the cached files: (place, files dropped
        there, unit put in there), in order; at one place, put in, then drop. A unit removed drops
        its sidecar (right after it) too; one added is put in before the next unit, its sidecar
        (if any) with it.
        One pass over the cached paths (bytes, in their order), merged with the sorted moves."""
        sidecars = {meta.encode("utf-8", "surrogateescape") for meta in self._metas.values()}
        gone = set(quick.removed)
        moves = sorted((rel.encode("utf-8", "surrogateescape"), rel) for rel in [*quick.removed, *quick.added])
        edits: list[tuple[int, int, str | None]] = []
        k = 0
        for run in body.runs:
            for i, raw in enumerate(body.paths(run)):
                if raw in sidecars:
                    continue  # a unit's sidecar: it stays right after its unit
                while k < len(moves) and moves[k][0] <= raw:
                    encoded, rel = moves[k]
                    if rel in gone and encoded != raw:
                        raise ValueError(f"{rel}: not a cached unit")
                    dropped = 2 if rel in self._metas else 1  # a unit, and its sidecar right after it
                    edits.append((run.first + i, dropped, None) if rel in gone else (run.first + i, 0, rel))
                    k += 1
        for _encoded, rel in moves[k:]:
            if rel in gone:
                raise ValueError(f"{rel}: not a cached unit")
            edits.append((body.count, 0, rel))
        edits.sort(key=lambda e: (e[0], e[1]))  # stable: units put in at one place stay in order
        return edits

    def _same_index(self, index_path: Path) -> bool:
        from artigov.index._model import Index

        try:
            return Index.raw_digest(index_path.read_bytes()) == self.index_digest
        except OSError:
            return False

    def save(self, index_digest: str, index_path: Path | None = None) -> None:
        """Write the cache for the index with ``index_digest`` (the caller holds the lock).

        With ``index_path`` and known ``dirs``, and every unit indexed, the cache also vouches for the
        walk (quick checks).
        """
        files, packed = len(self._packed) // 4, self._packed
        blob = self._paths_pieces()
        newest = max(packed[1 : 4 * files : 4], default=0)
        size = sum(map(len, blob))
        self._write_whole(index_digest, index_path, size, newest, lambda: iter((*blob, memoryview(packed).cast("B"))))

    def save_runs(
        self, index_digest: str, index_path: Path, runs: Callable[[], Iterator[tuple[list[bytes], array[int]]]]
    ) -> None:
        """:meth:`save` of the paths and stamps ``runs()`` makes instead of the cache's own (the
        paths as bytes, each unit then its sidecar, in the units' byte order; four integers a
        path), made once for the sizes, then for the file: no string per path is held. A walk's
        cache (:meth:`of_walk`, with its sidecars) saved from its spooled paths."""
        size = newest = 0
        for names, packed in runs():
            size += sum(map(len, names)) + len(names)
            newest = max(newest, max(packed[1::4], default=0))
        self._write_whole(index_digest, index_path, max(size - 1, 0), newest, lambda: _blob_and_stamps(runs))

    def _write_whole(
        self,
        index_digest: str,
        index_path: Path | None,
        blob_bytes: int,
        newest: int,
        body: Callable[[], Iterator[bytes | memoryview]],
    ) -> None:
        """Write the cache file: its header (``blob_bytes`` of paths, the ``newest`` mtime), then
        what ``body()`` yields (the paths blob and the packed stamps), then the folders' stamps."""
        complete = self._complete and self.dirs is not None and index_path is not None
        index_stamp = stamp_of(index_path) if complete and index_path is not None else None
        dirs = sorted(self.dirs) if self.dirs is not None and index_stamp is not None else None
        folders: array[int] = array("q")
        for d in dirs or ():
            folders.extend(self.dirs[d])  # type: ignore[index]
        head = {
            "byteorder": sys.byteorder,
            "dirs": dirs,
            "files_bytes": blob_bytes,
            "held": _held_listed(self.held),
            "index_digest": index_digest,
            "index_stamp": list(index_stamp) if index_stamp else None,
            "metas": {rel: self._metas[rel] for rel in utf8_sorted(self._metas)},
            "newest_ns": newest,
            "scope": self.scope,
        }
        start = [_MAGIC, orjson.dumps(head), b"\n"]
        write_atomic(self.path, _Pieces(lambda: chain(start, body(), [folders.tobytes()])), lock=False)
        self.index_digest = index_digest

    def _reload(self) -> None:
        """Describe the cache file as it is now (after writing it from runs of the one loaded)."""
        self._reset()
        self._open()
