"""``migrate-record`` (old local layout -> committed record; settings -> trust version 1) and ``repair-head``.

A record without a trust version gets version 1 first, made from the settings that were the root of
trust before (``signing.key`` as the root key, ``signing.trusted`` as signers of every gate, the
contracts' ``people:`` as approval keys: :func:`.trustops.settings_document`), signed by
``signing.key``: every snapshot and approval signed before then is checked against it.

The old layout kept everything under the git-ignored ``state_dir``::

    state_dir/objects/sha256/ab/cdef…
    state_dir/snapshots/<framework>/{HEAD, HEAD.log, pruned.json, 000001/manifest.json(.asc)}

Every run also adds to ``.gitattributes`` (the workspace's and the record's) the lines that keep the
record, the artifacts and the index byte-exact (``-text``), so a clone with ``core.autocrlf=true``
verifies (:func:`artigov.core.ensure_byte_exact`).

Migration verifies every framework's chain there first (manifest digests, parents, trusted
signatures, objects), copies it into the record, writes HEAD (with its gate list) and a decision
log that records each migrated snapshot, verifies the result with the normal ``verify``, and only
then removes the old folders. Anything failing leaves the old layout untouched.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artigov.core import (
    DEFAULT_LOCK_TIMEOUT,
    MANIFEST_NAME,
    SIGNATURE_NAME,
    ActorLookup,
    FileLock,
    Workspace,
    digest_bytes,
    ensure_byte_exact,
    get_logger,
    load_trust,
    publish_public_key,
    sequence_name,
    write_atomic,
)
from artigov.promote._decisions import Decider, DecisionLog
from artigov.promote._manifest import Manifest, ManifestError
from artigov.promote._options import VerifyOptions
from artigov.promote._store import (
    Head,
    ObjectStore,
    SnapshotStore,
    check_framework_name,
)
from artigov.promote._trustops import TrustResult, has_trust, trust_init
from artigov.promote._verify import Signed, check_signature, verify_in, verify_snapshot
from artigov.promote.errors import PromotionError, VerificationError

__all__ = ["HeadRepair", "Migration", "migrate_record", "repair_head"]

log = get_logger(__name__)


@dataclass
class Migration:
    """What ``migrate-record`` moved: snapshots per framework, objects, and what it made."""

    frameworks: dict[str, int] = field(default_factory=dict)
    objects: int = 0
    #: Trust version 1, when the migration made it.
    trust: TrustResult | None = None
    #: The .gitattributes files that got the lines keeping the record and artifacts byte-exact.
    attributes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """What was moved and made, as JSON values."""
        return {
            "ok": True,
            "frameworks": self.frameworks,
            "objects": self.objects,
            "trust": self.trust.to_dict() if self.trust else None,
            "attributes": self.attributes,
        }


def _old_snapshot(ws: Workspace, fw_dir: Path, seq: int, expected: str, objects: ObjectStore) -> bytes:
    """Old snapshot ``seq``'s manifest bytes, proved: complete, hashing to ``expected``, signed by a
    trusted key, every object it names intact.

    Raises:
        PromotionError: naming the framework, the snapshot and what is wrong; nothing was moved.
    """
    name = fw_dir.name
    folder = fw_dir / sequence_name(seq)
    try:
        data = (folder / MANIFEST_NAME).read_bytes()
        signature = (folder / SIGNATURE_NAME).read_bytes()
    except OSError:
        raise PromotionError(f"{name}: snapshot {seq} is incomplete in the old layout; nothing was moved") from None
    if digest_bytes(data) != expected:
        raise PromotionError(f"{name}: snapshot {seq} does not hash to the digest that names it; nothing was moved")
    manifest = _old_manifest(name, seq, data)
    check_signature(SnapshotStore(ws, name).keys, Signed(data, signature), manifest, seq, load_trust(ws))
    for item in manifest.inputs:
        for obj in item.objects:
            if objects.check(obj) is not None:
                raise PromotionError(f"{name}: snapshot {seq}: object {obj} is missing or corrupt")
    return data


def _old_manifest(name: str, seq: int, data: bytes) -> Manifest:
    """Old snapshot ``seq``'s manifest read through its type (format 1 included).

    Raises:
        PromotionError: it is not a valid manifest; nothing was moved.
    """
    try:
        return Manifest.from_bytes(data)
    except ManifestError as e:
        raise PromotionError(f"{name}: snapshot {seq}: {e.problem}; nothing was moved") from None


def _old_chain(ws: Workspace, fw_dir: Path) -> tuple[dict[int, bytes], dict[int, str]]:
    """Verify an old-layout framework folder; return its chain (sequence -> manifest bytes) and pruned map."""
    name = fw_dir.name
    try:
        head = Head.from_bytes((fw_dir / "HEAD").read_bytes())
    except (OSError, ValueError) as e:
        raise PromotionError(f"{ws.rel(fw_dir)}/HEAD is missing or unreadable ({e}); nothing was moved") from None
    seq, digest = head.sequence, head.digest
    pruned: dict[int, str] = {}
    if (fw_dir / "pruned.json").is_file():
        pruned = {int(k): str(v) for k, v in json.loads((fw_dir / "pruned.json").read_bytes()).items()}
    chain: dict[int, bytes] = {}
    expected: str | None = digest
    objects = ObjectStore(ws, ws.state_dir / "objects")
    while seq >= 1 and expected is not None:
        if seq in pruned:
            if pruned[seq] != expected:
                raise PromotionError(f"{name}: pruned snapshot {seq} does not match its child's parent digest")
            break
        data = _old_snapshot(ws, fw_dir, seq, expected, objects)
        chain[seq] = data
        expected = _old_manifest(name, seq, data).parent
        seq -= 1
    return chain, pruned


def _move_framework(
    ws: Workspace, source: Path, old_chain: tuple[dict[int, bytes], dict[int, str]], who: str, timeout: float
) -> None:
    """Copy one framework's old snapshots (``source``, the folder named after it) into the record,
    record them as migrated, write its HEAD; ``old_chain``: its manifests' bytes by sequence, and
    the sequences retention had pruned."""
    name, (chain, pruned) = source.name, old_chain
    store = SnapshotStore(ws, name)
    with FileLock(store.lock_path, timeout):
        store.ensure_record_files()
        gates: Head = Head(0, "", {})
        for seq in sorted(chain):
            src = source / sequence_name(seq)
            for fname in (MANIFEST_NAME, SIGNATURE_NAME):
                write_atomic(store.seq_dir(seq) / fname, (src / fname).read_bytes(), lock=False, mode=0o444)
            manifest = _old_manifest(name, seq, chain[seq])
            gates = gates.with_gate(manifest.gate, seq, digest_bytes(chain[seq]))
            publish_public_key(ws, manifest.signer)
        if pruned:
            store.record_pruned(pruned)
        manifests = {seq: _old_manifest(name, seq, chain[seq]) for seq in sorted(chain)}
        batch = [
            Decider(m.created_at, who, name, seq).event(
                "snapshot_migrated",
                f"{name}#{seq}",
                "migrated",
                gate=m.gate,
                digest=digest_bytes(chain[seq]),
                source=ws.rel(source),
            )
            for seq, m in manifests.items()
        ]
        DecisionLog(store.decisions_path).append_batch(batch)
        store.move_head(gates)


def _move_objects(ws: Workspace, old_objects: Path) -> int:
    """Copy the old object store into the record (add-only); how many objects were new."""
    moved = 0
    if old_objects.is_dir():
        for path in sorted(old_objects.rglob("*")):
            if path.is_file():
                target = ws.record_dir / path.relative_to(ws.state_dir)
                if not target.exists():
                    write_atomic(target, path.read_bytes(), lock=False, mode=0o444)
                    moved += 1
    return moved


def _old_chains(ws: Workspace, fw_dirs: list[Path]) -> dict[str, tuple[dict[int, bytes], dict[int, str]]]:
    """Each old framework folder's verified chain, by name, before anything moves.

    Raises:
        PromotionError: the framework is in the record already, or its old chain is broken.
    """
    chains = {}
    for fw_dir in fw_dirs:
        check_framework_name(fw_dir.name)
        if (ws.record_dir / fw_dir.name).exists():
            raise PromotionError(
                f"{ws.rel(ws.record_dir / fw_dir.name)} already exists; nothing was moved",
                fix="migrate into an empty record (move that folder aside first)",
            )
        chains[fw_dir.name] = _old_chain(ws, fw_dir)
    return chains


def _retire_old_layout(ws: Workspace, folders: list[Path], frameworks: list[str]) -> None:
    """Set the old layout's ``folders`` aside (so the normal checks no longer see them), verify the
    migrated ``frameworks`` in the record, and only then delete the old; a failure puts everything
    back as it was.

    Raises:
        VerificationError: a migrated framework does not verify (nothing is left migrated).
    """
    aside = [(d, d.with_name(d.name + ".premigration")) for d in folders]
    for src, dst in aside:
        src.replace(dst)
    try:
        for name in frameworks:
            verify_snapshot(ws, name)  # after: the normal verification, on the new layout
    except VerificationError:
        for name in frameworks:
            shutil.rmtree(ws.record_dir / name, ignore_errors=True)
        for src, dst in aside:
            dst.replace(src)
        raise
    for _, dst in aside:
        shutil.rmtree(dst)


def _first_trust_version(ws: Workspace, frameworks: list[str]) -> TrustResult:
    """Trust version 1, made from the settings and signed.

    Raises:
        PromotionError: it was proposed but not signed (nothing else is migrated).
    """
    made = trust_init(ws, frameworks=frameworks)
    if made.state != "accepted":
        raise PromotionError(
            f"trust version 1 is proposed in {made.folder} but not signed "
            f"({'; '.join(made.missing)}); nothing else was migrated",
            fix="sign it where the root key is (artigov trust sign), then run migrate-record again",
        )
    return made


def migrate_record(ws: Workspace, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Migration:
    """Make trust version 1 from the settings if the record has none, and move snapshots and objects
    from ``state_dir`` into the committed record, verifying before and after.

    Raises:
        PromotionError: nothing to migrate, a framework already in the record, a broken old chain.
        TrustError: version 1 cannot be made or signed (no ``signing.key``, no secret key).
    """
    old = ws.state_dir / "snapshots"
    old_objects = ws.state_dir / "objects"
    result = Migration()
    fw_dirs = sorted(p for p in old.iterdir() if p.is_dir()) if old.is_dir() else []
    result.attributes = ensure_byte_exact(ws)
    result.trust = None if has_trust(ws) else _first_trust_version(ws, [p.name for p in fw_dirs])
    if not fw_dirs:
        if result.trust is not None or result.attributes:
            return result
        raise PromotionError(
            f"nothing to migrate: {ws.rel(old)} holds no snapshots, the record has a trust version and "
            ".gitattributes keeps it byte-exact",
            exit_code=2,
        )
    chains = _old_chains(ws, fw_dirs)
    who = ActorLookup(ws.root).result()
    for name, old_chain in chains.items():
        _move_framework(ws, old / name, old_chain, who, lock_timeout)
        result.frameworks[name] = len(old_chain[0])
    result.objects = _move_objects(ws, old_objects)
    _retire_old_layout(ws, [d for d in (old, old_objects) if d.exists()], list(chains))
    log.info(
        "record_migrated",
        audit=True,
        subject=ws.rel(ws.record_dir),
        outcome="migrated",
        frameworks=result.frameworks,
        objects=result.objects,
    )
    return result


@dataclass(frozen=True)
class HeadRepair:
    """What ``repair-head`` did: the snapshot HEAD names now, and a note saying how it got there."""

    framework: str
    head: int
    note: str

    def to_dict(self) -> dict[str, Any]:
        """``repair-head --format json``'s fields."""
        return {"ok": True, "framework": self.framework, "head": self.head, "note": self.note}


