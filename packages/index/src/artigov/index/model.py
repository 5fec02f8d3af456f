"""The index format: entries keyed by POSIX path, a digest, a format version.

``artifacts_index.json`` is canonical JSON::

    {"count": N, "digest": "sha256:…", "entries": {"<path>": {…}}, "format_version": 1}

``digest`` is the sha256 of the canonical JSON of ``entries`` alone, so it is
a pure function of the artifact files: no clock, no host, no stat data.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from artigov.core.canonical import canonical_json_plain, digest_bytes
from artigov.index.errors import IndexCorruptError
from artigov.schema.model import Artifact

__all__ = [
    "FORMAT_VERSION",
    "Entries",
    "Index",
    "IndexSlice",
    "Spliced",
    "entries_digest",
    "entry_from_artifact",
    "framework_slice",
    "splice",
]

FORMAT_VERSION = 1
_REQUIRED = ("id", "version", "status", "framework", "kind", "checksum", "size")
_OPTIONAL = ("meta", "updated_at", "approved_by")
_REQUIRED_SET = frozenset(_REQUIRED)
_SHAPE = re.compile(rb'\{"count":(\d+),"digest":"(sha256:[0-9a-f]{64})","entries":')
_ALLOWED_SET = frozenset(_REQUIRED + _OPTIONAL)
#: What a canonical index file ends with, after its entries object.
_SUFFIX = b',"format_version":%d}\n' % FORMAT_VERSION

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
    """``sha256:`` of the canonical JSON of the entries."""
    return digest_bytes(canonical_json_plain(entries))


@dataclass(frozen=True)
class _Layout:
    """Where a canonical index file keeps things: its recorded count and digest, and its entries
    object from ``first`` (the ``{``) to ``stop`` (just past the ``}``)."""

    count: bytes
    digest: str
    first: int
    stop: int


def _layout(data: bytes) -> _Layout | None:
    """The layout of a file with a canonical index's head and tail; None for anything else."""
    shape = _SHAPE.match(data)
    if shape is None or not data.endswith(_SUFFIX):
        return None
    return _Layout(shape.group(1), shape.group(2).decode(), shape.end(), len(data) - len(_SUFFIX))


def _entries_digest(*pieces: bytes | memoryview) -> str:
    """``sha256:`` of entries bytes given in pieces (no copy), and the newline the digest covers."""
    hasher = hashlib.sha256()
    for piece in pieces:
        hasher.update(piece)
    hasher.update(b"\n")
    return "sha256:" + hasher.hexdigest()


@dataclass(frozen=True)
class Index:
    """An index in memory (entries are never mutated after construction)."""

    entries: Entries

    @cached_property
    def _entries_bytes(self) -> bytes:
        return canonical_json_plain(self.entries)

    @cached_property
    def digest(self) -> str:
        return digest_bytes(self._entries_bytes)

    def to_bytes(self) -> bytes:
        # Sorted keys: count, digest, entries, format_version; the entries are serialized once.
        head = b'{"count":%d,"digest":"%s","entries":' % (len(self.entries), self.digest.encode())
        return head + self._entries_bytes[:-1] + _SUFFIX

    @staticmethod
    def raw_digest(data: bytes) -> str | None:
        """The recorded digest if the raw ``entries`` bytes hash to it (the file is canonical); else None."""
        layout = _layout(data)
        if layout is None or _entries_digest(memoryview(data)[layout.first : layout.stop]) != layout.digest:
            return None
        return layout.digest

    @staticmethod
    def parse(data: bytes, path: Path, *, strict: bool = False) -> Index:
        """Parse and check an index file's bytes.

        The digest is checked on the raw bytes of ``entries`` (the file is canonical, so they are
        exactly what the digest covers). ``strict`` also re-serializes to prove the whole file is
        in canonical form (``index verify`` does; a reader needs only the digest).

        Raises:
            IndexCorruptError: not JSON, not the format, wrong version, or a
                digest that does not match the entries.
        """
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
        for rel, entry in entries.items():
            if not isinstance(entry, dict) or not required <= entry.keys():
                raise IndexCorruptError(path, f"entry {rel!r} lacks required fields")
            if not entry.keys() <= allowed:
                raise IndexCorruptError(path, f"entry {rel!r} has unknown fields")
        if value.get("count") != len(entries):
            raise IndexCorruptError(path, f"count {value.get('count')!r} but {len(entries)} entries")
        index = Index(entries)
        layout = _layout(data)
        if not strict and layout is not None:
            raw_entries = data[layout.first : layout.stop] + b"\n"
            if digest_bytes(raw_entries) == value.get("digest") == layout.digest:
                index.__dict__["_entries_bytes"] = raw_entries  # cached_property: seed it, the bytes are known
                return index
        if value.get("digest") != index.digest:
            raise IndexCorruptError(path, f"digest {value.get('digest')!r} does not match the entries ({index.digest})")
        if index.to_bytes() != data:
            raise IndexCorruptError(path, "not in canonical form (hand-edited?)")
        return index


def _object_end(data: bytes, start: int) -> int:
    """The offset just past the JSON object or array opening at ``data[start]`` (strings skipped)."""
    depth = 0
    i = start
    while True:
        c = data[i]
        if c == 0x22:  # a string: jump to its closing quote (one not escaped by an odd run of backslashes)
            j = i
            while True:
                j = data.index(b'"', j + 1)
                k = j - 1
                while data[k] == 0x5C:
                    k -= 1
                if (j - 1 - k) % 2 == 0:
                    break
            i = j + 1
            continue
        if c in (0x7B, 0x5B):
            depth += 1
        elif c in (0x7D, 0x5D):
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


