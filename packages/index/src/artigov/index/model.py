"""The index format: one entry per line, sorted by path, nothing that changes with every entry.

``artigov_index.json`` (format 2) is a JSON document laid out so that git merges it::

    {"entries":{
    "frameworks/a.md":{"checksum":"sha256:…","framework":"f",…,"version":"1.0.0"}
    ,"frameworks/b.md":{…}
    },"format_version":2}

* the first line and the last line never change;
* each entry is one line: its path, ``:``, and the canonical JSON of its fields (sorted keys,
  compact, UTF-8); entries are sorted by path (code point = UTF-8 byte order);
* every entry line but the first starts with the ``,`` that separates it from the one before
  (so adding or removing an entry never touches its neighbours, except before the first);
* one trailing newline.

So two branches that touch different artifacts change different lines, and git's own merge (a
hosting service's too) merges them. There is no count and no whole-file digest in the file: the
index's *digest* is the sha256 of the file's bytes, computed, never stored. No clock, no host, no
stat data: a rebuild anywhere gives the same bytes. A JSON newline can only separate tokens (a
newline inside a string is escaped), so a line start is found with a plain byte search.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from artigov.core.canonical import digest_bytes
from artigov.index.errors import IndexCorruptError
from artigov.schema.model import Artifact

__all__ = [
    "FORMAT_VERSION",
    "Entries",
    "Index",
    "IndexSlice",
    "Spliced",
    "entries_digest",
    "entries_at",
    "entry_from_artifact",
    "entry_line",
    "framework_slice",
    "merge_entries",
    "splice",
]

FORMAT_VERSION = 2
_REQUIRED = ("id", "version", "status", "framework", "kind", "checksum", "size")
_OPTIONAL = ("meta", "updated_at", "approved_by")
_REQUIRED_SET = frozenset(_REQUIRED)
_ALLOWED_SET = frozenset(_REQUIRED + _OPTIONAL)
#: The first and last lines of every index file.
_HEAD = b'{"entries":{\n'
_TAIL = b'},"format_version":%d}\n' % FORMAT_VERSION

#: path -> entry fields
Entries = dict[str, dict[str, Any]]


def entry_from_artifact(artifact: Artifact) -> dict[str, Any]:
    """The index entry of a valid artifact."""
    entry: dict[str, Any] = {
        "id": artifact.id,
        "version": artifact.version,
        "status": artifact.status,
        "framework": artifact.framework,
        "kind": artifact.kind,
        "checksum": artifact.checksum,
        "size": artifact.size,
    }
    if artifact.meta_path:
        entry["meta"] = artifact.meta_path
    updated = artifact.metadata.get("updated_at")
    if isinstance(updated, str):
        entry["updated_at"] = updated
    approvers = artifact.metadata.get("approved_by")
    if isinstance(approvers, list) and approvers:
        entry["approved_by"] = [str(a) for a in approvers]
    return entry


def entries_digest(entries: Entries) -> str:
    """``sha256:`` of the index file the entries make."""
    return Index(entries).digest


def entry_line(path: str, entry: dict[str, Any]) -> bytes:
    """An entry's line without its leading separator and newline: ``"path":{…}``."""
    return orjson.dumps(path) + b":" + orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)


def _shaped(data: bytes) -> bool:
    return data.startswith(_HEAD) and data.endswith(_TAIL) and len(data) >= len(_HEAD) + len(_TAIL)


def _count(data: bytes) -> int:
    """Entry lines in a shaped file (every newline but the head's and the tail's ends one)."""
    return data.count(b"\n") - 2


def _old_format(data: bytes) -> bool:
    return data.startswith(b'{"count":')


