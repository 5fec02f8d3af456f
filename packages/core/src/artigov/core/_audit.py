"""The audit file: append-only, hash-chained JSON lines.

Each line of ``state_dir/audit.jsonl`` is one event in canonical JSON. Its
``prev`` field holds ``sha256:<hex>`` of the previous line's bytes (newline
included; the first line's ``prev`` is :data:`GENESIS`), and its ``id`` is the
sha256 of the event itself without ``id``. So an edit inside a line fails
that line's ``id``, and dropping, inserting or reordering lines breaks a
``prev``: :func:`verify_log` names the first bad line either way.

Appends happen under an ``flock`` on the file itself with one ``write`` per
batch and an fsync, so concurrent commands never interleave or lose events.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from artigov.core._atomic import DEFAULT_LOCK_TIMEOUT, flock_exclusive, write_all
from artigov.core._canonical import canonical_json, digest_bytes, printable
from artigov.core.errors import DiskError

__all__ = [
    "last_line",
    "GENESIS",
    "TOP_FIELDS",
    "make_record",
    "parse_events",
    "seal_lines",
    "write_whole_lines",
    "ActorLookup",
    "AuditLog",
    "AuditVerification",
    "prefix_intact",
    "log_lines",
    "read_events",
    "seal",
    "utc_timestamp",
    "verify_log",
]

GENESIS = "sha256:" + "0" * 64
_TAIL = 4096


def utc_timestamp() -> str:
    """The current UTC time as RFC 3339 with milliseconds (``...Z``)."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


#: Fields that are part of every audit record; everything else goes under "data".
TOP_FIELDS = ("event", "actor", "command", "framework", "subject", "outcome")


