"""Canonical JSON and sha256 helpers.

Canonical JSON is what artigov hashes and writes: keys sorted, compact
separators, UTF-8 (not ASCII-escaped), no NaN, one trailing newline. The same
value always gives the same bytes, on any machine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "canonical_json",
    "canonical_json_plain",
    "digest_bytes",
    "digest_file",
    "printable",
    "sha256_hex",
    "SHA256_PREFIX",
]

SHA256_PREFIX = "sha256:"
_CHUNK = 1 << 20


def utf8_sorted(paths: Iterable[str]) -> list[str]:
    """``paths`` in the order of their UTF-8 bytes (the index's order), without encoding them:
    UTF-8 keeps code point order, so for text that UTF-8 can hold (every indexed path: a name
    that is not UTF-8 is S021, never indexed) Python's own string order is the same. A property
    test holds it equal to ``sorted(paths, key=lambda p: p.encode("utf-8"))``."""
    return sorted(paths)


def printable(text: str) -> str:
    """``text`` as UTF-8 can hold it: a file name's bytes that were not UTF-8 (which Python reads
    as lone surrogates) shown as ``\\xNN``, any other lone surrogate as ``\\udXXX``; other text as it is."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def canonical_json(value: Any) -> bytes:
    """Serialize ``value`` to canonical JSON bytes (with a trailing newline)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8") + b"\n"


def canonical_json_plain(value: Any) -> bytes:
    """Canonical JSON of a value made only of dicts, lists, strings, ints and bools, fast.

    orjson (pinned) gives the same bytes as :func:`canonical_json` for such values,
    about ten times faster on a 100k-entry index; a property test checks the bytes.
    Values with floats must use :func:`canonical_json` (the two may format them differently).
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS) + b"\n"


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def digest_bytes(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return SHA256_PREFIX + hashlib.sha256(data).hexdigest()


def digest_file(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return SHA256_PREFIX + h.hexdigest()