@dataclass(frozen=True)
class Index:
    """An index in memory (entries are never mutated after construction)."""

    entries: Entries

    @cached_property
    def _bytes(self) -> bytes:
        paths = sorted(self.entries)
        if not paths:
            return _HEAD + _TAIL
        lines = [entry_line(p, self.entries[p]) for p in paths]
        return _HEAD + b"\n,".join(lines) + b"\n" + _TAIL

    @cached_property
    def digest(self) -> str:
        return digest_bytes(self._bytes)

    def to_bytes(self) -> bytes:
        return self._bytes

    @staticmethod
    def raw_digest(data: bytes) -> str | None:
        """The digest of an index file's bytes if they have the index's shape (no parsing); else None."""
        return digest_bytes(data) if _shaped(data) else None

    @staticmethod
    def parse(data: bytes, path: Path, *, strict: bool = False) -> Index:
        """Parse and check an index file's bytes.

        Every read checks the layout (first and last line, one entry per line, paths strictly
        sorted, known fields): what a torn write, a bad merge or a hand edit breaks. ``strict``
        also re-serializes to prove every line canonical (``index verify`` does).

        Raises:
            IndexCorruptError: not JSON, the old format, not the layout, or unknown fields.
        """
        if _old_format(data):
            raise IndexCorruptError(
                path, "format_version 1 (the old one-line index, which git cannot merge); `index rebuild` upgrades it"
            )
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as e:
            raise IndexCorruptError(path, f"not valid JSON ({e})") from None
        if not isinstance(value, dict):
            raise IndexCorruptError(path, "not a JSON object")
        version = value.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexCorruptError(path, f"format_version {version!r}, expected {FORMAT_VERSION}")
        entries = value.get("entries")
        if not isinstance(entries, dict):
            raise IndexCorruptError(path, "`entries` is missing or not an object")
        required, allowed = _REQUIRED_SET, _ALLOWED_SET
        previous = None
        for rel, entry in entries.items():
            if not isinstance(entry, dict) or not required <= entry.keys():
                raise IndexCorruptError(path, f"entry {rel!r} lacks required fields")
            if not entry.keys() <= allowed:
                raise IndexCorruptError(path, f"entry {rel!r} has unknown fields")
            if previous is not None and not previous < rel:
                raise IndexCorruptError(path, f"entry {rel!r} is out of order (after {previous!r}): a bad merge?")
            previous = rel
        index = Index(entries)
        if not _shaped(data) or _count(data) != len(entries) or data.count(b"\n,") != max(len(entries) - 1, 0):
            raise IndexCorruptError(path, "not one entry per line (hand-edited, or a bad merge?)")
        if strict and index.to_bytes() != data:
            raise IndexCorruptError(path, "not in canonical form (hand-edited?)")
        index.__dict__["_bytes"] = data  # cached_property: the digest is the file's
        return index


