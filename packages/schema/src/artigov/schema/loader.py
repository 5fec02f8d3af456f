"""Reading artifacts from disk: YAML frontmatter and sidecars.

A frontmatter artifact starts with a line ``---``; its metadata runs to the
next line holding only ``---`` (or ``...``); the body is every byte after that
line, and the checksum covers the body. A sidecar artifact is any file ``X``
next to ``X.meta.yaml`` (or ``.meta.yml`` / ``.meta.json``); its checksum
covers all of ``X``.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from artigov.core.canonical import digest_bytes, digest_file
from artigov.core.errors import YamlSafetyError
from artigov.core.safeyaml import load_yaml
from artigov.schema.discovery import SIDECAR_SUFFIXES, sidecar_target
from artigov.schema.errors import ArtifactLoadError
from artigov.schema.fastpath import parse_plain
from artigov.schema.model import Artifact

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_FRONTMATTER_BYTES",
    "SIDECAR_SUFFIXES",
    "load_frontmatter_artifact",
    "load_sidecar_artifact",
    "sidecar_target",
]

MAX_FRONTMATTER_BYTES = 64 * 1024
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_SIDECAR_BYTES = 1024 * 1024

_OPEN = re.compile(rb"\A(?:\xef\xbb\xbf)?---[ \t]*\r?\n")
_CLOSE = re.compile(rb"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)


def _open_regular(path: Path | str, rel: str) -> int:
    """An fd of ``path`` if it is a regular file: a FIFO, device or socket (or a symlink to one,
    like /dev/zero) is refused at once, never waited on or read forever."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except IsADirectoryError:
        raise ArtifactLoadError("S001", rel, "is a directory, not a file") from None
    except FileNotFoundError:
        raise ArtifactLoadError("S001", rel, "no such file") from None
    except OSError as e:
        raise ArtifactLoadError("S001", rel, f"cannot read: {e.strerror}") from e
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file (a FIFO, device or socket)"
        raise ArtifactLoadError("S001", rel, f"is {what}", fix="an artifact is a regular file")
    return fd  # O_NONBLOCK is ignored for regular files: no fcntl to clear it