class ActorLookup:
    """Who acts: ``$ARTIGOV_ACTOR``, else git's ``user.email`` (run in ``cwd``), else the login name.

    The ``git config`` process starts when the lookup is made and is read when the answer is
    needed, so a command does its work meanwhile instead of waiting for git first.
    """

    def __init__(self, cwd: Path | None) -> None:
        self._answer: str | None = os.environ.get("ARTIGOV_ACTOR") or None
        self._proc: Any = None
        if self._answer is None:
            import subprocess

            try:
                self._proc = subprocess.Popen(
                    ["git", "config", "user.email"],
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
            except OSError:
                self._proc = None

    def result(self) -> str:
        """The actor (``git config user.email``, else the OS user), waiting for the lookup once."""
        if self._answer is None:
            email = None
            if self._proc is not None:
                import subprocess

                try:
                    out, _ = self._proc.communicate(timeout=5)
                    email = out.strip() or None
                except (OSError, subprocess.SubprocessError):
                    self._proc.kill()
                    self._proc.communicate()
            import getpass

            self._answer = email or getpass.getuser()
        return self._answer


def make_record(level: str, fields: dict[str, Any], actor: str) -> dict[str, Any]:
    """The audit record of one event: top fields, the rest under ``data``, values made JSON-safe."""
    record: dict[str, Any] = {"ts": utc_timestamp(), "level": level}
    data: dict[str, Any] = {}
    for key, value in fields.items():
        if key in TOP_FIELDS:
            record[key] = value
        elif key not in ("timestamp", "level", "logger", "audit"):
            data[key] = value
    record.setdefault("actor", actor)
    if data:
        record["data"] = data
    return _jsonable(record)  # type: ignore[no-any-return]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, str):
        return printable(value)  # a path argument that is not UTF-8 is logged, not a crash
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return printable(str(value))


def seal(record: dict[str, Any]) -> bytes:
    """The line for ``record`` (which holds ``prev``): canonical JSON with its ``id`` added."""
    body = {k: v for k, v in record.items() if k != "id"}
    return canonical_json({**body, "id": "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()})


@dataclass(frozen=True)
class AuditVerification:
    """Result of checking the whole log."""

    ok: bool
    events: int
    head: str
    bad_line: int | None = None
    problem: str = ""


_ID_FIELD = b',"id":"sha256:'
_ID_LEN = len(_ID_FIELD) + 64 + 1  # the field, 64 hex digits and the closing quote


def _line_problem(raw: bytes, prev: str) -> str | None:
    """Why this line is bad, or None. ``id`` is checked on the raw bytes: a sealed line is canonical
    JSON with sorted keys, so dropping its top-level ``,"id":"sha256:…"`` (the last one: nested keys
    sort before it, and a quote inside a string is escaped) leaves exactly the bytes the id covers."""
    if not raw.endswith(b"\n"):
        return "the last line is torn (no newline): a crash during a write, or a truncation"
    if raw.endswith(b"\r\n") and _line_problem(raw[:-2] + b"\n", prev) is None:
        from artigov.core._lineendings import CRLF_FIX, CRLF_HINT

        return f"{CRLF_HINT}, not edited ({CRLF_FIX})"
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "not valid JSON (edited or torn)"
    if not _id_matches(raw, event):
        return "its content does not match its id (edited)"
    if event.get("prev") != prev:
        return "its prev does not match the line before it (an event was deleted, inserted or reordered)"
    return None


def _id_matches(raw: bytes, event: Any) -> bool:
    """True when ``event`` (``raw`` parsed) is an object whose ``id``, in the bytes and in the value,
    is the sha256 of ``raw`` without its ``,"id":"sha256:…"`` field."""
    at = raw.rfind(_ID_FIELD)
    if not isinstance(event, dict) or at < 0 or raw[at + _ID_LEN - 1 : at + _ID_LEN] != b'"':
        return False
    recorded = raw[at + 2 + 4 + 1 : at + _ID_LEN - 1].decode("ascii", "replace")
    expected = "sha256:" + hashlib.sha256(raw[:at] + raw[at + _ID_LEN :]).hexdigest()
    return recorded == expected and event.get("id") == expected


#: Logs at least this big are verified in parallel, one slice per core.
PARALLEL_BYTES = 8 << 20


def _verify_slice(job: tuple[str, int, int | None, str]) -> tuple[int, int | None, str, str]:
    """Check the lines from byte ``start`` (a line start) to ``end`` (None: the end of the file), the
    first line chaining to ``prev``: (good lines, 1-based number of the first bad one or None, its
    problem, the chain head after the good lines)."""
    path, start, end, prev = job
    count = 0
    pos = start
    with open(path, "rb") as f:
        f.seek(start)
        for raw in f:
            if end is not None and pos >= end:
                break
            pos += len(raw)
            if not _plainly_good(raw, prev):
                problem = _line_problem(raw, prev)
                if problem is not None:
                    return count, count + 1, problem, prev
            prev = "sha256:" + hashlib.sha256(raw).hexdigest()
            count += 1
    return count, None, "", prev


def _plainly_good(raw: bytes, prev: str) -> bool:
    """True only when :func:`_line_problem` finds nothing, checked with fewer steps (a speed seam
    of ``audit verify``: no id string is built twice); False sends the line to it, which says why
    (or finds it good after all). A test holds the two equal on good and bad lines."""
    at = raw.rfind(_ID_FIELD)
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    if at < 0 or type(event) is not dict or raw[-1:] != b"\n" or raw[at + _ID_LEN - 1] != 0x22:  # '"'
        return False
    digest = hashlib.sha256(raw[:at] + raw[at + _ID_LEN :]).hexdigest()
    return (
        raw[at + len(_ID_FIELD) : at + _ID_LEN - 1] == digest.encode()
        and event.get("id") == "sha256:" + digest
        and event.get("prev") == prev
    )


def _slices(path: Path, size: int, parts: int) -> list[tuple[str, int, int | None, str]]:
    """Cut the file at line starts near ``size * i / parts``; each slice's ``prev`` is the hash of the
    line before it (what the previous slice's last line must hash to; that slice checks it)."""
    cuts = [0]
    with open(path, "rb") as f:
        fd = f.fileno()
        for i in range(1, parts):
            at = max(size * i // parts, cuts[-1])
            tail = os.pread(fd, 1 << 16, at)
            newline = tail.find(b"\n")
            if newline < 0 or at + newline + 1 >= size:
                break
            cuts.append(at + newline + 1)
        prevs = [GENESIS] + ["sha256:" + hashlib.sha256(last_line(fd, cut)).hexdigest() for cut in cuts[1:]]
    ends: list[int | None] = [*cuts[1:], None]
    return [(str(path), start, end, prev) for start, end, prev in zip(cuts, ends, prevs, strict=True)]


def verify_log(path: Path) -> AuditVerification:
    """Check every line's ``id`` and ``prev``; report the first bad line (1-based).

    A big log is cut into one slice per core at line starts and the slices are checked at once
    (:func:`artigov.core._parallel.fork_map`); the answer is the same as checking line by line.
    """
    if not path.exists():
        return AuditVerification(True, 0, GENESIS)
    from artigov.core._parallel import cores, fork_map

    size = path.stat().st_size
    parts = cores() if size >= PARALLEL_BYTES else 1
    jobs = _slices(path, size, parts) if parts > 1 else [(str(path), 0, None, GENESIS)]
    count = 0
    head = GENESIS
    for good, bad, problem, prev in fork_map(_verify_slice, jobs):
        if bad is not None:
            return AuditVerification(False, count + good, prev, count + bad, problem)
        count += good
        head = prev
    return AuditVerification(True, count, head)


def prefix_intact(path: Path, line_hash: str) -> bool:
    """True if the log still holds the line hashing to ``line_hash`` and every line up to it chains."""
    prev = GENESIS
    if not path.exists():
        return False
    with open(path, "rb") as f:
        for raw in f:
            if _line_problem(raw, prev) is not None:
                return False
            prev = "sha256:" + hashlib.sha256(raw).hexdigest()
            if prev == line_hash:
                return True
    return False


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Every parseable event, in order (use :func:`verify_log` to check them)."""
    return parse_events(log_lines(path))


def log_lines(path: Path) -> Iterator[bytes]:
    """A log's lines, streamed (none when there is no log); the file is closed once the caller
    stops iterating."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, once the caller stops iterating
    except (FileNotFoundError, NotADirectoryError):
        return
    with f:
        yield from f


def parse_events(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The events of log lines already read (unparseable lines skipped)."""
    loads = orjson.loads
    for raw in lines:
        try:
            event = loads(raw)
        except ValueError:
            event = _json_loads(raw)
        if isinstance(event, dict):
            yield event


def parse_event(raw: bytes) -> dict[str, Any] | None:
    """The event of one log line, or None when the line is not a JSON object."""
    try:
        event = orjson.loads(raw)
    except ValueError:
        event = _json_loads(raw)
    return event if isinstance(event, dict) else None


def _json_loads(raw: bytes) -> Any:
    """``raw`` as json reads it, where orjson refused it (integers past 64 bits); None if not JSON
    (or nested past what json parses)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def last_line(fd: int, size: int) -> bytes:
    """The last line of the first ``size`` bytes of the file (with its newline), or b"" when empty.

    Reads backwards in growing chunks and searches each byte once, so a long last line costs
    linear time.
    """
    if size == 0:
        return b""
    chunks: list[bytes] = []
    end = size
    step = _TAIL
    while True:
        start = max(0, end - step)
        chunk = os.pread(fd, end - start, start)
        # The file's last byte is the line's own newline: look for the one before it.
        limit = len(chunk) - 1 if end == size else len(chunk)
        cut = chunk.rfind(b"\n", 0, limit)
        if cut >= 0:
            chunks.append(chunk[cut + 1 :])
            return b"".join(reversed(chunks))
        chunks.append(chunk)
        if start == 0:
            return b"".join(reversed(chunks))
        end = start
        step = min(step * 2, 1 << 22)


#: The operational log is rotated when it grows past this (``audit.jsonl`` -> ``audit.jsonl.1`` …).
ROTATE_BYTES = int(os.environ.get("ARTIGOV_AUDIT_ROTATE_BYTES", str(16 << 20)))
#: Rotated files kept (``.1`` newest).
ROTATE_KEEP = 3


class AuditLog:
    """Writer for one audit file; with ``rotate_bytes``, a file past that size is rotated first."""

    def __init__(
        self, path: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, rotate_bytes: int | None = ROTATE_BYTES
    ) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self.rotate_bytes = rotate_bytes
        self.torn_lines_repaired = 0

    def _open_locked(self) -> int:
        """Open and lock the current file (if it was rotated while we waited, open the new one)."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                self._lock(fd)
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    return fd
            except FileNotFoundError:
                pass
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)

    def _rotate(self, fd: int) -> tuple[int, dict[str, Any]]:
        """Rotate the locked file ``fd``; return the new file's locked fd and the event that opens it."""
        size = os.fstat(fd).st_size
        last = last_line(fd, size)
        torn = bool(last) and not last.endswith(b"\n")
        if torn:  # the newest complete line is the chain's head; the torn bytes stay in the old file
            last = last_line(fd, size - len(last))
        for i in range(ROTATE_KEEP - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{i}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{i + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        new_fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock(new_fd)
        os.close(fd)
        event = {
            "event": "audit_torn_line_detected" if torn else "log_rotated",
            "outcome": "set_aside" if torn else "rotated",
            "ts": utc_timestamp(),
            "subject": f"{self.path.name}.1",
            "data": {"previous_head": digest_bytes(last) if last else GENESIS, "bytes": size},
        }
        return new_fd, event

    def append(self, events: list[dict[str, Any]]) -> str:
        """Append events (each gets ``prev``); return the hash of the last line written.

        A torn last line left by a crash is evidence, not damage to carry forward: the file is
        rotated aside as it is (``audit.jsonl.1``, kept), and the new file opens with an
        ``audit_torn_line_detected`` event naming it and the hash of its last complete line, so
        ``audit verify`` of the current log passes while the torn bytes stay for an auditor.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = self._open_locked()
        try:
            size = os.fstat(fd).st_size
            tail = last_line(fd, size)
            torn = bool(tail) and not tail.endswith(b"\n")
            if torn or (self.rotate_bytes is not None and size > self.rotate_bytes):
                self.torn_lines_repaired += int(torn)
                fd, opening = self._rotate(fd)
                events = [opening, *events]
            size = os.fstat(fd).st_size
            last = last_line(fd, size)
            prev = digest_bytes(last) if last else GENESIS
            sealed = seal_lines(events, prev)
            write_whole_lines(fd, self.path, b"".join(sealed), size)
            return digest_bytes(sealed[-1]) if sealed else prev
        finally:
            os.close(fd)  # releases the flock

    def _lock(self, fd: int) -> None:
        flock_exclusive(fd, self.path, self.lock_timeout)


def seal_lines(events: list[dict[str, Any]], prev: str) -> list[bytes]:
    """The lines ``events`` become when appended after a line hashing to ``prev``: each sealed with
    its ``id`` and chained to the one before (a pure function: a caller may pin them before writing)."""
    out = []
    for event in events:
        line = seal({**event, "prev": prev})
        out.append(line)
        prev = digest_bytes(line)
    return out


def write_whole_lines(fd: int, path: Path, data: bytes, size: int, *, step: str | None = None) -> None:
    """Write ``data`` (whole lines) after the ``size`` bytes the log holds, and fsync; if that fails
    (ENOSPC, EIO, a file size limit), cut the log back to ``size``, so it never keeps part of a line.
    ``step`` names the writes for the fault sweep (:func:`artigov.core._faults.fs_step`).

    Raises:
        DiskError: the lines could not be written; the log is as it was.
    """
    from artigov.core._faults import fs_step

    try:
        if step:
            fs_step(f"{step}-append")
        write_all(fd, data)
        if step:
            fs_step(f"{step}-fsync")
        os.fsync(fd)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
            os.fsync(fd)
        raise DiskError(path, e) from e