@dataclass(frozen=True)
class Spliced:
    """An index file with some entries replaced in place: its bytes, digest, and the entries it replaced."""

    data: bytes
    digest: str
    count: int
    replaced: Entries
    #: The digest the file recorded before the splice.
    base_digest: str


def splice(data: bytes, changes: Entries) -> Spliced | None:
    """Replace the entries of existing paths in a canonical index file's bytes, without parsing it.

    The file is canonical JSON with sorted keys, so each entry sits at ``"<path>":{...}`` right after
    ``"entries":{`` or after the previous entry's ``},`` (a quote there cannot be inside a string,
    where it would be escaped), and its new canonical bytes can replace the old ones in place; the
    result is byte-identical to serializing the whole index again (a property test checks it).
    Returns None when the file does not have the expected shape or a path is not in it: the caller
    then takes the full path.
    """
    layout = _layout(data)
    if layout is None:
        return None
    first, stop = layout.first, layout.stop
    cuts: list[tuple[int, int, bytes]] = []
    replaced: Entries = {}
    for path in sorted(changes, key=lambda p: p.encode("utf-8")):
        key = orjson.dumps(path) + b":{"
        at = data.find(key, first + 1, stop)
        while at >= 0 and not (at == first + 1 or data[at - 2 : at] == b"},"):
            at = data.find(key, at + 1, stop)
        if at < 0:
            return None
        start = at + len(key) - 1
        try:
            end = _object_end(data, start)
            old = orjson.loads(data[start:end])
        except (ValueError, IndexError):
            return None
        if not isinstance(old, dict) or end > stop:
            return None
        replaced[path] = old
        cuts.append((start, end, orjson.dumps(changes[path], option=orjson.OPT_SORT_KEYS)))
    view = memoryview(data)
    pieces: list[bytes | memoryview] = []
    pos = first
    for start, end, new in cuts:
        pieces += [view[pos:start], new]
        pos = end
    pieces.append(view[pos:stop])
    digest = _entries_digest(*pieces)
    head = b'{"count":%s,"digest":"%s","entries":' % (layout.count, digest.encode())
    return Spliced(b"".join([head, *pieces, _SUFFIX]), digest, int(layout.count), replaced, layout.digest)


def id_version_holders(data: bytes, id_: str, version: str) -> int:
    """How many entries of a canonical index file's bytes declare (``id_``, ``version``), without parsing.

    Keys are sorted, so an entry's ``"id"`` is followed by its ``"kind"`` and, later in the same flat
    object, its ``"version"``; quotes inside strings are escaped, so these patterns only match fields.
    """
    probe = b'"id":' + orjson.dumps(id_) + b',"kind":'
    want = b'"version":' + orjson.dumps(version) + b"}"
    found = 0
    at = data.find(probe)
    while at >= 0:
        end = data.find(b',"version":', at)
        if end >= 0 and data.startswith(want, end + 1):
            found += 1
        at = data.find(probe, at + 1)
    return found


_CHECKSUM_FIELD = re.compile(rb'"checksum":"sha256:[0-9a-f]{64}",\Z')


def _string_start(data: bytes, closing: int, floor: int) -> int:
    """The offset of the opening quote of the JSON string whose closing quote is at ``closing``.

    Inside a string every quote is escaped by an odd run of backslashes; the opening one is not.
    """
    q = closing
    while True:
        q = data.rfind(b'"', floor, q)
        if q < 0:
            raise ValueError("no opening quote")
        k = q - 1
        while data[k] == 0x5C:
            k -= 1
        if (q - 1 - k) % 2 == 0:
            return q


@dataclass(frozen=True)
class IndexSlice:
    """The entries of one framework, with the digest of the whole index they come from."""

    digest: str
    entries: Entries
    framework: str


def framework_slice(data: bytes, framework: str) -> IndexSlice | None:
    """One framework's entries from a canonical index file's bytes, parsing only those entries.

    The whole file's digest is still checked (every byte is hashed); only the JSON parsing is
    limited to the entries whose canonical bytes hold ``"framework":"<framework>",`` (a quote
    inside a string is escaped, so the pattern only matches that field). Returns None whenever
    the file is not exactly in canonical shape (one such field per entry, every slice parsing as
    an entry of that framework): the caller then parses the whole file, which explains problems.
    """
    digest = Index.raw_digest(data)
    layout = _layout(data)
    if digest is None or layout is None or data.count(b'"framework":', layout.first, layout.stop) != int(layout.count):
        return None
    first, stop = layout.first, layout.stop
    probe = b'"framework":' + orjson.dumps(framework) + b","
    entries: Entries = {}
    at = data.find(probe, first, stop)
    while at >= 0:
        if not _CHECKSUM_FIELD.search(data, at - 85, at):
            return None
        start = at - 86
        if data[start] != 0x7B:  # "{": else an approved_by list comes first
            if data[at - 87 : at - 85] != b"],":
                return None
            start = data.rfind(b'{"approved_by":[', first, at)
            if start < 0:
                return None
        try:
            key_start = _string_start(data, start - 2, first)
            end = _object_end(data, start)
            path = orjson.loads(data[key_start : start - 1])
            entry = orjson.loads(data[start:end])
        except (ValueError, IndexError):
            return None
        if not start < at < end:
            return None
        if (
            not isinstance(path, str)
            or not isinstance(entry, dict)
            or not _REQUIRED_SET <= entry.keys() <= _ALLOWED_SET
            or entry["framework"] != framework
        ):
            return None
        entries[path] = entry
        at = data.find(probe, at + 1, stop)
    return IndexSlice(digest, entries, framework)
