"""The one reader of an index file: in chunks of whole lines, every byte hashed as it is read, so
memory holds one chunk, never the file (the index is one entry per line, docs/formats.md).

:class:`ChunkedIndex` reads the lines; its callers take what they need from them:

* :class:`StreamedIndex` (``index verify``) yields ``(path, entry)`` in file order while proving,
  line by line, what a whole-file parse proves: the first and last lines, the separators, strictly
  increasing paths, every line in canonical form (it re-serializes each entry and compares bytes),
  and every entry valid against the index schema (a check compiled from
  ``artifacts-index.schema.json``; jsonschema explains a failure);
* :meth:`ChunkedIndex.entries` (a fold over an index whose digest is already proved) and
  :func:`artigov.index._scan.framework_slice_of` (one framework's lines) parse leniently
  (:func:`parse_line`) and give no answer unless the file was read through in an index's shape.

A whole file already in memory is parsed at once by :meth:`artigov.index._model.Index.parse`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson

from artigov.core import Check, compile_schema, packaged_schema
from artigov.index._model import ENTRY_FIELDS, HEAD, REQUIRED_FIELDS, TAIL, Entry, entry_line, old_format
from artigov.index.errors import IndexCorruptError

__all__ = ["SLICE_CHUNK", "ChunkedIndex", "StreamedIndex", "parse_line"]


def parse_line(line: bytes) -> tuple[str, Entry] | None:
    """(path, entry) of one entry line, or None when it is not one."""
    if line.startswith(b","):
        line = line[1:]
    try:
        value = orjson.loads(b"{" + line + b"}")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((path, entry),) = value.items()
    if not isinstance(entry, dict) or not REQUIRED_FIELDS <= entry.keys() <= ENTRY_FIELDS:
        return None
    return path, cast("Entry", entry)  # its fields are an entry's (their values: StreamedIndex checks)


#: Bytes read at a time: memory does not grow with the index.
SLICE_CHUNK = 1 << 22


class ChunkedIndex:
    """An index file read in chunks of complete lines (memory holds one chunk, never the file),
    every byte hashed as it is read. :attr:`head` holds the file's first ``len(HEAD)`` bytes (no
    line is read unless they are the index's first line); once :meth:`bodies` is read through,
    :attr:`shaped` says whether the file had an index's first and last lines, :attr:`lines` counts
    the lines after the first, :attr:`rest` holds what followed the last newline (a torn line), and
    :attr:`digest` is the file's."""

    def __init__(self, source: BinaryIO, chunk: int = SLICE_CHUNK, *, hashed: bool = True) -> None:
        self.source = source
        self.chunk = chunk
        self.lines = 0
        self.shaped = False
        self.head = b""
        self.rest = b""
        #: None: not hashed (the caller proved the file by other means: the stat cache's stamp)
        self._hasher = hashlib.sha256() if hashed else None

    @property
    def digest(self) -> str:
        """``sha256:`` of the bytes read."""
        if self._hasher is None:
            raise ValueError("this read was not hashed")
        return "sha256:" + self._hasher.hexdigest()

    def bodies(self) -> Iterator[bytes]:
        """Runs of complete lines after the first, in file order (the last one ends with the tail)."""
        hasher = self._hasher
        self.head = self.source.read(len(HEAD))
        if hasher is not None:
            hasher.update(self.head)
        if self.head != HEAD:
            return
        carry, last = b"", b""
        while block := self.source.read(self.chunk):
            if hasher is not None:
                hasher.update(block)
            buf = carry + block
            cut = buf.rfind(b"\n") + 1
            body, carry = buf[:cut], buf[cut:]
            if body:
                self.lines += body.count(b"\n")
                last = body[body.rfind(b"\n", 0, len(body) - 1) + 1 :]
                yield body
        self.rest = carry
        self.shaped = not carry and last == TAIL

    def entries(self) -> Iterator[tuple[str, Entry]]:
        """Every entry, in file order; a line that is not one raises :class:`ValueError` (check
        :attr:`shaped` and :attr:`digest` once read through: only then is the answer whole)."""
        tail = TAIL[:-1]
        for body in self.bodies():
            for line in body.split(b"\n")[:-1]:
                if line == tail:
                    continue
                parsed = parse_line(line)
                if parsed is None:
                    raise ValueError("not an index entry line")
                yield parsed


def _schema() -> dict[str, Any]:
    return packaged_schema("artigov.index", "artifacts-index.schema.json")


@lru_cache(maxsize=1)
def _entry_check() -> tuple[Check, re.Pattern[str]]:
    schema = _schema()
    names = schema["properties"]["entries"]["propertyNames"]["pattern"]
    return compile_schema(schema["$defs"]["entry"]), re.compile(names)


