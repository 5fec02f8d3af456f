"""Reading artifacts from disk: YAML frontmatter and sidecars.

A frontmatter artifact starts with a line ``---``; its metadata runs to the
next line holding only ``---`` (or ``...``); the body is every byte after that
line, and the checksum covers the body. A sidecar artifact is any file ``X``
next to ``X.meta.yaml`` (or ``.meta.yml`` / ``.meta.json``); its checksum
covers all of ``X``.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from artigov.core import YamlSafetyError, digest_bytes, load_yaml
from artigov.schema._discovery import SIDECAR_SUFFIXES, Stamp, sidecar_target, stamp_from
from artigov.schema._model import Artifact
from artigov.schema.errors import ArtifactLoadError, EmptyMetadataError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_FRONTMATTER_BYTES",
    "SIDECAR_SUFFIXES",
    "load_frontmatter_artifact",
    "load_sidecar_artifact",
    "read_source",
    "sidecar_target",
]

MAX_FRONTMATTER_BYTES = 64 * 1024
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_SIDECAR_BYTES = 1024 * 1024

# Lines end at \n, \r\n or a lone \r (as YAML and editors read them); nothing else.
_OPEN = re.compile(rb"\A(?:\xef\xbb\xbf)?---[ \t]*(?:\r\n|\r|\n)")
_CLOSE = re.compile(rb"(?<=[\r\n])(?:---|\.\.\.)[ \t]*(?:\r\n|\r|\n|\Z)")
_TOML = re.compile(rb"\A(?:\xef\xbb\xbf)?\+\+\+[ \t]*(?:\r\n|\r|\n)")
#: Byte-order marks and the shape of ASCII text (such as ``---``) in each wide encoding, most specific first.
_WIDE = (
    ("UTF-32LE", b"\xff\xfe\x00\x00", re.compile(rb"\A[^\x00]\x00\x00\x00")),
    ("UTF-32BE", b"\x00\x00\xfe\xff", re.compile(rb"\A\x00\x00\x00[^\x00]")),
    ("UTF-16LE", b"\xff\xfe", re.compile(rb"\A[^\x00]\x00[^\x00]\x00")),
    ("UTF-16BE", b"\xfe\xff", re.compile(rb"\A\x00[^\x00]\x00[^\x00]")),
)
#: First bytes a wide encoding's mark or shape may begin with (the others have NUL as second byte).
_WIDE_FIRST = (b"\xff", b"\xfe", b"\x00")


def _open_regular(path: Path | str, rel: str, *, described_by: str | None = None) -> tuple[int, Stamp]:
    """(fd, stamp) of ``path`` if it is a regular file (the stamp from ``fstat``, before any read):
    a FIFO, device or socket (or a symlink to one, like /dev/zero) is refused at once, never waited
    on or read forever. ``described_by``: the sidecar naming ``path``, which a missing file or a
    folder is blamed on (S017)."""
    try:
        # O_NOFOLLOW: a symlink is never read (the symlink policy in discovery, enforced here too).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError:
        if described_by is not None:
            raise ArtifactLoadError("S017", described_by, f"describes {rel}, which does not exist") from None
        raise ArtifactLoadError("S001", rel, "no such file") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ArtifactLoadError(
                "S019",
                rel,
                "is a symlink: artigov reads files only under their own path, never through a link",
                line=1,
                fix="replace the symlink with the file itself, or name the file it points to",
            ) from None
        raise ArtifactLoadError("S001", rel, f"cannot read: {e.strerror}") from e
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        if stat.S_ISDIR(st.st_mode):
            if described_by is not None:
                raise ArtifactLoadError("S017", described_by, f"describes {rel}, which is a directory")
            raise ArtifactLoadError("S001", rel, "is a directory, not a file")
        raise ArtifactLoadError(
            "S001", rel, "is not a regular file (a FIFO, device or socket)", fix="an artifact is a regular file"
        )
    return fd, stamp_from(st)  # O_NONBLOCK is ignored for regular files: no fcntl to clear it


def _read(path: Path | str, rel: str, limit: int) -> tuple[bytes, Stamp]:
    """At most ``limit + 1`` bytes (one more shows a file is too large), and the file's stamp taken
    before reading. The first read asks for the size ``fstat`` gave plus one byte, so a 4 KiB file
    costs a 4 KiB buffer, never one of ``limit``; a file that grew meanwhile is read on to its end
    or past the limit."""
    fd, stamp = _open_regular(path, rel)
    size = stamp[0]
    parts: list[bytes] = []
    total = 0
    want = min(size, limit) + 1
    try:
        while total <= limit:
            chunk = os.read(fd, want)
            parts.append(chunk)
            total += len(chunk)
            if len(chunk) < want:  # a regular file reads short only at its end: no second call
                break
            want = min(limit + 1 - total, 1 << 20)
    except OSError as e:
        raise ArtifactLoadError("S001", rel, f"cannot read: {e.strerror}") from e
    finally:
        os.close(fd)
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    if len(data) > limit:
        code = "S008" if limit == MAX_FILE_BYTES else "S001"
        raise ArtifactLoadError(code, rel, f"larger than {limit // (1024 * 1024)} MiB", line=1)
    return data, stamp


def read_source(root: Path, rel: str, *, sidecar: bool = False) -> bytes:
    """The bytes metadata is loaded from (a frontmatter artifact, or a sidecar), read once, with the
    loader's size limits and refusals, for a caller that must keep exactly what it checked."""
    return _read(f"{root}/{rel}", rel, MAX_SIDECAR_BYTES if sidecar else MAX_FILE_BYTES)[0]


