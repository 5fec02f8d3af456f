"""Verifying snapshots: an explicit, ordered sequence of checks, nothing written.

Like a TUF client's refresh, every check runs before anything is persisted,
and a verification that fails leaves no trace but its audit event:

1. the head pointer is readable and names a snapshot (V001, V002, V003);
2. the head manifest's bytes hash to the digest the head pointer records (V004);
3. no newer snapshot exists, nor was ever the head (reflog, audit log): a replayed older head (V007);
4. the manifest is valid against snapshot.schema.json (V016);
5. its signature is good and by a trusted fingerprint, verified in a
   throwaway GNUPGHOME with only the trusted keys (V010-V014);
6. sequence numbers are exactly previous + 1 and each parent digest is the
   digest of the previous manifest (or of a pruned one) (V005, V006);
7. every object of the verified snapshot is there and intact (V008, V009);
8. it has not expired (V015); the audit log still holds the line it pins (V017).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from artigov.core.audit import GENESIS, prefix_intact
from artigov.core.canonical import digest_bytes
from artigov.core.workspace import Workspace
from artigov.promote.errors import VerificationError
from artigov.promote.keyring import verify_detached
from artigov.promote.store import Head, ObjectStore, SnapshotStore

__all__ = ["Verified", "audit_promotions", "verify_snapshot"]


@dataclass(frozen=True)
class Verified:
    framework: str
    sequence: int
    digest: str
    signer: str
    manifest: dict[str, Any]
    head: Head


@lru_cache(maxsize=1)
def _schema() -> Draft202012Validator:
    text = resources.files("artigov.promote").joinpath("schemas/snapshot.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text), format_checker=Draft202012Validator.FORMAT_CHECKER)


def audit_promotions(ws: Workspace, framework: str) -> int:
    """The highest sequence the audit log records as promoted for ``framework`` (0 if none)."""
    best = 0
    try:
        with open(ws.audit_path, "rb") as f:
            for line in f:
                if b'"snapshot_promoted"' not in line and b'"snapshot_rolled_back"' not in line:
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("framework") == framework:
                    best = max(best, int(event.get("data", {}).get("sequence", 0)))
    except FileNotFoundError:
        return 0
    return best


def verify_snapshot(
    ws: Workspace, framework: str, sequence: int | None = None, *, now: float | None = None
) -> Verified:
    """Verify the head (or snapshot ``sequence``) of ``framework``; raise at the first failed check."""
    store = SnapshotStore(ws, framework)
    head = store.head()
    if head is None:
        raise VerificationError(
            "V001",
            f"framework {framework!r} has no snapshot yet",
            fix=f"promote first: artigov promote --framework {framework} --gate <gate>",
        )
    head_bytes = store.manifest_bytes(head.sequence)
    if digest_bytes(head_bytes) != head.digest:
        raise VerificationError(
            "V004",
            f"snapshot {head.sequence}: manifest bytes do not match the digest the head records (altered manifest)",
            snapshot=head.sequence,
            fix="restore the manifest from version control, or roll back",
        )
    newer = [s for s in store.sequences() if s > head.sequence + 1]
    promoted = max(audit_promotions(ws, framework), store.highest_recorded())
    if newer or promoted > head.sequence:
        seen = max([*newer, promoted])
        raise VerificationError(
            "V007",
            f"head is snapshot {head.sequence} but snapshot {seen} exists or was promoted: "
            "an older snapshot was replayed as the head",
            snapshot=head.sequence,
            fix=f"restore HEAD to snapshot {seen}; a rollback must be a new snapshot (artigov rollback)",
        )
    target = head.sequence if sequence is None else sequence
    chain = _verify_chain(store, head, head_bytes)
    if target not in chain:
        if target in store.pruned():
            raise VerificationError("V003", f"snapshot {target} was pruned by retention", snapshot=target)
        raise VerificationError("V003", f"snapshot {target} does not exist (head is {head.sequence})", snapshot=target)
    data = chain[target]
    manifest = json.loads(data)
    errors = sorted(_schema().iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        where = "/".join(map(str, errors[0].absolute_path))
        raise VerificationError(
            "V016", f"snapshot {target}: manifest {where or '(root)'}: {errors[0].message}", snapshot=target
        )
    signer = verify_detached(
        data,
        store.signature_bytes(target),
        ws.signing.trusted,
        source_home=ws.signing.gnupghome,
        keys_dir=ws.root / "keys",
        snapshot=target,
    )
    if signer != manifest["signer"]:
        raise VerificationError(
            "V011",
            f"snapshot {target}: signed by {signer} but the manifest names {manifest['signer']}",
            snapshot=target,
        )
    objects = ObjectStore(ws)
    for item in manifest["inputs"]:
        for key, path_key in (("object", "path"), ("meta_object", "meta")):
            if key not in item:
                continue
            problem = objects.check(item[key])
            if problem == "missing":
                raise VerificationError(
                    "V008",
                    f"snapshot {target}: object {item[key]} of {item[path_key]} is missing",
                    snapshot=target,
                    fix="restore state_dir/objects from a backup",
                )
            if problem:
                raise VerificationError(
                    "V009",
                    f"snapshot {target}: object of {item[path_key]} is corrupt ({problem})",
                    snapshot=target,
                    fix="restore the object from a backup, or roll back",
                )
    expires = manifest.get("expires")
    current = time.time() if now is None else now
    if expires and datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp() < current:
        raise VerificationError(
            "V015",
            f"snapshot {target} expired at {expires}",
            snapshot=target,
            fix="promote again to issue a fresh snapshot",
        )
    audit_head = manifest.get("audit_head")
    if audit_head and audit_head != GENESIS and not prefix_intact(ws.audit_path, audit_head):
        raise VerificationError(
            "V017",
            f"snapshot {target}: the audit log no longer contains the line it pins ({audit_head})",
            snapshot=target,
            fix="the audit log was truncated or edited: run `artigov audit verify` and restore it",
        )
    return Verified(framework, target, digest_bytes(data), signer, manifest, head)


def _verify_chain(store: SnapshotStore, head: Head, head_bytes: bytes) -> dict[int, bytes]:
    """Walk from the head back to the first snapshot, checking sequences and parent digests."""
    chain = {head.sequence: head_bytes}
    pruned = store.pruned()
    sequence, data = head.sequence, head_bytes
    while True:
        manifest = json.loads(data)
        if manifest.get("sequence") != sequence:
            raise VerificationError(
                "V005",
                f"snapshot folder {sequence} holds a manifest with sequence {manifest.get('sequence')!r}",
                snapshot=sequence,
            )
        parent = manifest.get("parent")
        if sequence == 1:
            if parent is not None:
                raise VerificationError("V006", "snapshot 1 names a parent", snapshot=1)
            return chain
        if parent is None:
            raise VerificationError(
                "V006", f"snapshot {sequence} has no parent but is not the first", snapshot=sequence
            )
        previous = sequence - 1
        if previous in pruned:
            if pruned[previous] != parent:
                raise VerificationError(
                    "V006", f"snapshot {sequence}'s parent is not the pruned snapshot {previous}", snapshot=sequence
                )
            return chain
        try:
            prev_bytes = store.manifest_bytes(previous)
        except VerificationError:
            raise VerificationError(
                "V006",
                f"snapshot {previous} (parent of {sequence}) is missing and not recorded as pruned",
                snapshot=sequence,
            ) from None
        if digest_bytes(prev_bytes) != parent:
            raise VerificationError(
                "V006",
                f"snapshot {previous} does not hash to the parent digest snapshot {sequence} records (altered history)",
                snapshot=previous,
            )
        chain[previous] = prev_bytes
        sequence, data = previous, prev_bytes