def repair_head(ws: Workspace, framework: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> HeadRepair:
    """Re-derive HEAD from the newest snapshot that verifies with its whole chain."""
    store = SnapshotStore.open(ws, framework)
    with store.writing(lock_timeout) as notes:
        if notes:
            with contextlib.suppress(VerificationError):
                v = verify_in(store)
                return HeadRepair(framework, v.sequence, "; ".join(notes))
        try:
            current = store.head()
        except VerificationError:
            current = None
        if current is not None:
            try:
                v = verify_in(store)
                note = f"HEAD already names snapshot {v.sequence}, which verifies: nothing to repair"
                return HeadRepair(framework, v.sequence, note)
            except VerificationError:
                pass
        problems = []
        for seq in sorted(store.sequences(), reverse=True):
            try:
                candidate = _derived_head(store, seq)
                verify_in(store, options=VerifyOptions(head=candidate))
            except VerificationError as e:
                problems.append(f"{seq}: {e.code}")
                continue
            store.move_head(candidate)
            log.info("head_repaired", audit=True, framework=framework, subject=f"{framework}#{seq}", outcome="repaired")
            skipped = f" (newer ones did not verify: {', '.join(problems)})" if problems else ""
            return HeadRepair(
                framework, seq, f"HEAD now names snapshot {seq}, the newest whose chain verifies{skipped}"
            )
    raise PromotionError(
        _no_head(ws, store, problems), fix=f"restore the record from git (git checkout -- {ws.rel(store.dir)})"
    )


def _no_head(ws: Workspace, store: SnapshotStore, problems: list[str]) -> str:
    """Why no snapshot can be the head: naming the newest that would verify but for newer broken
    ones (HEAD never names it while they stand: a replay), and what each newer one fails with."""
    for seq in sorted(store.sequences(), reverse=True):
        try:
            verify_in(store, options=VerifyOptions(head=_derived_head(store, seq), ignore_newer=True))
        except VerificationError:
            continue
        newer = [p for p in problems if int(p.split(":", 1)[0]) > seq and "V007" not in p]
        return (
            f"snapshot {seq} verifies with its chain, but newer snapshots that do not are in the record "
            f"({', '.join(newer) or 'recorded in the decision log'}); HEAD was not written: it cannot name {seq} "
            "while they stand (a replay)"
        )
    found = ", ".join(problems) or "none found"
    return f"no snapshot of {store.framework!r} verifies with its chain ({found}); HEAD was not written"


def _derived_head(store: SnapshotStore, sequence: int) -> Head:
    head = Head(0, "", {})
    pruned = store.pruned()
    first = max([s for s in pruned if s < sequence], default=0) + 1
    for seq in range(first, sequence + 1):
        head = head.with_gate(store.manifest(seq).gate, seq, digest_bytes(store.manifest_bytes(seq)))
    return head
