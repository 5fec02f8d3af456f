"""The index journal: the intent of a write, made durable before the write.

``state_dir/index.journal`` holds at most one record per transaction, a line
``<sha256 hex of payload> <payload>\\n`` where the payload is canonical JSON:
``{"op", "paths", "changes", "removed", "base_digest", "expected_digest"}``.
A record without its newline or whose hash does not match is a torn append
(the writer died before the index was touched) and is discarded.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from artigov.core import DiskError, canonical_json, fs_step, fsync_dir, write_all

__all__ = ["Journal", "stale_temps"]


class Journal:
    """Append, read and clear the journal file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: dict[str, Any]) -> None:
        """Append one record and fsync it (and, on first creation, its directory).

        Raises:
            DiskError: the append failed; the index has not been touched.
        """
        try:
            self._append(record)
        except OSError as e:
            raise DiskError(self.path, e) from e

    def _append(self, record: dict[str, Any]) -> None:
        payload = canonical_json(record)[:-1]
        line = hashlib.sha256(payload).hexdigest().encode() + b" " + payload + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        fs_step("journal-open")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fs_step("journal-write")
            write_all(fd, line)
            fs_step("journal-fsync")
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)

    def records(self) -> tuple[list[dict[str, Any]], int]:
        """The complete records, and how many torn or damaged ones were dropped."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return [], 0
        records: list[dict[str, Any]] = []
        dropped = 0
        lines = data.split(b"\n")
        if lines[-1]:
            dropped += 1  # a last piece without its newline is a torn append
        for raw in lines[:-1]:
            if not raw:
                continue
            digest, _, payload = raw.partition(b" ")
            if hashlib.sha256(payload).hexdigest().encode() != digest:
                dropped += 1
                continue
            try:
                records.append(json.loads(payload))
            except json.JSONDecodeError:
                dropped += 1
        return records, dropped

    def pending(self) -> bool:
        """True when a record is waiting: the last write did not finish."""
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def clear(self) -> None:
        """Truncate the journal durably.

        Raises:
            DiskError: the truncate failed; the record stays and is recovered next time.
        """
        try:
            self._clear()
        except OSError as e:
            raise DiskError(self.path, e) from e

    def _clear(self) -> None:
        if not self.path.exists():
            return
        fs_step("journal-truncate-open")
        fd = os.open(self.path, os.O_WRONLY)
        try:
            fs_step("journal-truncate")
            os.ftruncate(fd, 0)
            fs_step("journal-truncate-fsync")
            os.fsync(fd)
        finally:
            os.close(fd)


def stale_temps(index_path: Path, state_dir: Path, *names: str) -> list[Path]:
    """Temp files a dead writer left: of the index, and of the files named ``names`` in the state
    folder that only the index lock's holder writes (the stat cache, the index steps)."""
    found: list[Path] = list(index_path.parent.glob(f".{index_path.name}.tmp.*"))
    for name in names:
        found.extend(state_dir.glob(f".{name}.tmp.*"))
    return found