def _read(path: Path | str, rel: str, limit: int) -> bytes:
    fd = _open_regular(path, rel)
    try:
        with os.fdopen(fd, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise ArtifactLoadError("S001", rel, f"cannot read: {e.strerror}") from e
    if len(data) > limit:
        code = "S008" if limit == MAX_FILE_BYTES else "S001"
        raise ArtifactLoadError(code, rel, f"larger than {limit // (1024 * 1024)} MiB")
    return data


def _decode(data: bytes, rel: str) -> str:
    if not data:
        raise ArtifactLoadError("S002", rel, "file is empty")
    if b"\x00" in data[:8192]:
        raise ArtifactLoadError("S003", rel, "binary file (NUL bytes) cannot hold frontmatter")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ArtifactLoadError("S004", rel, f"not valid UTF-8 (byte {e.start}, line {line})", line=line) from None


def _as_mapping(value: Any, rel: str, line: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        kind = "empty" if value is None else type(value).__name__
        raise ArtifactLoadError("S013", rel, f"metadata must be a mapping of fields, got {kind}", line=line)
    return value


def _yaml(text: str, rel: str, line_offset: int) -> Any:
    try:
        return load_yaml(text, line_offset=line_offset)
    except YamlSafetyError as e:
        raise ArtifactLoadError(e.code, rel, e.message, line=e.line, fix=e.fix) from None


def load_frontmatter_artifact(root: Path, rel: str, *, data: bytes | None = None) -> Artifact:
    """Load an artifact whose metadata is a YAML frontmatter block (from ``data`` when given: the
    bytes a caller already read, so what it checks is exactly what it keeps).

    Raises:
        ArtifactLoadError: the file is unreadable, empty, binary, not UTF-8,
            has no or unterminated frontmatter, too large frontmatter, unsafe
            or invalid YAML, or metadata that is not a mapping.
    """
    if data is None:
        data = _read(f"{root}/{rel}", rel, MAX_FILE_BYTES)  # a str path: no pathlib work per file
    elif len(data) > MAX_FILE_BYTES:
        raise ArtifactLoadError("S008", rel, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    text = _decode(data, rel)
    opening = _OPEN.match(data)
    if opening is None:
        raise ArtifactLoadError("S005", rel, "no frontmatter: the first line must be `---`", line=1)
    start = opening.end()
    closing = _CLOSE.search(data, start)
    if closing is None:
        if len(data) - start > MAX_FRONTMATTER_BYTES:
            raise ArtifactLoadError("S007", rel, f"frontmatter larger than {MAX_FRONTMATTER_BYTES // 1024} KiB", line=2)
        raise ArtifactLoadError("S006", rel, "frontmatter is not closed by a `---` line", line=1)
    if closing.start() - start > MAX_FRONTMATTER_BYTES:
        raise ArtifactLoadError("S007", rel, f"frontmatter larger than {MAX_FRONTMATTER_BYTES // 1024} KiB", line=2)
    del text  # decoded once to refuse non-UTF-8 anywhere in the file
    meta_text = data[start : closing.start()].decode("utf-8")
    plain = parse_plain(meta_text)
    metadata = plain if plain is not None else _as_mapping(_yaml(meta_text, rel, 1), rel, 2)
    body = data[closing.end() :]
    return Artifact(
        path=rel,
        meta_path=None,
        metadata=metadata,
        checksum=digest_bytes(body),
        size=len(data),
        meta_text=meta_text,
        meta_line=2,
    )


def _reject_duplicate_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_sidecar_artifact(
    root: Path, rel: str, meta_rel: str, *, meta_data: bytes | None = None, content: bytes | None = None
) -> Artifact:
    """Load a sidecar artifact: file ``rel`` described by ``meta_rel`` (from ``meta_data`` and
    ``content`` when given: bytes the caller already read).

    Raises:
        ArtifactLoadError: as for frontmatter, plus a missing described file.
    """
    raw = _read(root / meta_rel, meta_rel, MAX_SIDECAR_BYTES) if meta_data is None else meta_data
    meta_text = _decode(raw, meta_rel)
    if meta_rel.endswith(".json"):
        try:
            value = json.loads(meta_text, object_pairs_hook=_reject_duplicate_pairs, parse_constant=_reject_constant)
        except json.JSONDecodeError as e:
            raise ArtifactLoadError("J001", meta_rel, f"invalid JSON: {e.msg}", line=e.lineno) from None
        except ValueError as e:
            raise ArtifactLoadError("J001", meta_rel, f"invalid JSON: {e}") from None
        except RecursionError:
            raise ArtifactLoadError("J001", meta_rel, "invalid JSON: nested too deeply", fix="flatten it") from None
    else:
        plain = parse_plain(meta_text)
        value = plain if plain is not None else _yaml(meta_text, meta_rel, 0)
    metadata = _as_mapping(value, meta_rel, 1)
    if content is not None:
        return Artifact(
            path=rel,
            meta_path=meta_rel,
            metadata=metadata,
            checksum=digest_bytes(content),
            size=len(content),
            meta_text=meta_text,
            meta_line=1,
        )
    described = root / rel
    try:
        if described.exists() and not described.is_file() and not described.is_dir():
            raise ArtifactLoadError("S001", rel, "is not a regular file (a FIFO, device or socket)")
        size = described.stat().st_size
        checksum = digest_file(described)
    except FileNotFoundError:
        raise ArtifactLoadError("S017", meta_rel, f"describes {rel}, which does not exist") from None
    except IsADirectoryError:
        raise ArtifactLoadError("S017", meta_rel, f"describes {rel}, which is a directory") from None
    except OSError as e:
        raise ArtifactLoadError("S001", rel, f"cannot read: {e.strerror}") from e
    return Artifact(
        path=rel,
        meta_path=meta_rel,
        metadata=metadata,
        checksum=checksum,
        size=size,
        meta_text=meta_text,
        meta_line=1,
    )
