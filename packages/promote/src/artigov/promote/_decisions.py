"""A framework's committed decision log: ``record/<framework>/decisions.jsonl``.

The same line format as the operational log (:mod:`artigov.core._audit`: canonical JSON, ``prev``
chaining each line to the one before, ``id`` sealing each line), but appended only by the
commands that change the framework's signed record: promote, rollback, prune --apply and
triggers --auto-rollback. Each appends ONE batch.

A promotion seals its batch before it signs: the lines are a pure function of their content and
the hash of the line before them, so the manifest can pin the log *including its own decisions*
(``decisions.lines`` and ``decisions.head``). The append of the batch is the promotion's commit
point: a snapshot whose batch is in the log is finished by the next command; one whose batch is
not was never committed and its temp folder is discarded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from artigov.core import (
    DEFAULT_LOCK_TIMEOUT,
    GENESIS,
    RECORD_FOLDERS,
    DiskError,
    digest_bytes,
    fault_point,
    fault_requested,
    flock_exclusive,
    last_line,
    log_lines,
    parse_events,
    seal,
    seal_lines,
    write_whole_lines,
)

__all__ = ["RECORDING_EVENTS", "DecisionEvent", "Decider", "DecisionLog", "LogCheck", "LogState", "record_frameworks"]

#: Events that put a snapshot into the chain (their ``data.sequence`` names it).
RECORDING_EVENTS = ("snapshot_promoted", "snapshot_rolled_back", "snapshot_migrated")


class _TopField:
    """A top field of an event, read from its line: the string there, else None."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, event: None, owner: type | None = None) -> _TopField: ...
    @overload
    def __get__(self, event: DecisionEvent, owner: type | None = None) -> str | None: ...
    def __get__(self, event: DecisionEvent | None, owner: type | None = None) -> _TopField | str | None:
        if event is None:  # on the class (help(), inspect): the field itself
            return self
        value = event.fields.get(self.name)
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class DecisionEvent:
    """One event of a decision log, as read (docs/formats.md): its name (``event``), the top fields
    every event may carry (``framework``, ``subject``, ``outcome``, ``actor``, ``ts``), and ``data``,
    the fields of its own kind (``{}`` when the line has none or they are not an object).
    ``fields`` is the whole object as the line holds it (with ``prev`` and ``id``)."""

    name: str
    data: Mapping[str, Any]
    fields: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> DecisionEvent:
        """The event of a parsed line (any JSON object: a field of the wrong type reads as absent)."""
        data = value.get("data")
        name = value.get("event")
        return cls(name if isinstance(name, str) else "", data if isinstance(data, dict) else {}, value)

    @classmethod
    def parse(cls, lines: Iterable[bytes]) -> Iterator[DecisionEvent]:
        """The events of log lines (a line that is not a JSON object is skipped: ``verify`` names it)."""
        return (cls.from_dict(e) for e in parse_events(lines))

    def to_bytes(self) -> bytes:
        """The sealed line (canonical JSON with its ``id``; the same bytes a sealed line was read from)."""
        return seal(dict(self.fields))

    framework = _TopField()  # the framework the event is about
    subject = _TopField()  # what it is about (a path, ``framework#sequence``, ...)
    outcome = _TopField()  # how it ended (``won``, ``passed``, ...)
    actor = _TopField()  # who acted
    ts = _TopField()  # when (RFC 3339, UTC)

    @property
    def sequence(self) -> int | None:
        """The snapshot the event belongs to (``data.sequence``), if it names one."""
        value = self.data.get("sequence")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class LogState:
    """How far the log goes: its complete lines and the hash of the last one (GENESIS when empty)."""

    lines: int
    head: str
    size: int


_CHUNK = 1 << 20


def _count_newlines(fd: int, end: int) -> int:
    count, pos = 0, 0
    while pos < end:
        chunk = os.pread(fd, min(_CHUNK, end - pos), pos)
        if not chunk:
            break
        count += chunk.count(b"\n")
        pos += len(chunk)
    return count


