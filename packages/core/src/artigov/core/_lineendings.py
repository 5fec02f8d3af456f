"""Bytes stay bytes: git must never convert the line endings of what artigov hashes and signs.

Git for Windows' default (``core.autocrlf=true``) turns LF into CRLF on checkout for every file
git thinks is text: the record's decision logs and statements, the artifacts and the index would
all differ from their recorded digests. ``.gitattributes`` marks them ``-text`` (written by
``artigov init`` and ``migrate-record``), and a file whose only difference is CRLF is named as such,
never as "edited".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from artigov.core._canonical import digest_bytes

__all__ = [
    "CRLF_FIX",
    "CRLF_HINT",
    "byte_exact_lines",
    "crlf_only",
    "ensure_byte_exact",
    "record_attributes",
    "record_binary_lines",
]

#: What a message about a converted file says, and its fix.
CRLF_HINT = "line endings converted by git (CRLF): see .gitattributes"
CRLF_FIX = (
    "keep the files byte-exact: `artigov migrate-record` writes .gitattributes (-text), commit it, then "
    "check the files out again (git rm -r -q --cached . && git reset -q --hard)"
)

_MARK = "# artigov: hashed and signed bytes: git never converts their line endings (core.autocrlf)"


def crlf_only(data: bytes, digest: str) -> bool:
    """True when ``data`` has CRLF line endings and, with LF ones, hashes to ``digest``."""
    return b"\r\n" in data and digest_bytes(data.replace(b"\r\n", b"\n")) == digest


def byte_exact_lines(record: str, artifacts: Sequence[str], index: str) -> list[str]:
    """The workspace ``.gitattributes`` lines that keep the record, the artifacts and the index
    byte-exact (``-text``: never converted, whatever a clone's ``core.autocrlf``)."""
    record = record.strip("/")
    return [
        _MARK,
        f"{record}/** -text",
        *(f"{glob} -text" for glob in artifacts),
        f"{index} -text",
    ]


#: The record's folders of signed bytes and stored objects, relative to the record folder: binary
#: to git (never diffed or merged as text).
BINARY_IN_RECORD = ("objects/**", "trust/**", "*/snapshots/**")


def record_attributes() -> bytes:
    """The record's own ``.gitattributes``: nothing in it is text to git; signed bytes and objects
    are binary (never diffed or merged as text either)."""
    lines = [
        "# artigov governance record: never converted (core.autocrlf); signed bytes and objects are binary.",
        "* -text",
        *record_binary_lines(""),
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def record_binary_lines(record: str) -> list[str]:
    """The ``.gitattributes`` lines that make the record's signed bytes and objects binary, for a
    file in the folder above the record folder ``record`` (``""``: the record's own file)."""
    prefix = f"{record.strip('/')}/" if record.strip("/") else ""
    return [f"{prefix}{glob} binary" for glob in BINARY_IN_RECORD]


def _add_lines(path: Path, lines: list[str]) -> list[str]:
    """Append the ``lines`` ``path`` lacks (it is created if missing); return those added."""
    from artigov.core._atomic import write_atomic

    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        text = ""
    have = {line.strip() for line in text.splitlines()}
    missing = [line for line in lines if line.strip() not in have]
    if missing:
        sep = "" if not text or text.endswith("\n") else "\n"
        write_atomic(path, (text + sep + "\n".join(missing) + "\n").encode("utf-8"), lock=False)
    return missing


def ensure_byte_exact(ws: Any) -> list[str]:
    """Add what is missing to the workspace's and the record's ``.gitattributes`` (an existing
    repository: ``migrate-record``); the files changed, as workspace-relative paths."""
    changed = []
    root_lines = byte_exact_lines(ws.rel(ws.record_dir), ws.artifacts, ws.rel(ws.index_path))
    if [line for line in _add_lines(ws.root / ".gitattributes", root_lines) if not line.startswith("#")]:
        changed.append(".gitattributes")
    record_lines = record_attributes().decode("utf-8").splitlines()
    if [line for line in _add_lines(ws.record_dir / ".gitattributes", record_lines) if not line.startswith("#")]:
        changed.append(ws.rel(ws.record_dir / ".gitattributes"))
    return changed
