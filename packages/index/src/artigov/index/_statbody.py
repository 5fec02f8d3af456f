"""A memory seam of the stat cache: its paths and stamps read in runs, never whole, to check them.

The cache file holds every indexed file's path (one NUL-separated blob) and stamp (four 64-bit
integers each): ~100 bytes a file. Loading both whole, and giving each stat worker its copy of
its share, held ~200 bytes a file in every command that only wanted to learn that nothing changed
(``index update``, ``status``, ``index verify``, the checks). A :class:`Body` reads them in runs of
whole paths of about :data:`CHUNK` bytes, so a check holds one run per process whatever the
workspace's size. A loaded cache's body reads the descriptor it was loaded through (a later atomic
replacement of the file leaves that descriptor on the file as loaded); the cache reads the blob
and stamps whole only when it must rewrite them.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["CHUNK", "Body", "Run"]

#: Bytes of paths read at a time.
CHUNK = 1 << 18
#: Bytes of one file's stamp: four 64-bit integers.
_STAMP = 32

#: (offset, size) -> those bytes of the paths blob, or of the packed stamps.
Reader = Callable[[int, int], bytes]


@dataclass(frozen=True)
class Run:
    """Whole paths of the blob: bytes ``start`` to ``end`` (no NUL at either end), ``count`` paths,
    the first of them at position ``first``."""

    start: int
    end: int
    first: int
    count: int


def _pread_exact(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes of ``fd`` at ``offset``; OSError when the file ends before."""
    parts = []
    while size > 0:
        piece = os.pread(fd, size, offset)
        if not piece:
            raise OSError(f"the stat cache file ended {size} bytes early")
        parts.append(piece)
        size -= len(piece)
        offset += len(piece)
    return b"".join(parts)


def _runs(read: Reader, size: int, chunk: int) -> Iterable[Run]:
    """The blob of ``size`` bytes cut into runs of whole paths of about ``chunk`` bytes (a read
    grows while a path is longer than it)."""
    pos = first = 0
    want = chunk
    while pos < size:
        piece = read(pos, min(want, size - pos))
        last = pos + len(piece) >= size
        cut = len(piece) if last else piece.rfind(b"\0")
        if cut < 0:
            want *= 2  # one path longer than the read: read more
            continue
        count = piece.count(b"\0", 0, cut) + 1
        yield Run(pos, pos + cut, first, count)
        pos, first, want = pos + cut + 1, first + count, chunk


class Body:
    """The paths and stamps of ``count`` files, with :attr:`runs` to read them by."""

    def __init__(self, read_paths: Reader, read_stamps: Reader, size: int, count: int, runs: list[Run]) -> None:
        self._read_paths = read_paths
        self._read_stamps = read_stamps
        self.size = size
        self.count = count
        self.runs = runs

    @classmethod
    def cut(cls, read_paths: Reader, size: int, read_stamps: Reader, count: int, chunk: int = 0) -> Body | None:
        """The body of a blob of ``size`` bytes holding ``count`` paths, its runs cut by reading it
        through once (in runs of about ``chunk`` bytes, by default :data:`CHUNK`); None when it holds
        another number of paths (a damaged cache)."""
        runs = list(_runs(read_paths, size, chunk or CHUNK))
        held = runs[-1].first + runs[-1].count if runs else 0
        return cls(read_paths, read_stamps, size, count, runs) if held == count else None

    @classmethod
    def of_file(cls, fd: int, blob_at: int, size: int, count: int, chunk: int = 0) -> Body | None:
        """The body of a cache file open as ``fd``: the blob at ``blob_at``, the stamps after it."""
        return cls.cut(
            lambda offset, n: _pread_exact(fd, n, blob_at + offset),
            size,
            lambda offset, n: _pread_exact(fd, n, blob_at + size + offset),
            count,
            chunk,
        )

    @classmethod
    def of_memory(cls, blob: bytes, packed: array[int], chunk: int = 0) -> Body:
        """The body of a blob and packed stamps already in memory."""
        raw = memoryview(packed).cast("B")
        body = cls.cut(
            lambda offset, n: blob[offset : offset + n],
            len(blob),
            lambda offset, n: raw[offset : offset + n].tobytes(),
            len(packed) // 4,
            chunk,
        )
        if body is None:
            raise ValueError("the paths and the stamps disagree on how many files there are")
        return body

    def paths(self, run: Run) -> list[bytes]:
        """The paths of ``run``, UTF-8 as the file holds them."""
        return self._read_paths(run.start, run.end - run.start).split(b"\0")

    def stamps(self, run: Run) -> array[int]:
        """The packed stamps of ``run``'s paths, four integers each."""
        packed: array[int] = array("q")
        packed.frombytes(self._read_stamps(_STAMP * run.first, _STAMP * run.count))
        return packed

    def blob(self) -> bytes:
        """Every path, NUL-separated, read whole."""
        return self._read_paths(0, self.size)

    def packed(self) -> array[int]:
        """Every stamp, read whole."""
        packed: array[int] = array("q")
        packed.frombytes(self._read_stamps(0, _STAMP * self.count))
        return packed

    def blob_pieces(self) -> Iterator[bytes]:
        """Every path, NUL-separated, in pieces of :data:`CHUNK` bytes."""
        for at in range(0, self.size, CHUNK):
            yield self._read_paths(at, min(CHUNK, self.size - at))

    def patched_stamps(
        self, patches: Mapping[int, Sequence[int]], runs: Sequence[Run] | None = None
    ) -> Iterator[array[int]]:
        """Every stamp (of ``runs``, by default all), run by run, with ``patches`` (position -> four
        integers) in their places."""
        for run in self.runs if runs is None else runs:
            packed = self.stamps(run)
            for at, stamp in patches.items():
                if run.first <= at < run.first + run.count:
                    k = 4 * (at - run.first)
                    packed[k : k + 4] = array("q", stamp)
            yield packed

    def names_at(self, positions: Iterable[int]) -> dict[int, str]:
        """The paths at ``positions`` (decoded as the cache decodes them), each run read once."""
        firsts = [run.first for run in self.runs]
        by_run: dict[int, list[int]] = {}
        for at in positions:
            if 0 <= at < self.count:
                by_run.setdefault(bisect_right(firsts, at) - 1, []).append(at)
        names: dict[int, str] = {}
        for k, wanted in by_run.items():
            run = self.runs[k]
            paths: Sequence[bytes] = self.paths(run)
            for at in wanted:
                names[at] = paths[at - run.first].decode("utf-8", "surrogateescape")
        return names