def _nth_line_end(fd: int, lines: int, size: int) -> int | None:
    """The offset just past the ``lines``-th newline, or None if the file holds fewer."""
    seen, pos = 0, 0
    while pos < size:
        chunk = os.pread(fd, min(_CHUNK, size - pos), pos)
        if not chunk:
            break
        here = chunk.count(b"\n")
        if seen + here >= lines:
            i = -1
            for _ in range(lines - seen):
                i = chunk.index(b"\n", i + 1)
            return pos + i + 1
        seen += here
        pos += len(chunk)
    return None


class DecisionLog:
    """One framework's log, read from the file each time it is asked (the caller holds the framework
    lock, so only this instance changes it). Nothing of the log is kept in memory: its head is read
    backwards from the end, a pinned line is found by counting newlines in chunks, and events are
    streamed, so a log of millions of events costs its reading time, never its size in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        """True when the log file exists."""
        return self.path.is_file()

    def _open(self) -> int | None:
        try:
            return os.open(self.path, os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def state_at(self, lines: int) -> LogState | None:
        """The log's first ``lines`` lines (GENESIS for none), or None if it has fewer complete ones."""
        if lines == 0:
            return LogState(0, GENESIS, 0)
        fd = self._open()
        if fd is None:
            return None
        try:
            end = _nth_line_end(fd, lines, os.fstat(fd).st_size)
            if end is None:
                return None
            return LogState(lines, digest_bytes(last_line(fd, end)), end)
        finally:
            os.close(fd)

    def state(self) -> LogState:
        """Where the complete lines end (a torn last line does not count)."""
        fd = self._open()
        if fd is None:
            return LogState(0, GENESIS, 0)
        try:
            size = os.fstat(fd).st_size
            tail = last_line(fd, size)  # complete, or a torn line that does not count
            end = size if tail.endswith(b"\n") else size - len(tail)
            if end == 0:
                return LogState(0, GENESIS, 0)
            line = tail if end == size else last_line(fd, end)
            return LogState(_count_newlines(fd, end), digest_bytes(line), end)
        finally:
            os.close(fd)

    def lines_after(self, lines: int) -> list[bytes] | None:
        """The complete lines after the first ``lines`` (None if the log holds fewer). For a
        leftover's own batch: a few lines, never the whole log."""
        base = self.state_at(lines)
        if base is None:
            return None
        end = self.state().size
        try:
            with open(self.path, "rb") as f:
                f.seek(base.size)
                return f.read(max(end - base.size, 0)).splitlines(keepends=True)
        except FileNotFoundError:
            return [] if lines == 0 else None

    def hash_at(self, lines: int) -> str | None:
        """The hash of line number ``lines`` (1-based; GENESIS for 0), or None if the log is shorter."""
        state = self.state_at(lines)
        return state.head if state else None

    def pin_problem(self, pin: dict[str, Any], sequence: int) -> str | None:
        """What is wrong with the log for snapshot ``sequence``'s pin (``lines``, ``head``), or None."""
        lines = int(pin["lines"])
        if not self.exists():
            return f"is missing, but snapshot {sequence} pins lines 1-{lines}"
        held = self.state().lines
        if held < lines:
            return f"is truncated: snapshot {sequence} pins lines 1-{lines}, the log holds {held}: " + (
                f"lines {held + 1}-{lines} are missing"
            )
        if self.hash_at(lines) != pin["head"]:
            return f"does not hold the line {lines} snapshot {sequence} pins (edited or replaced)"
        return None

    def lines(self, containing: bytes = b"") -> Iterator[bytes]:
        """The log's lines, streamed (only those holding ``containing``, a cheap byte filter)."""
        return (raw for raw in log_lines(self.path) if containing in raw)

    def blocks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The log's bytes in blocks of about ``size`` bytes, each ending at a line end (but the last,
        when the log's last line has none): for readers that pass lines through in bulk."""
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - closed below, once the caller stops iterating
        except (FileNotFoundError, NotADirectoryError):
            return
        with f:
            while chunk := f.read(size):
                if not chunk.endswith(b"\n"):
                    chunk += f.readline()  # the rest of the block's last line: one copy, not two
                yield chunk

    def events(self, containing: bytes = b"") -> Iterator[DecisionEvent]:
        """The log's events, streamed; ``containing`` skips lines without those bytes unparsed."""
        return DecisionEvent.parse(self.lines(containing))

    def recorded(self) -> dict[int, DecisionEvent]:
        """sequence -> the event that put it into the chain."""
        out: dict[int, DecisionEvent] = {}
        for event in self.events(b"snapshot_"):  # every recording event's name holds these bytes
            if event.name in RECORDING_EVENTS and event.sequence is not None:
                out[event.sequence] = event
        return out

    def append_batch(self, events: list[dict[str, Any]]) -> None:
        """Seal ``events`` after the log's last complete line and append them as one batch."""
        state = self.state()
        self.append(seal_lines(events, state.head), state)

    def append(self, lines: list[bytes], expected: LogState) -> None:
        """Append sealed ``lines`` to a log that must still be at ``expected``.

        Under an flock on the log; a failed write is rolled back (truncated to where the log was),
        so the log is always whole lines, and the error says nothing was recorded.

        Raises:
            DiskError: the log could not be written (ENOSPC, EIO, a file size limit).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            flock_exclusive(fd, self.path, DEFAULT_LOCK_TIMEOUT)
            size = os.fstat(fd).st_size
            if size != expected.size:
                raise DiskError(
                    self.path,
                    OSError(0, f"the log changed while the batch was prepared ({expected.size} -> {size} bytes)"),
                )
            os.lseek(fd, size, os.SEEK_SET)
            data = b"".join(lines)
            if len(data) > 1 and fault_requested("mid-decisions-append"):
                os.write(fd, data[: len(data) // 2])
                fault_point("mid-decisions-append")
            write_whole_lines(fd, self.path, data, size, step="decisions")
        finally:
            os.close(fd)

    def truncate_to(self, state: LogState) -> int:
        """Cut the log back to ``state`` (an uncommitted or torn tail); return the bytes removed."""
        fd = os.open(self.path, os.O_RDWR)
        try:
            flock_exclusive(fd, self.path, DEFAULT_LOCK_TIMEOUT)
            size = os.fstat(fd).st_size
            if size <= state.size:
                return 0
            os.ftruncate(fd, state.size)
            os.fsync(fd)
            return size - state.size
        finally:
            os.close(fd)


@dataclass(frozen=True)
class LogCheck:
    """The verdict on one log: where it is, whether it verifies, and what is wrong."""

    path: str
    framework: str | None
    ok: bool
    events: int
    head: str
    bad_line: int | None = None
    problem: str = ""


def record_frameworks(record_dir: Path) -> list[str]:
    """Frameworks with a folder in the record (not ``keys``, ``objects``, ``trust`` or hidden files)."""
    if not record_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in record_dir.iterdir()
        if p.is_dir() and p.name not in RECORD_FOLDERS and not p.name.startswith(".")
    )


@dataclass(frozen=True)
class Decider:
    """Who decides, when, in which framework, and for which snapshot (if one): what every decision
    of one command's batch carries. :meth:`event` makes each decision-log event."""

    ts: str
    actor: str
    framework: str
    #: The snapshot the decisions go with: each event's ``data.sequence`` (unless it names its own).
    sequence: int | None = None

    def event(self, event: str, subject: str, outcome: str, **data: Any) -> dict[str, Any]:
        """One decision-log event (``prev`` and ``id`` are added when the batch is sealed); ``data``
        without its None values."""
        data = {"sequence": self.sequence, **data}
        return {
            "ts": self.ts,
            "event": event,
            "actor": self.actor,
            "framework": self.framework,
            "subject": subject,
            "outcome": outcome,
            "data": {k: v for k, v in data.items() if v is not None},
        }