def _hash_described(root: Path, rel: str, meta_rel: str) -> tuple[str, int, Stamp]:
    """(checksum, size, stamp before reading) of the file a sidecar describes, streamed."""
    fd, stamp = _open_regular(f"{root}/{rel}", rel, described_by=meta_rel)
    hasher = hashlib.sha256()
    try:
        while chunk := os.read(fd, 1 << 20):
            hasher.update(chunk)
    except OSError as e:
        raise ArtifactLoadError("S001", rel, f"cannot read: {e.strerror}") from e
    finally:
        os.close(fd)
    return "sha256:" + hasher.hexdigest(), stamp[0], stamp


def _wide_encoding(data: bytes) -> str | None:
    """The UTF-16/UTF-32 encoding ``data`` is in (by its byte-order mark or its ASCII shape), if any."""
    if data[:1] not in _WIDE_FIRST and data[1:2] != b"\x00":
        return None  # every mark and shape below starts with one of those bytes or has NUL second
    for name, bom, shape in _WIDE:
        if data.startswith(bom):
            return name
        if shape.match(data):
            unit = 4 if "32" in name else 2
            head = data[: 256 - 256 % unit]
            try:
                text = head.decode(name)
            except UnicodeDecodeError:
                continue
            if all(c.isprintable() or c in "\t\r\n" for c in text):
                return name  # text in a wide encoding, not binary that happens to hold NULs
    return None


def _decode(data: bytes, rel: str) -> str:
    if not data:
        raise ArtifactLoadError("S002", rel, "file is empty", line=1)
    wide = _wide_encoding(data)
    if wide is not None:
        raise ArtifactLoadError(
            "S004",
            rel,
            f"not UTF-8: the file is {wide}",
            line=1,
            fix=f"convert it to UTF-8: iconv -f {wide} -t UTF-8 {rel} > {rel}.utf8 && mv {rel}.utf8 {rel}",
        )
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ArtifactLoadError("S003", rel, "binary file (NUL bytes) cannot hold frontmatter", line=line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ArtifactLoadError("S004", rel, f"not valid UTF-8 (byte {e.start}, line {line})", line=line) from None


def _as_mapping(value: Any, rel: str, line: int) -> dict[str, Any]:
    if value is None:
        raise EmptyMetadataError("S013", rel, "metadata must be a mapping of fields, got empty", line=line)
    if not isinstance(value, dict):
        raise ArtifactLoadError(
            "S013", rel, f"metadata must be a mapping of fields, got {type(value).__name__}", line=line
        )
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
    stamp: Stamp | None = None
    if data is None:
        data, stamp = _read(f"{root}/{rel}", rel, MAX_FILE_BYTES)  # a str path: no pathlib work per file
    elif len(data) > MAX_FILE_BYTES:
        raise ArtifactLoadError("S008", rel, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", line=1)
    text = _decode(data, rel)
    opening = _OPEN.match(data)
    if opening is None:
        if _TOML.match(data):
            raise ArtifactLoadError(
                "S020",
                rel,
                "TOML frontmatter (`+++`) is not supported",
                line=1,
                fix='rewrite it as YAML between `---` lines (`key = "v"` becomes `key: "v"`), or use a sidecar',
            )
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
    metadata = _as_mapping(_yaml(meta_text, rel, 1), rel, 2)
    body = data[closing.end() :]
    return Artifact(
        path=rel,
        meta_path=None,
        metadata=metadata,
        checksum=digest_bytes(body),
        size=len(data),
        meta_text=meta_text,
        meta_line=2,
        stamps=(stamp, None),
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
    root: Path,
    rel: str,
    meta_rel: str,
    *,
    meta_data: bytes | None = None,
    described: tuple[str, int] | None = None,
) -> Artifact:
    """Load a sidecar artifact: file ``rel`` described by ``meta_rel``. A caller that already read
    the sidecar passes its bytes (``meta_data``), and one that already hashed the described file
    (streaming it into a store, say) passes its (checksum, size) as ``described``.

    Raises:
        ArtifactLoadError: as for frontmatter, plus a missing described file.
    """
    raw, meta_stamp = _read(root / meta_rel, meta_rel, MAX_SIDECAR_BYTES) if meta_data is None else (meta_data, None)
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
        value = _yaml(meta_text, meta_rel, 0)
    metadata = _as_mapping(value, meta_rel, 1)
    stamp: Stamp | None = None
    if described is None:
        checksum, size, stamp = _hash_described(root, rel, meta_rel)
    else:
        checksum, size = described
    return Artifact(
        path=rel,
        meta_path=meta_rel,
        metadata=metadata,
        checksum=checksum,
        size=size,
        meta_text=meta_text,
        meta_line=1,
        stamps=(stamp, meta_stamp),
    )
