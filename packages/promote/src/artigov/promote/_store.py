"""The committed governance record (``record:``, default ``governance/``; DESIGN section 13).

::

    governance/
      .gitattributes                       signed bytes and objects are binary to git
      keys/<FPR>.asc                       trusted public keys: verify needs nothing else
      objects/sha256/ab/cdef…              every input's bytes, content-addressed, add-only
      <framework>/
        HEAD                               {"digest", "gates": {gate: {"digest", "sequence"}}, "sequence"}
        decisions.jsonl                    the framework's hash-chained decision log
        pruned.json                        sequences pruned by retention, with their digests
        snapshots/000001/manifest.json     canonical JSON
        snapshots/000001/manifest.json.asc detached armored signature
        snapshots/.000002.tmp/             a promotion being written (never committed: git-ignored)

Every file is either add-only with a unique name (objects, snapshot folders) or changes only
together with its framework's HEAD (``decisions.jsonl``, ``pruned.json``), so two branches that
touch different frameworks merge with git's own merge, and two that promote the same framework
conflict on HEAD: a real fork of the signed history. The framework lock lives in the local
``state_dir`` (``locks/<framework>.lock``), never in the record.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from artigov.core import (
    FRAMEWORK_NAME,
    MANIFEST_NAME,
    SIGNATURE_NAME,
    DiskError,
    RecordLayout,
    Workspace,
    canonical_json,
    check_framework_name,
    digest_bytes,
    fsync_dir,
    record_attributes,
    sequence_name,
    write_all,
    write_atomic,
    write_batch,
)
from artigov.promote._manifest import Manifest, ManifestError
from artigov.promote.errors import VerificationError

__all__ = [
    "FRAMEWORK_NAME",
    "GateHead",
    "Head",
    "ObjectStore",
    "SnapshotStore",
    "check_framework_name",
    "ensure_record_files",
    "refuse_old_layout",
]


GITATTRIBUTES = record_attributes()
GITIGNORE = (
    b"# A promotion being written (a finished one is renamed into place), and a writer's temp files.\n"
    b".*.tmp\n.*.tmp.*\n.incoming.*\n"
)


def ensure_record_files(record: Path) -> None:
    """The record's ``.gitattributes`` and the temp-file ``.gitignore`` (written once; lines an older
    version lacks are added)."""
    for path, data in ((record / ".gitattributes", GITATTRIBUTES), (record / ".gitignore", GITIGNORE)):
        try:
            have = path.read_bytes()
        except FileNotFoundError:
            write_atomic(path, data, lock=False)
            continue
        lines = set(have.splitlines())
        missing = [line for line in data.splitlines() if line and not line.startswith(b"#") and line not in lines]
        if missing:
            sep = b"" if have.endswith(b"\n") or not have else b"\n"
            write_atomic(path, have + sep + b"\n".join(missing) + b"\n", lock=False)


def refuse_old_layout(ws: Workspace) -> None:
    """Snapshots under the old local ``state_dir`` must be moved into the committed record first."""
    from artigov.promote.errors import PromotionError

    old = ws.state_dir / "snapshots"
    if old.is_dir() and any(p.is_dir() for p in old.iterdir()):
        raise PromotionError(
            f"{ws.rel(old)} holds snapshots in the old local layout; the record now lives in {ws.rel(ws.record_dir)}/",
            fix="run `artigov migrate-record` (it verifies before and after moving them)",
        )


class ObjectStore:
    """Content-addressed input bytes under ``record/objects/sha256`` (or under ``base``: the old
    local layout kept them in ``state_dir/objects``)."""

    def __init__(self, ws: Workspace, base: Path | None = None) -> None:
        self.root = (base or ws.record_dir / "objects") / "sha256"

    def path_for(self, digest: str) -> Path:
        """Where the object named ``digest`` lives (``objects/sha256/ab/cdef…``)."""
        hexd = digest.removeprefix("sha256:")
        return self.root / hexd[:2] / hexd[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` (add-only; an intact copy is kept) and return its digest."""
        digest = digest_bytes(data)
        path = self._to_write(digest)
        if path is not None:
            write_atomic(path, data, lock=False, mode=0o444)
        return digest

    def put_all(self, blobs: Sequence[bytes]) -> list[str]:
        """:meth:`put` of every blob, made durable together (the batch seam, ``core.write_batch``):
        each object is still written to a temp file and renamed, but one ``syncfs`` before the
        renames and one after stand for an fsync per object and per folder; all are durable when
        this returns. Returns the digests, in order.

        Raises:
            DiskError: a write, sync or rename failed (objects already written stay: add-only).
        """
        digests = [digest_bytes(b) for b in blobs]
        files = []
        for digest, data in dict(zip(digests, blobs, strict=True)).items():  # each distinct object once
            path = self._to_write(digest)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                files.append((path, data))
        write_batch(files, mode=0o444)
        return digests

    def _to_write(self, digest: str) -> Path | None:
        """Where to write the object named ``digest``, or None when an intact copy is there (kept);
        a corrupt leftover is made writable, to be replaced by the right bytes."""
        if self.check(digest) is None:
            return None
        path = self.path_for(digest)
        if path.exists():
            path.chmod(0o644)
        return path

    def put_file(self, source: Path) -> tuple[str, int]:
        """Store a file of any size by streaming it (read ONCE, hashed while copied): (digest, size).

        The copy goes to a temp file in the store and is renamed to the name of the bytes it
        actually holds, so an edit while it is read can never name one content and hold another.
        """
        from artigov.core import fs_step, fsync_dir

        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".incoming.{os.getpid()}"
        try:
            digest, size = _stream_copy(source, tmp)
            if self.check(digest) is None:
                tmp.unlink()
                return digest, size
            final = self.path_for(digest)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                final.chmod(0o644)
            fs_step("object-stream-rename")
            tmp.replace(final)
            fsync_dir(final.parent)
            return digest, size
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise DiskError(source, e) from e

    def get(self, digest: str) -> bytes:
        """The bytes of object ``digest``."""
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
        except OSError as e:
            return f"unreadable ({e.strerror})"
        return None if "sha256:" + h.hexdigest() == digest else f"content hashes to sha256:{h.hexdigest()}"

    def all(self) -> list[str]:
        """Every stored object's digest, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(f"sha256:{d.name}{f.name}" for d in self.root.iterdir() if d.is_dir() for f in d.iterdir())


@dataclass(frozen=True)
class GateHead:
    """One gate's current snapshot in HEAD: its sequence and manifest digest."""

    sequence: int
    digest: str


