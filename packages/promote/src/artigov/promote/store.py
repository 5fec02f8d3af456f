"""The object store and the snapshot store under ``state_dir``.

::

    objects/sha256/ab/cdef…               every input's bytes, content-addressed
    snapshots/.gitattributes              `* binary`: line-ending conversion never touches signed bytes
    snapshots/<framework>/000001/manifest.json      canonical JSON
    snapshots/<framework>/000001/manifest.json.asc  detached armored signature
    snapshots/<framework>/HEAD            {"digest": …, "sequence": N}, moved atomically
    snapshots/<framework>/HEAD.log        every head move, appended after it (a replayed older head shows)
    snapshots/<framework>/pruned.json     sequences pruned by retention, with their digests
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artigov.core.atomic import fsync_dir, write_all, write_atomic
from artigov.core.canonical import canonical_json, digest_bytes
from artigov.core.workspace import Workspace
from artigov.promote.errors import VerificationError

__all__ = ["Head", "ObjectStore", "SnapshotStore"]


class ObjectStore:
    def __init__(self, ws: Workspace) -> None:
        self.root = ws.state_dir / "objects" / "sha256"

    def path_for(self, digest: str) -> Path:
        hexd = digest.removeprefix("sha256:")
        return self.root / hexd[:2] / hexd[2:]

    def put(self, data: bytes) -> str:
        digest = digest_bytes(data)
        path = self.path_for(digest)
        if not path.exists():
            write_atomic(path, data, lock=False, mode=0o444)
        return digest

    def get(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()

    def check(self, digest: str) -> str | None:
        """None if the object is there and intact; else the problem."""
        path = self.path_for(digest)
        try:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        except FileNotFoundError:
            return "missing"
        return None if "sha256:" + h.hexdigest() == digest else f"content hashes to sha256:{h.hexdigest()}"

    def all(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(f"sha256:{d.name}{f.name}" for d in self.root.iterdir() if d.is_dir() for f in d.iterdir())


@dataclass(frozen=True)
class Head:
    sequence: int
    digest: str


class SnapshotStore:
    def __init__(self, ws: Workspace, framework: str) -> None:
        self.ws = ws
        self.framework = framework
        self.base = ws.state_dir / "snapshots"
        self.dir = self.base / framework
        self.head_path = self.dir / "HEAD"
        self.reflog_path = self.dir / "HEAD.log"
        self.lock_path = self.dir / ".lock"
        self.pruned_path = self.dir / "pruned.json"

    def seq_dir(self, sequence: int) -> Path:
        return self.dir / f"{sequence:06d}"

    def sequences(self) -> list[int]:
        if not self.dir.is_dir():
            return []
        return sorted(int(p.name) for p in self.dir.iterdir() if p.is_dir() and p.name.isdigit())

    def head(self) -> Head | None:
        try:
            raw = self.head_path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            value = json.loads(raw)
            return Head(int(value["sequence"]), str(value["digest"]))
        except (ValueError, KeyError, TypeError) as e:
            raise VerificationError(
                "V002",
                f"{self.head_path}: head pointer is unreadable ({e})",
                fix="restore HEAD from version control, or roll back",
            ) from None

    def manifest_bytes(self, sequence: int) -> bytes:
        try:
            return (self.seq_dir(sequence) / "manifest.json").read_bytes()
        except FileNotFoundError:
            raise VerificationError(
                "V003",
                f"snapshot {sequence}: manifest.json is missing",
                snapshot=sequence,
                fix="restore the snapshot folder from version control or a backup",
            ) from None

    def signature_bytes(self, sequence: int) -> bytes:
        try:
            return (self.seq_dir(sequence) / "manifest.json.asc").read_bytes()
        except FileNotFoundError:
            raise VerificationError(
                "V010",
                f"snapshot {sequence}: manifest.json.asc is missing",
                snapshot=sequence,
                fix="an unsigned snapshot never verifies: roll back or re-promote",
            ) from None

    def manifest(self, sequence: int) -> dict[str, Any]:
        data = self.manifest_bytes(sequence)
        try:
            value: dict[str, Any] = json.loads(data)
        except ValueError as e:
            raise VerificationError(
                "V004", f"snapshot {sequence}: manifest is not JSON ({e})", snapshot=sequence
            ) from None
        return value

    def pruned(self) -> dict[int, str]:
        try:
            return {int(k): str(v) for k, v in json.loads(self.pruned_path.read_bytes()).items()}
        except FileNotFoundError:
            return {}

    def ensure_gitattributes(self) -> None:
        path = self.base / ".gitattributes"
        if not path.exists():
            write_atomic(
                path,
                b"# Signed bytes: never let git convert line endings or diff them as text.\n* binary\n",
                lock=False,
            )

    def write_snapshot(self, sequence: int, manifest: bytes, signature: bytes) -> None:
        """Write the snapshot folder atomically (temp folder, fsync, rename)."""
        from artigov.core.faults import fault_point

        self.dir.mkdir(parents=True, exist_ok=True)
        final = self.seq_dir(sequence)
        if final.exists():
            shutil.rmtree(final)  # a leftover of a crash before the head moved: never referenced
        tmp = self.dir / f".{sequence:06d}.tmp.{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        write_atomic(tmp / "manifest.json", manifest, lock=False, mode=0o444)
        fault_point("after-manifest")
        write_atomic(tmp / "manifest.json.asc", signature, lock=False, mode=0o444)
        fault_point("after-signature")
        tmp.replace(final)
        fsync_dir(self.dir)

    def move_head(self, sequence: int, digest: str) -> None:
        """Move the head, then record the move in the reflog (after: a crash never over-claims)."""
        record = canonical_json({"sequence": sequence, "digest": digest})
        write_atomic(self.head_path, record, lock=False)
        fd = os.open(self.reflog_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            write_all(fd, record)
            os.fsync(fd)
        finally:
            os.close(fd)

    def highest_recorded(self) -> int:
        """The highest sequence the reflog says the head ever pointed at (0 if none)."""
        best = 0
        try:
            for line in self.reflog_path.read_bytes().splitlines():
                with suppress(ValueError, KeyError, TypeError):
                    best = max(best, int(json.loads(line)["sequence"]))
        except FileNotFoundError:
            return 0
        return best

    def record_pruned(self, sequence: int, digest: str) -> None:
        pruned = self.pruned()
        pruned[sequence] = digest
        write_atomic(self.pruned_path, canonical_json({str(k): v for k, v in sorted(pruned.items())}), lock=False)

    def remove_stale(self) -> list[str]:
        """Temp folders and snapshot folders above the head: leftovers of crashed promotions."""
        head = self.head()
        removed = []
        if self.dir.is_dir():
            for p in sorted(self.dir.iterdir()):
                stale_tmp = p.name.startswith(".") and ".tmp." in p.name
                above_head = p.is_dir() and p.name.isdigit() and int(p.name) > (head.sequence if head else 0)
                if stale_tmp or above_head:
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
                    removed.append(p.name)
        return removed
