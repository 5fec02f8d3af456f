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

:class:`SnapshotStore` is one framework's part of the record, its paths resolved once. Its readers
(HEAD, manifests, ``pruned.json``) serve verification and every view; its whole operations serve
the writing commands (promote, rollback, prune, repair-head), which share them:

* :meth:`SnapshotStore.writing`: the framework lock taken, then :meth:`SnapshotStore.recover`
  finishes or discards what an interrupted command left (a rollback's restore, a snapshot, a prune);
* :meth:`SnapshotStore.commit`: a signed snapshot recorded, in four steps:

  1. its manifest (which pins the decision log *including the batch about to be appended*) and
     signature are written into ``snapshots/.NNNNNN.tmp/``;
  2. the batch is appended to ``decisions.jsonl``: the COMMIT POINT;
  3. HEAD is moved;
  4. the temp folder is renamed to ``snapshots/NNNNNN/``.

A complete folder above HEAD therefore never comes from an interruption (it is a replayed HEAD or
a fork), while a recorded temp folder always does. Recovery finishes a temp folder whose snapshot
the log records (steps 3-4) and discards one the log does not record (it was never committed), with
any lines of its batch that reached the log. A complete snapshot folder the log does not record is
never deleted: that is a fork or a tampered record, and the command refuses.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from artigov.core import (
    FRAMEWORK_NAME,
    MANIFEST_NAME,
    SIGNATURE_NAME,
    DiskError,
    FileLock,
    RecordLayout,
    TrustChain,
    Workspace,
    canonical_json,
    check_framework_name,
    digest_bytes,
    fault_point,
    fsync_dir,
    get_logger,
    publish_public_key,
    record_attributes,
    seal_lines,
    sequence_name,
    shown_path,
    sign_detached,
    write_all,
    write_atomic,
    write_batch,
)
from artigov.promote._decisions import DecisionLog
from artigov.promote._manifest import Manifest, ManifestError, SnapshotInput
from artigov.promote._restore import RestoreJournal
from artigov.promote.errors import PromotionError, VerificationError

if TYPE_CHECKING:
    from artigov.promote._verify import Verified

__all__ = [
    "FRAMEWORK_NAME",
    "Committed",
    "GateHead",
    "Head",
    "KeySource",
    "ObjectStore",
    "RecordFiles",
    "RecordRead",
    "SnapshotStore",
    "check_framework_name",
    "ensure_record_files",
    "refuse_old_layout",
    "typed_manifest",
]

log = get_logger(__name__)
_T = TypeVar("_T")


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
        #: The workspace root: where the inputs an object holds were promoted from.
        self.workspace = ws.root

    def shown(self, digest: str) -> str:
        """Where the object named ``digest`` lives, as messages show it (relative to the workspace)."""
        return shown_path(self.path_for(digest), self.workspace)

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
                files.append((path, data))
        for folder in sorted({path.parent for path, _ in files}):  # each fan-out folder once
            folder.mkdir(parents=True, exist_ok=True)
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
        return self.read_checked(digest, keep=0)[0]

    def read_checked(self, digest: str, *, keep: int) -> tuple[str | None, bytes | None]:
        """:meth:`check` of object ``digest`` (None, else the problem) and, when it is intact and
        at most ``keep`` bytes, its bytes: the same read (a verifier that then parses the object
        does not read it twice). Larger objects are hashed in chunks, never held whole."""
        path = self.path_for(digest)
        held: list[bytes] = []
        size = 0
        try:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
                    size += len(chunk)
                    if size <= keep:
                        held.append(chunk)
        except FileNotFoundError:
            return "missing", None
        except OSError as e:
            return f"unreadable ({e.strerror})", None
        if "sha256:" + h.hexdigest() != digest:
            return f"content hashes to sha256:{h.hexdigest()}", None
        return None, b"".join(held) if size <= keep else None

    def all(self) -> list[str]:
        """Every stored object's digest, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(f"sha256:{d.name}{f.name}" for d in self.root.iterdir() if d.is_dir() for f in d.iterdir())


@dataclass(frozen=True)
class KeySource:
    """Where a signature's public keys are found: the record's committed keys (``keys_dir``, shown
    as ``label`` in messages) and ``signing.gnupghome`` (the signers' own copies)."""

    keys_dir: Path
    label: str
    gnupghome: Path | None

    @classmethod
    def of(cls, ws: Workspace) -> KeySource:
        """The workspace's key sources."""
        return cls(ws.keys_dir, ws.rel(ws.keys_dir), ws.signing.gnupghome)


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


def _missing_manifest(sequence: int) -> VerificationError:
    return VerificationError(
        "V003",
        f"snapshot {sequence}: {MANIFEST_NAME} is missing",
        snapshot=sequence,
        fix="restore the snapshot folder from git",
    )


def _or_error(read: Callable[[], _T]) -> _T | VerificationError:
    """What ``read()`` gives, or the verification error it raises."""
    try:
        return read()
    except VerificationError as e:
        return e


def typed_manifest(data: bytes, sequence: int) -> Manifest:
    """Snapshot ``sequence``'s manifest bytes, read through its type (unverified).

    Raises:
        VerificationError: V004 not JSON, V016 not valid against the schema.
    """
    try:
        return Manifest.from_bytes(data)
    except ManifestError as e:
        raise VerificationError(e.code, f"snapshot {sequence}: {e.problem}", snapshot=sequence) from None


@dataclass(frozen=True)
class RecordRead:
    """What verifying one snapshot reads of a framework's record, all of it read before any check
    (python-tuf's trusted set takes bytes, never a path; :meth:`RecordFiles.read`). A file that
    could not be read is held as the error reading it raised, and raised by the check that needs it,
    so each check fails where and as it did when it read the file itself."""

    framework: str
    head: Head | None
    sequences: tuple[int, ...]
    #: Sequences with a temp folder (a promotion being written).
    tmp_dirs: frozenset[int]
    #: The head's snapshot folder exists.
    head_folder: bool
    manifests: dict[int, bytes | VerificationError]
    pruned_read: dict[int, str] | VerificationError
    #: The signatures read: the target's, and those of any other snapshot the caller will verify.
    signatures: dict[int, bytes | VerificationError]
    head_shown: str
    decisions_path: Path
    decisions_shown: str

    def manifest_bytes(self, sequence: int) -> bytes:
        """Snapshot ``sequence``'s manifest bytes, as read.

        Raises:
            VerificationError: V003, it was missing (or never read: above the head).
        """
        got = self.manifests.get(sequence)
        if got is None:
            raise _missing_manifest(sequence)
        if isinstance(got, VerificationError):
            raise got
        return got

    def manifest(self, sequence: int) -> Manifest:
        """Snapshot ``sequence``'s manifest as read, through its type (unverified).

        Raises:
            VerificationError: V003 missing, V004 not JSON, V016 not a valid manifest.
        """
        return typed_manifest(self.manifest_bytes(sequence), sequence)

    def pruned(self) -> dict[int, str]:
        """``pruned.json``, as read (V006 when it was unreadable)."""
        if isinstance(self.pruned_read, VerificationError):
            raise self.pruned_read
        return self.pruned_read

    def signature_bytes(self, sequence: int) -> bytes:
        """Snapshot ``sequence``'s signature, as read (V010 when it was missing)."""
        assert sequence in self.signatures, "read() names every snapshot its caller verifies"
        got = self.signatures[sequence]
        if isinstance(got, VerificationError):
            raise got
        return got


class RecordFiles:
    """One framework's part of the record as files: where each lives (resolved once), and each
    read and write of one of them. It holds paths only, never the workspace: verification reads
    through it, and :class:`SnapshotStore` builds its whole operations on it."""

    def __init__(self, record: Path, framework: str, root: Path) -> None:
        self.framework = check_framework_name(framework)
        self.record = record
        #: The workspace root, which messages name paths relative to.
        self.root = root
        layout = RecordLayout(framework)
        self.dir = record / framework
        self.snapshots_dir = record / layout.snapshots
        self.head_path = record / layout.head
        self.decisions_path = record / layout.decisions
        self.pruned_path = record / layout.pruned

    def rel(self, path: Path) -> str:
        """``path`` as messages show it: relative to the workspace root when inside it."""
        return shown_path(path, self.root)

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
            raise VerificationError("V002", f"{self.rel(self.head_path)}: unreadable ({e.strerror})") from None
        if b"<<<<<<<" in raw or b">>>>>>>" in raw:
            raise VerificationError(
                "V007",
                f"{self.rel(self.head_path)} holds merge conflict markers: two branches promoted "
                f"{self.framework!r}, a fork of the signed history",
                fix=f"keep one side's record (e.g. git checkout --theirs -- {self.rel(self.dir)}), "
                "then promote again on the merged branch",
            )
        try:
            return Head.from_bytes(raw)
        except ValueError as e:
            raise VerificationError(
                "V002",
                f"{self.rel(self.head_path)}: head pointer is unreadable ({e})",
                fix="restore it from git (git checkout -- the file), or resolve the merge conflict in it",
            ) from None

    def manifest_bytes(self, sequence: int) -> bytes:
        """The signed bytes of snapshot ``sequence``'s manifest."""
        try:
            return (self.seq_dir(sequence) / MANIFEST_NAME).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise _missing_manifest(sequence) from None

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
        return typed_manifest(self.manifest_bytes(sequence), sequence)

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
                f"{self.rel(self.pruned_path)} is unreadable ({type(e).__name__})",
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

    def _reachable_manifests(
        self, head: Head | None, sequences: tuple[int, ...], pruned: dict[int, str] | VerificationError
    ) -> dict[int, bytes | VerificationError]:
        """The manifest bytes (or the error reading them) of every snapshot the chain walk from
        ``head`` can reach: at or below it, above the newest pruned snapshot below it."""
        if head is None:
            return {}
        floor = _pruned_below(pruned, head.sequence)
        reachable = sorted({*(s for s in sequences if floor < s <= head.sequence), head.sequence})
        return {s: _or_error(lambda: self.manifest_bytes(s)) for s in reachable}  # noqa: B023 - called at once

    def read(
        self,
        sequence: int | None = None,
        gate: str | None = None,
        head: Head | None = None,
        *,
        every_signature: bool = False,
    ) -> RecordRead:
        """What verifying snapshot ``sequence`` (or ``gate``'s current one; default the head) reads of
        the record, read before any check: HEAD (or ``head``), the snapshot folders, ``pruned.json``,
        every manifest the chain walk can reach (at or below the head, above the newest pruned
        snapshot below it), and the target's signature, or with ``every_signature`` the signature of
        every snapshot whose manifest it reads (a caller that verifies several snapshots of one read:
        rollback, prune).

        Raises:
            VerificationError: HEAD is unreadable or holds merge conflict markers (V002, V007).
        """
        head = head or self.head()
        sequences = tuple(self.sequences())
        pruned = _or_error(self.pruned)
        manifests = self._reachable_manifests(head, sequences, pruned)
        targets: set[int] = set(manifests) if every_signature else set()
        if head is not None and gate is None:
            targets.add(head.sequence if sequence is None else sequence)
        elif head is not None and gate in head.gates:
            targets.add(head.gates[gate].sequence)
        return RecordRead(
            framework=self.framework,
            head=head,
            sequences=sequences,
            tmp_dirs=frozenset(n for n in self.unfinished() if self.tmp_dir(n).is_dir()),
            head_folder=head is not None and self.seq_dir(head.sequence).exists(),
            manifests=manifests,
            pruned_read=pruned,
            signatures={t: _or_error(lambda: self.signature_bytes(t)) for t in sorted(targets)},  # noqa: B023
            head_shown=self.rel(self.head_path),
            decisions_path=self.decisions_path,
            decisions_shown=self.rel(self.decisions_path),
        )


def _pruned_below(pruned: dict[int, str] | VerificationError, head: int) -> int:
    """The newest pruned snapshot below ``head`` (0 if none, or ``pruned.json`` was unreadable):
    the chain walk from the head stops there, so no manifest at or below it is read."""
    if isinstance(pruned, VerificationError):
        return 0
    return max((s for s in pruned if s < head), default=0)


class SnapshotStore(RecordFiles):
    """One framework's part of the record in its workspace: its files (:class:`RecordFiles`), its
    lock, object store, keys and restore journal, and the whole operations of the writing commands
    (see the module doc)."""

    def __init__(self, ws: Workspace, framework: str) -> None:
        super().__init__(ws.record_dir, framework, ws.root)
        self.ws = ws
        self.lock_path = ws.state_dir / "locks" / f"{framework}.lock"
        #: The journal of an unfinished restore of a rollback (local state: :mod:`artigov.promote._restore`).
        self.restore = RestoreJournal(ws.state_dir / f"restore-{framework}.journal", ws.root, framework)
        #: The object store the record's snapshots name (one per store: every step of a command shares it).
        self.objects = ObjectStore(ws)
        #: Where its signatures' public keys are found.
        self.keys = KeySource.of(ws)

    @classmethod
    def open(cls, ws: Workspace, framework: str) -> SnapshotStore:
        """The store a command works on: the framework's name checked, a record in the old local
        layout refused (it must be migrated first). One per command: pass it down."""
        refuse_old_layout(ws)
        return cls(ws, framework)

    @contextmanager
    def writing(self, lock_timeout: float) -> Iterator[list[str]]:
        """The record opened for writing, every writing command's first step: the framework lock
        held, and what an interrupted command left finished or discarded (:meth:`recover`). Yields
        what recovery did, one line each."""
        with FileLock(self.lock_path, lock_timeout):
            yield self.recover()

    def recover(self) -> list[str]:
        """Finish or undo an interrupted rollback's restore (the index must see its files), then
        finish a committed but unfinished snapshot or prune, discard an uncommitted one, and set
        aside any other leftover; say what was done. The caller holds the framework lock.

        A leftover temp folder is evidence, not an instruction: it is rolled forward only when its
        manifest pins the log as it is now (its batch is recorded), and discarded (with the part of
        its batch that reached the log) only when every line after the point it was written on is
        its own. Anything else (a copy of an older snapshot, a folder whose log grew with other
        lines, say a prune pulled from another clone) is moved aside into ``state_dir/set-aside/``,
        never deleted, and the log is left as it is.
        """
        from artigov.index import add as index_add

        recorded = DecisionLog(self.decisions_path).recorded  # a scan of the log: only with a journal
        restored = self.restore.recover(recorded, lambda p: index_add(self.ws, p))
        return [*([restored] if restored else []), *_recover_record(self)]

    def verified_head(self) -> Verified | None:
        """The verified current head, or None for a framework with no record at all.

        Raises:
            PromotionError: HEAD is missing but snapshots are recorded.
            VerificationError: the head does not verify.
        """
        from artigov.promote._verify import verify_read

        read = self.read()
        if read.head is None:
            if read.sequences or DecisionLog(self.decisions_path).recorded():
                raise PromotionError(
                    f"{self.ws.rel(self.head_path)} is missing but {self.framework!r} has recorded snapshots; "
                    "nothing was written",
                    fix=f"restore it from git, or run `artigov repair-head --framework {self.framework}`",
                )
            return None
        return verify_read(self, read)

    def commit(
        self, head: Head | None, manifest: Manifest, batch: list[dict[str, Any]], trust: TrustChain
    ) -> Committed:
        """Sign ``manifest`` (pinning the log with ``batch`` appended), prove it verifies, record it,
        move HEAD and publish it (the four steps of the module doc).

        The caller holds the framework lock (:meth:`writing`), verified ``head``, and checked that
        ``trust``'s newest version lets the signer sign the manifest's gate.

        Raises:
            PromotionError: the snapshot would not verify (nothing recorded), or the disk refused
                after the commit point (the next command finishes it).
        """
        return _commit(self, head, manifest, batch, trust)

    def written(self, signer: str, inputs: Sequence[SnapshotInput], restored: Sequence[str] = ()) -> list[str]:
        """Exactly what a snapshot's command wrote, as workspace paths: what a git commit of it
        stages (never anything else: a tampered object stays out)."""
        ws, objects = self.ws, self.objects
        paths = [ws.rel(self.dir), ws.rel(ws.keys_dir / f"{signer}.asc")]
        paths += [ws.rel(ws.record_dir / n) for n in (".gitattributes", ".gitignore")]
        paths += [ws.rel(objects.path_for(o)) for i in inputs for o in i.objects]
        for item in inputs:
            for approval in item.approvals:
                paths += [approval.statement, approval.statement + ".asc"]
                if approval.fingerprint:
                    paths.append(ws.rel(ws.keys_dir / f"{approval.fingerprint}.asc"))
        paths += [ws.rel(ws.index_path)] if ws.index_committed else []  # a local index is never committed
        paths += list(restored)
        return sorted({p for p in paths if (ws.root / p).exists()})


@dataclass(frozen=True)
class Committed:
    """A snapshot recorded: its sequence, its manifest's digest and the new HEAD."""

    sequence: int
    digest: str
    head: Head


def _recover_record(store: SnapshotStore) -> list[str]:
    """The record's part of :meth:`SnapshotStore.recover`: its snapshots' and prunes' leftovers."""
    dlog = DecisionLog(store.decisions_path)
    notes: list[str] = []
    state = dlog.state()
    if dlog.exists() and store.decisions_path.stat().st_size > state.size:
        removed = dlog.truncate_to(state)
        notes.append(f"removed a torn last line ({removed} bytes) from {store.ws.rel(store.decisions_path)}")
    recorded = dlog.recorded()
    top = max(recorded, default=0)
    head = store.head()
    for n in store.unfinished():
        if n in recorded:
            notes += _finish_recorded(store, dlog, n, top, head)
        elif n > top:
            notes += _drop_unrecorded(store, dlog, n)
    notes += _finish_pruning(store, dlog)
    notes += _remove_dead_temps(store)
    for note in notes:
        log.info("record_recovered", audit=True, framework=store.framework, subject=store.framework, outcome=note)
    return notes


def _remove_dead_temps(store: SnapshotStore) -> list[str]:
    """Temp files a crashed writer left in the record (``.HEAD.tmp.<pid>``, ``.pruned.json.tmp.<pid>``,
    an object's ``.<hash>.tmp.<pid>`` or ``.incoming.<pid>``) whose writer is no longer running:
    they never became part of the record, and would otherwise be committed by ``git add -A``."""
    from artigov.core import dead_writer_temps, writer_gone

    found = [*dead_writer_temps(store.head_path), *dead_writer_temps(store.pruned_path)]
    objects = store.objects.root
    if objects.is_dir():
        found += [p for p in objects.glob(".incoming.*") if writer_gone(p)]
        for folder in objects.iterdir():
            if folder.is_dir():
                found += [p for p in folder.glob(".*.tmp.*") if writer_gone(p)]
    for path in found:
        path.unlink(missing_ok=True)
    return [f"removed {store.ws.rel(p)}: a crashed writer's temp file" for p in sorted(found)]


def _tmp_manifest(store: SnapshotStore, n: int) -> Manifest | None:
    """The leftover's manifest, if it is a valid manifest of its own folder's sequence that pins the log."""
    try:
        value = Manifest.from_bytes((store.tmp_dir(n) / MANIFEST_NAME).read_bytes())
    except (OSError, ManifestError):
        return None
    return value if value.sequence == n and value.decisions is not None else None


def _set_aside(store: SnapshotStore, n: int, why: str) -> str:
    """Move leftover folder ``n`` out of the record into ``state_dir/set-aside/`` (kept, never
    deleted); the one line that says so."""
    tmp = store.tmp_dir(n)
    base = store.ws.state_dir / "set-aside" / store.framework
    k = 1
    while (base / f"{tmp.name.strip('.')}-{k}").exists():
        k += 1
    target = base / f"{tmp.name.strip('.')}-{k}"
    try:
        base.mkdir(parents=True, exist_ok=True)
        tmp.replace(target)
    except OSError:  # another file system: keep it beside, under a name no command reads
        target = tmp.with_name(f"{tmp.name[:-4]}.aside-{k}.tmp")
        tmp.replace(target)
    line = f"set aside {store.ws.rel(tmp)} as {store.ws.rel(target)}: {why}; the record was not changed"
    log.warning("leftover_set_aside", audit=True, framework=store.framework, subject=store.ws.rel(tmp), outcome=line)
    return line


def _finish_recorded(store: SnapshotStore, dlog: DecisionLog, n: int, top: int, head: Head | None) -> list[str]:
    """A leftover whose snapshot the log records: finished (HEAD, folder) when it is the newest and
    its manifest pins the log as it is; else left for verify to explain, or set aside."""
    head_seq = head.sequence if head else 0
    if not (n == top and n in (head_seq, head_seq + 1) and not store.seq_dir(n).exists()):
        return []  # anything else recorded is left for verify to explain
    manifest = _tmp_manifest(store, n)
    pin = (manifest.decisions if manifest else None) or {}
    if manifest is None or dlog.hash_at(int(pin.get("lines", -1))) != pin.get("head"):
        why = "its manifest does not pin the decision log that records snapshot " + str(n)
        return [_set_aside(store, n, why)]
    notes = []
    if n == head_seq + 1:
        data = (store.tmp_dir(n) / MANIFEST_NAME).read_bytes()
        store.move_head((head or Head(0, "", {})).with_gate(manifest.gate, n, digest_bytes(data)))
        notes.append(f"moved HEAD to snapshot {n}: it was recorded before the interruption")
    store.publish(n)
    return [*notes, f"published snapshot {n}"]


def _own_lines(lines: list[bytes], n: int) -> bool:
    """True when every line is an event of snapshot ``n``'s batch."""
    from artigov.promote._decisions import DecisionEvent

    try:
        events = list(DecisionEvent.parse(lines))
    except (ValueError, RecursionError):
        return False
    return len(events) == len(lines) and all(e.sequence == n for e in events)


def _drop_unrecorded(store: SnapshotStore, dlog: DecisionLog, n: int) -> list[str]:
    """A leftover the log does not record: discarded only when provably this command's own
    unfinished promotion (the log is where it was written, or grew by its own lines alone)."""
    manifest = _tmp_manifest(store, n)
    if manifest is None:
        return [_set_aside(store, n, "its manifest is unreadable, or names another sequence")]
    pin = manifest.decisions
    assert pin is not None  # _tmp_manifest hands on only a manifest that pins the log
    start = pin["from"]  # the schema's shape: {"head": digest, "lines": count}
    base = dlog.state_at(start["lines"])
    if base is None or base.head != start["head"]:
        return [_set_aside(store, n, "it was written on a decision log that is not a prefix of this one")]
    after = dlog.lines_after(base.lines) or []
    if after and not (len(after) < pin["lines"] - base.lines and _own_lines(after, n)):
        why = f"the decision log grew by {len(after)} line(s) that are not its own since it was written"
        return [_set_aside(store, n, why)]
    notes = []
    if after:
        dlog.truncate_to(base)
        notes.append(f"removed the unrecorded part of snapshot {n}'s decisions ({len(after)} line(s))")
    shutil.rmtree(store.tmp_dir(n))
    return [*notes, f"discarded unfinished snapshot {n} (interrupted before it was recorded)"]


def _finish_pruning(store: SnapshotStore, dlog: DecisionLog) -> list[str]:
    """A prune recorded in the decision log (its commit point) but interrupted: finish it."""
    recorded = {
        e.sequence: str(e.data["digest"])
        for e in dlog.events(b"snapshot_pruned")
        if e.name == "snapshot_pruned" and e.sequence is not None and "digest" in e.data
    }
    notes = []
    missing = {s: d for s, d in recorded.items() if s not in store.pruned()}
    if missing:
        store.record_pruned(missing)
        notes.append(f"recorded pruned snapshots {sorted(missing)} in pruned.json")
    for sequence in sorted(store.pruned()):
        folder = store.seq_dir(sequence)
        if folder.exists() and sequence in recorded:
            shutil.rmtree(folder)
            notes.append(f"finished deleting pruned snapshot {sequence}")
    return notes


def _prove(store: SnapshotStore, body: Manifest, data: bytes, signature: bytes, trust: TrustChain) -> None:
    """Before anything is recorded: the checks verify will run on the new snapshot. Its signature
    verifies with the committed keys and is by a key its trust version lets sign its gate, and
    every object it names holds the input it describes (never sign a head that every later
    promotion would refuse)."""
    from artigov.promote._verify import Signed, check_objects, check_signature
    from artigov.promote.errors import VerificationError

    sequence = body.sequence
    try:
        check_signature(store.keys, Signed(data, signature), body, sequence, trust)
        check_objects(store.objects, body, sequence)
    except VerificationError as e:
        raise PromotionError(
            f"snapshot {sequence} would not verify ({e.code} {e.problem}); nothing was recorded", fix=e.fix
        ) from None


def _commit(
    store: SnapshotStore, head: Head | None, manifest: Manifest, batch: list[dict[str, Any]], trust: TrustChain
) -> Committed:
    """:meth:`SnapshotStore.commit`."""
    dlog = DecisionLog(store.decisions_path)
    state = dlog.state()
    lines = seal_lines(batch, state.head)
    pinned = manifest.pinning(
        {
            "from": {"head": state.head, "lines": state.lines},
            "head": digest_bytes(lines[-1]),
            "lines": state.lines + len(lines),
        }
    )
    data = pinned.to_bytes()
    signature = sign_detached(data, pinned.signer, store.ws.signing.gnupghome)
    store.ensure_record_files()
    publish_public_key(store.ws, pinned.signer)
    _prove(store, pinned, data, signature, trust)
    store.write_tmp(pinned.sequence, data, signature)
    try:
        dlog.append(lines, state)
    except BaseException:
        shutil.rmtree(store.tmp_dir(pinned.sequence), ignore_errors=True)  # never recorded: provably unfinished
        raise
    fault_point("after-decisions")
    new_head = (head or Head(0, "", {})).with_gate(pinned.gate, pinned.sequence, digest_bytes(data))
    _put_in_place(store, new_head)
    return Committed(pinned.sequence, new_head.digest, new_head)


def _put_in_place(store: SnapshotStore, head: Head) -> None:
    """After the commit point (the decisions recorded): HEAD moved to ``head``, the snapshot published.

    Raises:
        PromotionError: the disk refused (the next command finishes it first).
    """
    try:
        fault_point("before-head-move")
        store.move_head(head)
        fault_point("before-publish")
        store.publish(head.sequence)
    except (OSError, DiskError) as e:
        why = e.strerror if isinstance(e, OSError) else e.message
        raise PromotionError(
            f"snapshot {head.sequence} is recorded in the decision log but could not be put in place ({why or e})",
            fix="free the disk and run the command again (or `artigov repair-head`): it finishes the snapshot first",
        ) from e