@dataclass(frozen=True)
class Head:
    """The chain's newest snapshot, and the current snapshot of each gate."""

    sequence: int
    digest: str
    gates: dict[str, GateHead] = field(default_factory=dict)

    def with_gate(self, gate: str, sequence: int, digest: str) -> Head:
        """The head after snapshot ``sequence`` (of ``gate``) was added to the chain."""
        return Head(sequence, digest, {**self.gates, gate: GateHead(sequence, digest)})

    def to_bytes(self) -> bytes:
        """HEAD's bytes: canonical JSON."""
        gates = {g: {"digest": h.digest, "sequence": h.sequence} for g, h in sorted(self.gates.items())}
        return canonical_json({"digest": self.digest, "gates": gates, "sequence": self.sequence})

    @classmethod
    def from_bytes(cls, data: bytes) -> Head:
        """HEAD read from its bytes (older heads have no ``gates``).

        Raises:
            ValueError: not JSON, or not a head (a field missing or of the wrong type), saying which.
        """
        try:
            value = json.loads(data)
            gates = {
                str(g): GateHead(int(h["sequence"]), str(h["digest"])) for g, h in dict(value.get("gates", {})).items()
            }
            return cls(int(value["sequence"]), str(value["digest"]), gates)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            raise ValueError(f"{type(e).__name__}: {e}") from None