def _explain(entry: Any) -> str:
    from jsonschema import Draft202012Validator

    schema = _schema()
    wrapper = {"$defs": schema["$defs"], "$ref": "#/$defs/entry"}
    errors = sorted(Draft202012Validator(wrapper).iter_errors(entry), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return ""
    where = "/".join(map(str, errors[0].absolute_path))
    return f"{where or '(entry)'}: {errors[0].message}"


class StreamedIndex:
    """An index file read entry by entry (its lines from :class:`ChunkedIndex`); ``digest`` and
    ``count`` are known once it is read through."""

    def __init__(self, path: Path, chunk: int = SLICE_CHUNK) -> None:
        self.path = path
        self.chunk = chunk
        self.count = 0
        self._reader: ChunkedIndex | None = None

    @property
    def digest(self) -> str:
        """The sha256 of the bytes read so far (the file's, once iterated to the end)."""
        return self._reader.digest if self._reader else "sha256:" + hashlib.sha256().hexdigest()

    def _corrupt(self, line: int, why: str) -> IndexCorruptError:
        return IndexCorruptError(self.path, f"line {line}: {why}")

    def _check_first(self, head: bytes) -> None:
        """Raise IndexCorruptError unless ``head`` (the file's first ``len(HEAD)`` bytes) is the
        index's first line."""
        if old_format(head):
            raise IndexCorruptError(
                self.path, "format_version 1 (the old one-line index, which git cannot merge); `index rebuild`"
            )
        if head != HEAD:
            if head == HEAD[:-1] + b"\r":
                from artigov.core import CRLF_HINT

                raise self._corrupt(1, f"{CRLF_HINT}, not edited: `index rebuild` writes it anew")
            raise self._corrupt(1, "not the index's first line (hand-edited, or a bad merge?)")

    def _entry_line(self, number: int, line: bytes, previous: str | None) -> tuple[str, dict[str, Any], bytes]:
        """(path, entry, the line without its leading comma) of entry line ``number`` (without its
        newline), after ``previous``'s; raise IndexCorruptError unless it is one JSON entry, in order."""
        body = line[1:] if previous is not None and line.startswith(b",") else line
        if previous is not None and body is line:
            raise self._corrupt(number, "an entry line must start with ',' (one entry per line)")
        try:
            one = orjson.loads(b"{" + body + b"}")
        except orjson.JSONDecodeError as e:
            raise self._corrupt(number, f"not one JSON entry ({e})") from None
        if len(one) != 1:
            raise self._corrupt(number, "not one entry per line (hand-edited, or a bad merge?)")
        ((rel, entry),) = one.items()
        if previous is not None and not previous < rel:
            raise self._corrupt(number, f"entry {rel!r} is out of order (after {previous!r}): a bad merge?")
        return rel, entry, body

    def _checked(self, number: int, line: bytes, previous: str | None) -> tuple[str, Entry, bytes]:
        """Entry line ``number``: one entry, in order, valid against the schema, in canonical form
        (and the line without its separator)."""
        check, names = _entry_check()
        rel, entry, body = self._entry_line(number, line, previous)
        if not (check(entry) and names.search(rel)):
            why = _explain(entry) or f"path {rel!r} is not a workspace-relative path"
            raise self._corrupt(number, f"entry {rel!r}: {why}")
        checked = cast("Entry", entry)  # valid against the index schema's entry
        if entry_line(rel, checked) != body:
            raise self._corrupt(number, f"entry {rel!r} is not in canonical form (hand-edited?)")
        return rel, checked, body

    def __iter__(self) -> Iterator[tuple[str, Entry]]:
        for rel, entry, _line in self.lines():
            yield rel, entry

    def lines(self) -> Iterator[tuple[str, Entry, bytes]]:
        """(path, entry, its canonical line without separator and newline), in file order."""
        tail = TAIL[:-1]
        with open(self.path, "rb") as f:
            reader = self._reader = ChunkedIndex(f, self.chunk)
            previous: str | None = None
            number, ended = 1, False
            for body in reader.bodies():
                for line in body.split(b"\n")[:-1]:
                    number += 1
                    if ended:
                        raise self._corrupt(number, "text after the index's last line")
                    if line == tail:
                        ended = True
                        continue
                    rel, entry, canonical = self._checked(number, line, previous)
                    previous = rel
                    self.count += 1
                    yield rel, entry, canonical
        self._check_first(reader.head)  # a file that does not start as an index gave no line
        if reader.rest:
            why = "text after the index's last line" if ended else "the file ends inside an entry (a torn write?)"
            raise self._corrupt(number + 1, why)
        if not ended:
            raise self._corrupt(number, "the index's last line is missing (a torn write?)")