def _line_at(data: bytes, path: str) -> tuple[int, int] | None:
    """(JSON object start, line end) of ``path``'s entry line, or None.

    The key is searched alone and must start a line (after ``\n`` or ``\n,``): the same bytes
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


@dataclass(frozen=True)
class Spliced:
    """An index file with some entries replaced in place: its pieces (write them in order: no 27 MB
    join), digest, and the entries it replaced."""

    pieces: tuple[bytes | memoryview, ...]
    digest: str
    count: int
    replaced: Entries
    #: The digest of the file before the splice.
    base_digest: str

    @cached_property
    def data(self) -> bytes:
        return b"".join(self.pieces)


def entries_at(data: bytes, paths: Sequence[str]) -> Entries | None:
    """The index entries of ``paths``, found by a byte search (see :func:`splice`) without parsing
    the rest of the file; None if the file is not shaped like an index or a path is not in it."""
    if not _shaped(data):
        return None
    out: Entries = {}
    for path in paths:
        found = _line_at(data, path)
        if found is None:
            return None
        try:
            entry = orjson.loads(data[found[0] : found[1]])
        except orjson.JSONDecodeError:
            return None
        if not isinstance(entry, dict):
            return None
        out[path] = entry
    return out


def splice(data: bytes, changes: Entries, *, base_digest: str | None = None) -> Spliced | None:
    """Replace the entries of existing paths in an index file's bytes, without parsing the rest.

    Each entry is one line, found by a byte search for ``\\n"<path>":{`` or ``\\n,"<path>":{``
    (a newline never occurs inside a JSON string), and its new line replaces the old one: the
    result is byte-identical to serializing the whole index again (a property test checks it).
    Returns None when the file is not shaped like an index or a path is not in it: the caller
    then takes the full path. ``base_digest``: the file's digest when the caller has proved it
    (the stat cache vouches for the file's stamp), saving a hash of the whole file.
    """
    if not _shaped(data):
        return None
    cuts: list[tuple[int, int, bytes]] = []
    replaced: Entries = {}
    for path in sorted(changes):
        found = _line_at(data, path)
        if found is None:
            return None
        obj, end = found
        try:
            old = orjson.loads(data[obj:end])
        except orjson.JSONDecodeError:
            return None
        if not isinstance(old, dict):
            return None
        replaced[path] = old
        cuts.append((obj, end, orjson.dumps(changes[path], option=orjson.OPT_SORT_KEYS)))
    view = memoryview(data)
    pieces: list[bytes | memoryview] = []
    pos = 0
    for start, end, new in cuts:
        pieces += [view[pos:start], new]
        pos = end
    pieces.append(view[pos:])
    hasher = hashlib.sha256()
    for piece in pieces:
        hasher.update(piece)
    base = base_digest or digest_bytes(data)
    return Spliced(tuple(pieces), "sha256:" + hasher.hexdigest(), _count(data), replaced, base)


def id_version_holders(data: bytes, id_: str, version: str) -> int:
    """How many entry lines of an index file's bytes declare (``id_``, ``version``), without parsing.

    Keys are sorted, so an entry's ``"id"`` is followed by its ``"kind"``, and ``"version"`` is
    its last field, closing the line; quotes inside strings are escaped, so these patterns only
    match fields.
    """
    probe = b'"id":' + orjson.dumps(id_) + b',"kind":'
    want = b'"version":' + orjson.dumps(version) + b"}"
    found = 0
    at = data.find(probe)
    while at >= 0:
        end = data.find(b"\n", at)
        if end >= 0 and data[end - len(want) : end] == want:
            found += 1
        at = data.find(probe, at + 1)
    return found


@dataclass(frozen=True)
class IndexSlice:
    """The entries of one framework, with the digest of the whole index they come from."""

    digest: str
    entries: Entries
    framework: str


def framework_slice(data: bytes, framework: str) -> IndexSlice | None:
    """One framework's entries from an index file's bytes, parsing only their lines.

    The digest covers the whole file (every byte is hashed). Only the lines holding
    ``"framework":"<framework>",`` are parsed (a quote inside a string is escaped, so the pattern
    only matches that field). Returns None whenever the file is not shaped like an index (one
    framework field per entry line, every parsed line an entry of that framework): the caller
    then parses the whole file, which explains problems.
    """
    if not _shaped(data) or data.count(b'"framework":"') != _count(data):
        return None
    probe = b'"framework":' + orjson.dumps(framework) + b","
    entries: Entries = {}
    at = data.find(probe, len(_HEAD))
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        line = data[start:end]
        if line.startswith(b","):
            line = line[1:]
        try:
            value = orjson.loads(b"{" + line + b"}")
        except orjson.JSONDecodeError:
            return None
        if not isinstance(value, dict) or len(value) != 1:
            return None
        ((path, entry),) = value.items()
        if (
            not isinstance(entry, dict)
            or not _REQUIRED_SET <= entry.keys() <= _ALLOWED_SET
            or entry["framework"] != framework
        ):
            return None
        entries[path] = entry
        at = data.find(probe, end)
    return IndexSlice(digest_bytes(data), entries, framework)


def merge_entries(base: Entries, ours: Entries, theirs: Entries) -> tuple[Entries, list[str]]:
    """Three-way merge by path: (merged entries, paths changed differently on both sides)."""
    merged: Entries = {}
    conflicts: list[str] = []
    for path in sorted(base.keys() | ours.keys() | theirs.keys()):
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if o == t:
            chosen = o
        elif o == b:
            chosen = t
        elif t == b:
            chosen = o
        else:
            conflicts.append(path)
            chosen = o
        if chosen is not None:
            merged[path] = chosen
    return merged, conflicts