def _stream_copy(source: Path, tmp: Path) -> tuple[str, int]:
    """Copy regular file ``source`` to ``tmp`` in 1 MiB chunks, hashing as it goes, and fsync the
    copy: (the digest of the bytes copied, their size).

    Raises:
        OSError: unreadable, not a regular file, or the copy failed.
    """
    from artigov.core import fs_step

    hasher = hashlib.sha256()
    size = 0
    fs_step("object-stream-open")
    src = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(src).st_mode):
            raise OSError(errno.EINVAL, f"{source} is not a regular file")
        dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o444)
        try:
            while chunk := os.read(src, 1 << 20):
                hasher.update(chunk)
                size += len(chunk)
                fs_step("object-stream-write")
                write_all(dst, chunk)
            fs_step("object-stream-fsync")
            os.fsync(dst)
        finally:
            os.close(dst)
    finally:
        os.close(src)
    return "sha256:" + hasher.hexdigest(), size


class SnapshotStore:
    """One framework's part of the record."""

    def __init__(self, ws: Workspace, framework: str) -> None:
        self.ws = ws
        self.framework = check_framework_name(framework)
        self.record = ws.record_dir
        layout = RecordLayout(framework)
        self.dir = self.record / framework
        self.snapshots_dir = self.record / layout.snapshots
        self.head_path = self.record / layout.head
        self.decisions_path = self.record / layout.decisions
        self.pruned_path = self.record / layout.pruned
        self.lock_path = ws.state_dir / "locks" / f"{framework}.lock"
        #: The journal of an unfinished restore of a rollback (local state: :mod:`artigov.promote._restore`).
        self.restore_journal = ws.state_dir / f"restore-{framework}.journal"
        #: The object store the record's snapshots name (one per store: every step of a command shares it).
        self.objects = ObjectStore(ws)

    @classmethod
    def open(cls, ws: Workspace, framework: str) -> SnapshotStore:
        """The store a command works on: the framework's name checked, a record in the old local
        layout refused (it must be migrated first). One per command: pass it down."""
        refuse_old_layout(ws)
        return cls(ws, framework)

    def seq_dir(self, sequence: int) -> Path:
        """The folder of snapshot ``sequence``."""
        return self.snapshots_dir / sequence_name(sequence)

    def tmp_dir(self, sequence: int) -> Path:
        """The folder snapshot ``sequence`` is written in before it is published."""
        return self.snapshots_dir / f".{sequence_name(sequence)}.tmp"

    def sequences(self) -> list[int]:
        """Complete snapshot folders (a folder name of six digits)."""
        if not self.snapshots_dir.is_dir():
            return []
        return sorted(int(p.name) for p in self.snapshots_dir.iterdir() if p.is_dir() and p.name.isdigit())

    def unfinished(self) -> list[int]:
        """Sequences with a temp folder: promotions that were being written."""
        if not self.snapshots_dir.is_dir():
            return []
        out = []
        for p in self.snapshots_dir.iterdir():
            name = p.name
            if name.startswith(".") and name.endswith(".tmp") and name[1:-4].isdigit():
                out.append(int(name[1:-4]))
        return sorted(out)

    def head(self) -> Head | None:
        """HEAD as recorded (unverified), or None before the first snapshot."""
        try:
            raw = self.head_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise VerificationError("V002", f"{self.ws.rel(self.head_path)}: unreadable ({e.strerror})") from None
        if b"<<<<<<<" in raw or b">>>>>>>" in raw:
            raise VerificationError(
                "V007",
                f"{self.ws.rel(self.head_path)} holds merge conflict markers: two branches promoted "
                f"{self.framework!r}, a fork of the signed history",
                fix=f"keep one side's record (e.g. git checkout --theirs -- {self.ws.rel(self.dir)}), "
                "then promote again on the merged branch",
            )
        try:
            return Head.from_bytes(raw)
        except ValueError as e:
            raise VerificationError(
                "V002",
                f"{self.ws.rel(self.head_path)}: head pointer is unreadable ({e})",
                fix="restore it from git (git checkout -- the file), or resolve the merge conflict in it",
            ) from None

    def manifest_bytes(self, sequence: int) -> bytes:
        """The signed bytes of snapshot ``sequence``'s manifest."""
        try:
            return (self.seq_dir(sequence) / MANIFEST_NAME).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise VerificationError(
                "V003",
                f"snapshot {sequence}: {MANIFEST_NAME} is missing",
                snapshot=sequence,
                fix="restore the snapshot folder from git",
            ) from None

    def signature_bytes(self, sequence: int) -> bytes:
        """The detached signature of snapshot ``sequence``'s manifest."""
        try:
            return (self.seq_dir(sequence) / SIGNATURE_NAME).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise VerificationError(
                "V010",
                f"snapshot {sequence}: {SIGNATURE_NAME} is missing",
                snapshot=sequence,
                fix="an unsigned snapshot never verifies: restore it from git, or roll back",
            ) from None

    def manifest(self, sequence: int) -> Manifest:
        """Snapshot ``sequence``'s manifest, read through its type (unverified).

        Raises:
            VerificationError: V003 missing, V004 not JSON, V016 not a valid manifest.
        """
        try:
            return Manifest.from_bytes(self.manifest_bytes(sequence))
        except ManifestError as e:
            raise VerificationError(e.code, f"snapshot {sequence}: {e.problem}", snapshot=sequence) from None

    def pruned(self) -> dict[int, str]:
        """Sequences pruned by retention, with their manifest digests."""
        try:
            raw = json.loads(self.pruned_path.read_bytes())
            return {int(k): str(v) for k, v in raw.items()}
        except FileNotFoundError:
            return {}
        except (ValueError, TypeError, AttributeError) as e:
            raise VerificationError(
                "V006",
                f"{self.ws.rel(self.pruned_path)} is unreadable ({type(e).__name__})",
                fix="restore it from git",
            ) from None

    def ensure_record_files(self) -> None:
        """The record's ``.gitattributes`` and the temp-folder ``.gitignore`` (written once)."""
        ensure_record_files(self.record)

    def write_tmp(self, sequence: int, manifest: bytes, signature: bytes) -> Path:
        """Write a snapshot into its temp folder (the caller holds the lock and proved it uncommitted)."""
        from artigov.core import fault_point

        tmp = self.tmp_dir(sequence)
        if tmp.exists():
            shutil.rmtree(tmp)
        write_atomic(tmp / MANIFEST_NAME, manifest, lock=False, mode=0o444)
        fault_point("after-manifest")
        write_atomic(tmp / SIGNATURE_NAME, signature, lock=False, mode=0o444)
        fault_point("after-signature")
        return tmp

    def publish(self, sequence: int) -> None:
        """Rename a committed snapshot's temp folder into place."""
        from artigov.core import fs_step

        final = self.seq_dir(sequence)
        if final.exists():
            return
        fs_step("snapshot-rename")
        self.tmp_dir(sequence).replace(final)
        fsync_dir(self.snapshots_dir)

    def move_head(self, head: Head) -> None:
        """Write ``head`` as HEAD, atomically (the caller holds the framework lock)."""
        write_atomic(self.head_path, head.to_bytes(), lock=False)

    def record_pruned(self, entries: dict[int, str]) -> None:
        """Add ``entries`` (sequence -> digest) to ``pruned.json``, atomically."""
        pruned = {**self.pruned(), **entries}
        write_atomic(self.pruned_path, canonical_json({str(k): v for k, v in sorted(pruned.items())}), lock=False)
