"""Reading an index file one entry at a time: ``index verify`` in memory that does not grow with it.

The index is one entry per line (docs/formats.md). :func:`read_entries`
yields ``(path, entry)`` in file order while proving, line by line, what a
whole-file parse proves: the first and last lines, the separators, strictly
increasing paths, every line in canonical form (it re-serializes each entry
and compares bytes), and every entry valid against the index schema (a check
compiled from ``artifacts-index.schema.json``; jsonschema explains a failure).
The file's digest is computed as it is read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from artigov.core import Check, compile_schema, packaged_schema
from artigov.index._model import HEAD, TAIL, entry_line, old_format
from artigov.index.errors import IndexCorruptError

__all__ = ["StreamedIndex"]


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
    """An index file read entry by entry; ``digest`` and ``count`` are known once it is read through."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._hash = hashlib.sha256()

    @property
    def digest(self) -> str:
        """The sha256 of the bytes read so far (the file's, once iterated to the end)."""
        return "sha256:" + self._hash.hexdigest()

    def _corrupt(self, line: int, why: str) -> IndexCorruptError:
        return IndexCorruptError(self.path, f"line {line}: {why}")

    def _check_first(self, first: bytes) -> None:
        """Raise IndexCorruptError unless ``first`` is the index's first line."""
        if old_format(first):
            raise IndexCorruptError(
                self.path, "format_version 1 (the old one-line index, which git cannot merge); `index rebuild`"
            )
        if first != HEAD:
            if first == HEAD[:-1] + b"\r\n":
                from artigov.core import CRLF_HINT

                raise self._corrupt(1, f"{CRLF_HINT}, not edited: `index rebuild` writes it anew")
            raise self._corrupt(1, "not the index's first line (hand-edited, or a bad merge?)")

    def _entry_line(self, number: int, raw: bytes, previous: str | None) -> tuple[str, dict[str, Any], bytes]:
        """(path, entry, the line without its leading comma) of entry line ``number``, after
        ``previous``'s; raise IndexCorruptError unless it is one whole JSON entry, in order."""
        body = raw[1:] if previous is not None and raw.startswith(b",") else raw
        if previous is not None and body is raw:
            raise self._corrupt(number, "an entry line must start with ',' (one entry per line)")
        if not body.endswith(b"\n"):
            raise self._corrupt(number, "the file ends inside an entry (a torn write?)")
        try:
            one = orjson.loads(b"{" + body[:-1] + b"}")
        except orjson.JSONDecodeError as e:
            raise self._corrupt(number, f"not one JSON entry ({e})") from None
        if len(one) != 1:
            raise self._corrupt(number, "not one entry per line (hand-edited, or a bad merge?)")
        ((rel, entry),) = one.items()
        if previous is not None and not previous < rel:
            raise self._corrupt(number, f"entry {rel!r} is out of order (after {previous!r}): a bad merge?")
        return rel, entry, body

    def __iter__(self) -> Iterator[tuple[str, dict[str, Any]]]:
        check, names = _entry_check()
        with open(self.path, "rb") as f:
            first = f.readline()
            self._hash.update(first)
            self._check_first(first)
            previous: str | None = None
            number = 1
            for raw in f:
                number += 1
                self._hash.update(raw)
                if raw == TAIL:
                    if f.read(1):
                        raise self._corrupt(number + 1, "text after the index's last line")
                    return
                rel, entry, body = self._entry_line(number, raw, previous)
                if not (check(entry) and names.search(rel)):
                    why = _explain(entry) or f"path {rel!r} is not a workspace-relative path"
                    raise self._corrupt(number, f"entry {rel!r}: {why}")
                if entry_line(rel, entry) != body[:-1]:
                    raise self._corrupt(number, f"entry {rel!r} is not in canonical form (hand-edited?)")
                previous = rel
                self.count += 1
                yield rel, entry
        raise self._corrupt(number, "the index's last line is missing (a torn write?)")
