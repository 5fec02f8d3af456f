"""Finding entries in an index file's bytes without parsing all of it: the speed seam of the index
(:mod:`artigov.index._filesplice` edits the file with what it finds).

Everything here answers a question the parsed index (:class:`artigov.index._model.Index`) could
answer too, and returns None whenever the bytes are not shaped the way it expects: the caller then
takes the full path, which explains any problem. Nothing here restates the entry format by hand:

* a line is found by a byte search for its key at a line start (``\\n"<path>":{`` or
  ``\\n,"<path>":{``): a newline never occurs inside a JSON string, and a quote inside one is
  escaped, so the search cannot match inside a value;
* a field is found by ``"<field>":<value>`` followed by whatever may follow that field in a line,
  computed from the entry's fields in key order (:func:`_field_ends`), never a fixed offset;
* every candidate line is parsed and checked as an entry before it counts.

A property test builds entries with :class:`artigov.index._model.Entry`, the type real
entries come from, and holds every function here equal to the parse-everything answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple, cast

import orjson

from artigov.index._model import ENTRY_FIELDS, HEAD, REQUIRED_FIELDS, Entries, Entry
from artigov.index._stream import SLICE_CHUNK, ChunkedIndex, parse_line

__all__ = [
    "Found",
    "IndexSlice",
    "LineAt",
    "entries_in",
    "first_line_after",
    "framework_slice_of",
    "id_version_clash",
    "id_version_holders",
    "lines_in_run",
]


def _field_ends(field: str) -> tuple[bytes, ...]:
    """What can follow ``field``'s value in an entry line (keys are sorted): ``,`` when a field sorts
    after it, ``}`` when it can be the last one present (no required field sorts after it)."""
    if field not in ENTRY_FIELDS:
        raise ValueError(f"{field!r} is not an index entry field")
    later = [f for f in ENTRY_FIELDS if f > field]
    ends = [b","] if later else []
    if not any(f in REQUIRED_FIELDS for f in later):
        ends.append(b"}")
    return tuple(ends)


def _field_probes(field: str, value: Any) -> tuple[bytes, ...]:
    """The byte patterns of ``"field":value`` as it appears inside an entry line."""
    head = b'"' + field.encode() + b'":' + orjson.dumps(value)
    return tuple(head + end for end in _field_ends(field))


def _lines_with(data: bytes, probes: tuple[bytes, ...], *, start: int = len(HEAD)) -> list[tuple[int, int]]:
    """(start, end) of every line holding one of ``probes`` (searched from ``start``: past the
    file's first line), in file order, each once."""
    found: set[tuple[int, int]] = set()
    for probe in probes:
        at = data.find(probe, start)
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            if end < 0:
                break
            found.add((start, end))
            at = data.find(probe, end)
    return sorted(found)


def _line_at(data: bytes, path: str) -> tuple[int, int] | None:
    """(JSON object start, line end) of ``path``'s entry line, or None.

    The key is searched alone and must start a line (after ``\\n`` or ``\\n,``): the same bytes
    inside another, escaped key do not count.
    """
    key = orjson.dumps(path) + b":{"
    at = data.find(key)
    while at >= 0:
        if data[at - 1 : at] == b"\n" or data[at - 2 : at] == b"\n,":
            obj = at + len(key) - 1
            end = data.find(b"\n", obj)
            return (obj, end) if end >= 0 else None
        at = data.find(key, at + 1)
    return None


def _entry_at(data: bytes, found: tuple[int, int] | None) -> Entry | None:
    """The entry at ``found`` (from :func:`_line_at`), or None when it is not a JSON object (the
    callers read index files whose digest they proved: a line there is an entry as written)."""
    if found is None:
        return None
    try:
        entry = orjson.loads(data[found[0] : found[1]])
    except orjson.JSONDecodeError:
        return None
    return cast("Entry", entry) if isinstance(entry, dict) else None


def first_line_after(data: bytes, path: str, lo: int, hi: int) -> int | None:
    """Where the first line of ``data[lo:hi]`` (whole entry lines, ``lo`` a line start) whose path
    sorts after ``path`` starts (``hi`` when none does); None when a line probed is not an entry.
    A binary search over byte offsets, each probe parsing one line."""
    while lo < hi:
        mid = (lo + hi) // 2
        at = max(lo, data.rfind(b"\n", 0, mid) + 1)  # the start of the line holding ``mid``
        end = data.find(b"\n", at)
        parsed = parse_line(data[at:end])
        if parsed is None:
            return None
        if parsed[0] > path:
            hi = at
        else:
            lo = end + 1
    return lo


def id_version_holders(data: bytes, id_: str, version: str, *, start: int = len(HEAD)) -> int:
    """How many entries of an index file's bytes declare (``id_``, ``version``): the lines holding
    that ``"id"`` field are parsed, nothing else (searched from ``start``: past the first line)."""
    held = 0
    for line, end in _lines_with(data, _field_probes("id", id_), start=start):
        parsed = parse_line(data[line:end])
        if parsed is not None and parsed[1]["id"] == id_ and parsed[1]["version"] == version:
            held += 1
    return held


def id_version_clash(holders: Callable[[str, str], int], before: Entries, after: Entries) -> bool:
    """Whether an (id, version) of the entries ``after`` is held by more or fewer than one entry of
    the index once the entries ``before`` (of the same and removed paths) give way to them: the
    index's ``holders(id, version)``, less those of ``before``, plus those of ``after``."""
    came = Counter((e["id"], e["version"]) for e in after.values())
    for key, count in came.items():
        gone = sum(1 for e in before.values() if (e.get("id"), e.get("version")) == key)
        if holders(*key) - gone + count != 1:
            return True
    return False


class LineAt(NamedTuple):
    """An entry line found in a run of lines: its JSON object's start, the line's end (offsets in the
    run as :func:`lines_in_run` gives it: after a leading newline) and its entry."""

    start: int
    end: int
    entry: Entry


def lines_in_run(
    body: bytes, paths: Iterable[str], holders: dict[tuple[str, str], int]
) -> tuple[bytes, dict[str, LineAt]] | None:
    """The entry lines of those of ``paths`` in ``body`` (a run of whole lines of an index file),
    in sorted path order (a path not there is left out), with the run as searched (``b"\n" +
    body``: every line starts after a newline, as in the whole file); each (id, version) of
    ``holders`` gets the entries of the run that hold it added. None when a line found is not a
    JSON object. The one per-run lookup of :func:`entries_in` and of the file splice
    (:mod:`artigov.index._filesplice`)."""
    data = b"\n" + body
    lines: dict[str, LineAt] = {}
    for path in sorted(paths):
        found = _line_at(data, path)
        if found is None:
            continue
        entry = _entry_at(data, found)
        if entry is None:
            return None
        lines[path] = LineAt(*found, entry)
    for key in holders:
        holders[key] += id_version_holders(data, *key, start=0)
    return data, lines


class Found(NamedTuple):
    """What :func:`entries_in` found: the entries of the paths asked, how many entries hold each
    (id, version) asked, how many entries the file holds (``held``), and its digest (when hashed)."""

    entries: Entries
    holders: dict[tuple[str, str], int]
    held: int
    digest: str | None


def entries_in(
    source: BinaryIO,
    paths: Iterable[str],
    keys: Iterable[tuple[str, str]] = (),
    *,
    chunk: int = SLICE_CHUNK,
    hashed: bool = False,
) -> Found | None:
    """The entries of ``paths`` and how many entries hold each of ``keys`` (id, version), found in an
    index file read in chunks of whole lines (memory holds one chunk, never the file), hashed when
    asked (else the caller proved the file, by the stat cache's stamp say); None when it is not
    shaped like an index. A path not in it is not in the answer's entries."""
    wanted = set(paths)
    out: Entries = {}
    holders = dict.fromkeys(keys, 0)
    index = ChunkedIndex(source, chunk, hashed=hashed)
    for body in index.bodies():
        looked = lines_in_run(body, wanted, holders)
        if looked is None:
            return None
        for path, line in looked[1].items():
            out[path] = line.entry
        wanted.difference_update(looked[1])
    if not index.shaped:
        return None
    return Found(out, holders, index.lines - 1, index.digest if hashed else None)  # the tail line is no entry


@dataclass(frozen=True)
class IndexSlice:
    """The entries of one framework, with the digest of the whole index they come from."""

    digest: str
    entries: Entries
    framework: str


def framework_slice_of(source: BinaryIO, framework: str, *, chunk: int = SLICE_CHUNK) -> IndexSlice | None:
    """One framework's entries from an index file read in chunks, parsing only their lines.

    The digest covers the whole file (every byte is hashed as it is read). Only the lines holding
    that ``"framework"`` field are parsed; memory holds one chunk and the slice, never the file.
    Returns None whenever the file is not shaped like an index (its first and last lines, one
    framework field per entry line, every parsed line an entry of that framework): the caller then
    parses the whole file, which explains problems.
    """
    index = ChunkedIndex(source, chunk)
    probes = _field_probes("framework", framework)
    entries: Entries = {}
    fields = 0
    for body in index.bodies():
        fields += body.count(b'"framework":"')
        for start, end in _lines_with(body, probes, start=0):
            parsed = parse_line(body[start:end])
            if parsed is None or parsed[1]["framework"] != framework:
                return None
            entries[parsed[0]] = parsed[1]
    if not index.shaped or fields != index.lines - 1:  # every line but the last is an entry
        return None
    return IndexSlice(index.digest, entries, framework)
