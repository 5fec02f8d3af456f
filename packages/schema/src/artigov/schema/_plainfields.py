"""A speed seam: ``key: value`` lines for the text values metadata edits write, without PyYAML's
emitter (a dozen objects and a full serializer per line: most of ``adopt``'s time on 10,000 files).

Only what is certainly the same YAML is written here: a text value that YAML's own resolver reads
back as that text (never a number, date, boolean or null) and that needs no escape: plain when it
is a word the loader's fast path reads (``status: draft``, ``checksum: sha256:...``), else in
double quotes (``version: "0.1.0"``, ``created_at: "2026-01-31T12:00:00Z"``, ``title: "A: B"``),
so a file adopt wrote is read back by that fast path too; with a ``"`` or ``\\`` in it, single
quotes. Anything else (non-ASCII, line breaks, numbers, lists) goes to :func:`yaml.safe_dump`.
Every edit is loaded again by its caller and compared with the intended metadata before it is
offered, and a test holds each line equal to what both PyYAML and the fast path read.
"""

from __future__ import annotations

import re

import yaml

__all__ = ["plain_field"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
#: A word the loader's fast path (``artigov.core``'s ``parse_plain``) reads as itself.
_WORD = re.compile(r"[A-Za-z](?:[A-Za-z0-9_.@+/:-]*[A-Za-z0-9_.@+/-])?")
_PRINTABLE_ASCII = re.compile(r"[ -~]*")
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"


def _reads_as_text(value: str) -> bool:
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag == _STR


def plain_field(key: str, value: object) -> str | None:
    """``key: value`` (without the line break) when ``value`` is text this seam writes, else None."""
    if not isinstance(value, str) or not _PRINTABLE_ASCII.fullmatch(value) or not _KEY.fullmatch(key):
        return None
    if not _reads_as_text(key):  # `no: x` is the key False to PyYAML
        return None
    if _WORD.fullmatch(value) and _reads_as_text(value):
        return f"{key}: {value}"
    if '"' not in value and "\\" not in value:
        return f'{key}: "{value}"'
    return f"{key}: '" + value.replace("'", "''") + "'"
