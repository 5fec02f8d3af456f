"""The JSON lines ``audit show --format json`` prints: each event as its log holds it, with its log.

A speed seam of ``audit show``, kept out of the command's filters. The rule (README, "audit
show"): an event's line is the line its log holds, with ``,"log":"<log>"`` put just before its
closing brace. A line not in that plain shape (``{"`` … ``}`` and a line feed; a CRLF line, a
torn last line, ``{}``) is parsed, written as canonical JSON, and given the field the same way.
So a plain line keeps the record's bytes: cut the field off again and you have the line whose
sha256 the next line's ``prev`` holds.

Within a block of a log (:func:`splice_block`) the lines are checked and given their field in
two passes in C, never line by line; :func:`splice_lines` is the line-by-line rule a test holds
it equal to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from artigov.core import canonical_json, parse_event

#: The logs an event can come from, as ``audit show`` names them.
LOGS = ("decisions", "operational")
_SUFFIX = {log: b',"log":"' + log.encode() + b'"}\n' for log in LOGS}
_EMPTY = {log: b'{"log":"' + log.encode() + b'"}\n' for log in LOGS}


def plain(raw: bytes) -> bool:
    """Is ``raw`` a line in the plain shape, ``{"`` … ``}`` and a line feed? (An object that holds a
    member: the field can go before its brace.)"""
    return raw.startswith(b'{"') and raw.endswith(b"}\n")


def event_line(raw: bytes | None, event: dict[str, Any], log: str) -> bytes:
    """The line ``audit show`` prints for ``event``, read from ``raw`` (its log's line, if known)."""
    if raw is not None and plain(raw):
        return raw[:-2] + _SUFFIX[log]
    body = canonical_json(event)  # b"{...}\n"
    return _EMPTY[log] if body == b"{}\n" else body[:-2] + _SUFFIX[log]


def splice_lines(lines: Iterable[bytes], log: str) -> Iterator[bytes]:
    """Each of ``lines`` with its log field: a plain line spliced as it is, any other parsed (and
    skipped unless it is a JSON object)."""
    for raw in lines:
        if plain(raw):
            yield raw[:-2] + _SUFFIX[log]
            continue
        event = parse_event(raw)
        if event is not None:
            yield event_line(None, event, log)


def lines_of(block: bytes) -> list[bytes]:
    """``block``'s lines, each with its line feed (but a last one without): split at ``\\n`` only."""
    lines = [line + b"\n" for line in block.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def splice_block(block: bytes, log: str) -> bytes | None:
    """:func:`splice_lines` of every line of ``block`` at once, or None unless every line is plain
    (the caller then goes line by line). Checked without a line loop: the block starts with
    ``{"`` and ends with ``}\n``, and every other line feed sits in a ``}\n{"`` (their count is the
    line feeds' count less one: the four bytes cannot overlap, so no line feed is in two)."""
    if not (block.startswith(b'{"') and block.endswith(b"}\n")):
        return None
    pieces = block.split(b'}\n{"')
    if len(pieces) != block.count(b"\n"):
        return None
    suffix = _SUFFIX[log]
    pieces[-1] = pieces[-1][:-2] + suffix
    return (suffix[:-1] + b'\n{"').join(pieces)
