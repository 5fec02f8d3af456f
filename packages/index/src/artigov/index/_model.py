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
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TypedDict

import orjson

from artigov.core import digest_bytes
from artigov.index.errors import IndexCorruptError
from artigov.schema import Artifact

__all__ = [
    "ENTRY_FIELDS",
    "FORMAT_VERSION",
    "HEAD",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "TAIL",
    "Entries",
    "Entry",
    "Index",
    "entries_digest",
    "entry_count",
    "entry_from_artifact",
    "entry_line",
    "merge_entries",
    "old_format",
    "shaped",
    "with_optional",
]

FORMAT_VERSION = 2
#: Entry lines per piece of a serialized index (:meth:`Index.pieces`).
_PIECE_LINES = 4096
#: The first and last lines of every index file.
HEAD = b'{"entries":{\n'
TAIL = b'},"format_version":%d}\n' % FORMAT_VERSION


class _Required(TypedDict):
    id: str
    version: str
    status: str
    framework: str
    kind: str
    checksum: str
    size: int


class Entry(_Required, total=False):
    """An index entry, as its line holds it and every reader reads it: the one place its fields are
    named (a plain dict at run time, so 100,000 of them cost what dicts do; a field renamed or
    retyped here is a type error wherever an entry is read or made). Build one with ``Entry(...)``
    and :func:`with_optional`."""

    meta: str
    updated_at: str
    approved_by: list[str]


#: path -> entry
Entries = dict[str, Entry]

#: An entry's fields: every entry has the required ones, some the optional ones.
REQUIRED_FIELDS = frozenset(Entry.__required_keys__)
OPTIONAL_FIELDS = frozenset(Entry.__optional_keys__)
ENTRY_FIELDS = REQUIRED_FIELDS | OPTIONAL_FIELDS


def with_optional(
    entry: Entry, *, meta: str | None = None, updated_at: str | None = None, approved_by: Sequence[str] = ()
) -> Entry:
    """``entry`` with the optional fields that are set (an unset one is left out of the line)."""
    if meta:
        entry["meta"] = meta
    if updated_at is not None:
        entry["updated_at"] = updated_at
    if approved_by:
        entry["approved_by"] = list(approved_by)
    return entry


def entry_from_artifact(artifact: Artifact) -> Entry:
    """The index entry of a valid artifact. The fields with few distinct values (version, status,
    framework, kind) are interned: a worker's batch of entries then sends each value once, and
    the parent holds one copy, not one per entry (~0.2 KB less per artifact)."""
    updated = artifact.metadata.get("updated_at")
    approvers = artifact.metadata.get("approved_by")
    entry = Entry(
        id=artifact.id,
        version=sys.intern(artifact.version),
        status=sys.intern(artifact.status),
        framework=sys.intern(artifact.framework),
        kind=sys.intern(artifact.kind),
        checksum=artifact.checksum,
        size=artifact.size,
    )
    return with_optional(
        entry,
        meta=artifact.meta_path,
        updated_at=updated if isinstance(updated, str) else None,
        approved_by=[str(a) for a in approvers] if isinstance(approvers, list) else (),
    )


def entries_digest(entries: Entries) -> str:
    """``sha256:`` of the index file the entries make."""
    return Index(entries).digest


def entry_line(path: str, entry: Entry) -> bytes:
    """An entry's line without its leading separator and newline: ``"path":{…}``."""
    return orjson.dumps(path) + b":" + orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)


def shaped(data: bytes) -> bool:
    """Whether the bytes have an index file's first and last lines."""
    return data.startswith(HEAD) and data.endswith(TAIL) and len(data) >= len(HEAD) + len(TAIL)


def entry_count(data: bytes) -> int:
    """Entry lines in a shaped file (every newline but the head's and the tail's ends one)."""
    return data.count(b"\n") - 2


def old_format(data: bytes) -> bool:
    """Whether the bytes are a format-1 index (it began with its count)."""
    return data.startswith(b'{"count":')


@dataclass(frozen=True)
class Index:
    """An index in memory (entries are never mutated after construction)."""

    entries: Entries

    @cached_property
    def _pieces(self) -> list[bytes]:
        """The index file's bytes in order, a few thousand lines a piece: a write and the digest
        take them as they are, so the lines are never all held apart and joined at once (at
        300,000 entries that was ~85 MB more at the peak of a rebuild)."""
        if "_bytes" in self.__dict__:  # parsed from a file: its own bytes
            return [self._bytes]
        paths = sorted(self.entries)
        if not paths:
            return [HEAD + TAIL]
        entries, pieces = self.entries, [HEAD]
        for start in range(0, len(paths), _PIECE_LINES):
            if start:
                pieces.append(b"\n,")
            pieces.append(b"\n,".join([entry_line(p, entries[p]) for p in paths[start : start + _PIECE_LINES]]))
        pieces.append(b"\n" + TAIL)
        return pieces

    @cached_property
    def _bytes(self) -> bytes:
        return b"".join(self._pieces)

    @cached_property
    def digest(self) -> str:
        """The sha256 of the index file's bytes (taken over its pieces: a parsed file is one)."""
        hashed = hashlib.sha256()
        for piece in self._pieces:
            hashed.update(piece)
        return "sha256:" + hashed.hexdigest()

    def to_bytes(self) -> bytes:
        """The index file's bytes (canonical, one entry per line)."""
        return self._bytes

    def pieces(self) -> list[bytes]:
        """The index file's bytes in pieces, in order (what a write takes without joining them)."""
        return self._pieces

    @staticmethod
    def raw_digest(data: bytes) -> str | None:
        """The digest of an index file's bytes if they have the index's shape (no parsing); else None."""
        return digest_bytes(data) if shaped(data) else None

    @staticmethod
    def parse(data: bytes, path: Path, *, strict: bool = False) -> Index:
        """Parse and check an index file's bytes.

        Every read checks the layout (first and last line, one entry per line, paths strictly
        sorted, known fields): what a torn write, a bad merge or a hand edit breaks. ``strict``
        also re-serializes to prove every line canonical (``index verify`` does).

        Raises:
            IndexCorruptError: not JSON, the old format, not the layout, or unknown fields.
        """
        entries = _entries_of(data, path)
        index = Index(entries)
        if not shaped(data) or entry_count(data) != len(entries) or data.count(b"\n,") != max(len(entries) - 1, 0):
            raise IndexCorruptError(path, "not one entry per line (hand-edited, or a bad merge?)")
        if strict and index.to_bytes() != data:
            raise IndexCorruptError(path, "not in canonical form (hand-edited?)")
        index.__dict__["_bytes"] = data  # cached_property: the digest is the file's
        return index


def _entries_of(data: bytes, path: Path) -> Entries:
    """The entries of an index file's bytes, each with known fields only, in path order.

    Raises:
        IndexCorruptError: not JSON, the old format, another format version, or a bad entry.
    """
    if old_format(data):
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
    _check_entries(entries, path)
    return entries


def _check_entries(entries: Entries, path: Path) -> None:
    """Raise IndexCorruptError unless every entry has the required fields, no unknown one, in order."""
    required, allowed = REQUIRED_FIELDS, ENTRY_FIELDS
    previous = None
    for rel, entry in entries.items():
        if not isinstance(entry, dict) or not required <= entry.keys():
            raise IndexCorruptError(path, f"entry {rel!r} lacks required fields")
        if not entry.keys() <= allowed:
            raise IndexCorruptError(path, f"entry {rel!r} has unknown fields")
        if previous is not None and not previous < rel:
            raise IndexCorruptError(path, f"entry {rel!r} is out of order (after {previous!r}): a bad merge?")
        previous = rel


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
