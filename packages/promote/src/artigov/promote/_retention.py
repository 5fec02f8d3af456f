"""Retention: prune snapshots the contract no longer keeps (never a gate's current snapshot or the one its
rollback would return to), recorded in the decision log before anything is deleted.
"""

from __future__ import annotations

import shutil
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from artigov.contract import Contract, load_contract
from artigov.core import (
    DEFAULT_LOCK_TIMEOUT,
    ActorLookup,
    ArtigovError,
    FileLock,
    Workspace,
    digest_bytes,
    fault_point,
    fs_step,
    get_logger,
    stamp_now,
)
from artigov.promote._decisions import Decider, DecisionLog
from artigov.promote._store import Head, SnapshotStore
from artigov.promote._verify import previous_good, verify_in
from artigov.promote.errors import PromotionError

__all__ = ["PruneResult", "prune"]

log = get_logger(__name__)


@dataclass
class PruneResult:
    """What ``prune`` deleted or would delete (snapshots, objects) and kept; ``applied`` when written."""

    deleted: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    objects_deleted: list[str] = field(default_factory=list)
    applied: bool = False

    def to_dict(self) -> dict[str, Any]:
        """What was (or would be) deleted and kept, as JSON values (``prune --format json``)."""
        return {
            "applied": self.applied,
            "deleted": self.deleted,
            "kept": self.kept,
            "objects_deleted": self.objects_deleted,
        }


def _retained(
    store: SnapshotStore, contract: Contract, head: Head, sequences: list[int], now: float | None
) -> set[int]:
    """What the contract's retention keeps: every gate's current snapshot and the one its rollback
    would return to, the last ``keep_last``, and those younger than ``keep_days`` (everything when
    no retention is configured)."""
    if contract.keep_last is None and contract.keep_days is None:
        return set(sequences)
    keep = {head.sequence}
    read = store.read(head=head, every_signature=True)  # once, for every gate's previous good snapshot
    for gate, gh in head.gates.items():
        keep.add(gh.sequence)
        with suppress(PromotionError):  # no earlier snapshot of the gate verifies: nothing more to protect
            keep.add(previous_good(store, read, gate))
    if contract.keep_last:
        keep |= set(sorted(sequences)[-contract.keep_last :])
    if contract.keep_days is not None:
        current = time.time() if now is None else now
        for s in sequences:
            created = store.manifest(s).created_at
            age_days = (current - datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()) / 86400
            if age_days <= contract.keep_days:
                keep.add(s)
    return keep


def prune(
    ws: Workspace,
    framework: str,
    *,
    apply: bool = False,
    now: float | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> PruneResult:
    """Apply the contract's retention; dry run unless ``apply``. Never the head, any gate's current
    snapshot, or the snapshot a rollback of a gate would return to."""
    contract = load_contract(ws, framework)
    store = SnapshotStore.open(ws, framework)
    result = PruneResult(applied=apply)
    with store.writing(lock_timeout) if apply else FileLock(store.lock_path, lock_timeout):
        head = store.head()
        sequences = store.sequences()
        if head is None or not sequences:
            return result
        if apply:
            verify_in(store)  # prune only a history that verifies
        _choose(ws, store, _retained(store, contract, head, sequences, now), sequences, result)
        if not apply or not result.deleted:
            return result
        digests = {s: digest_bytes(store.manifest_bytes(s)) for s in result.deleted}
        batch = _prune_decisions(ws, contract, result, digests)
        DecisionLog(store.decisions_path).append_batch(batch)  # the commit point: recover finishes the rest
        fault_point("prune-recorded")
        _delete(ws, store, result, digests)
        log.info(
            "snapshots_pruned",
            audit=True,
            framework=framework,
            subject=framework,
            outcome="deleted",
            deleted=result.deleted,
            objects=len(result.objects_deleted),
        )
    return result


def _choose(ws: Workspace, store: SnapshotStore, keep: set[int], sequences: list[int], result: PruneResult) -> None:
    """Fill ``result`` with what retention keeps and deletes: every snapshot from the oldest kept one
    up is kept (a kept snapshot's chain must still verify), and the objects only deleted snapshots
    name (never one another framework's snapshot names)."""
    oldest_kept = min(keep)
    keep |= {s for s in sequences if s >= oldest_kept}
    result.kept = sorted(s for s in sequences if s in keep)
    result.deleted = sorted(s for s in sequences if s not in keep)
    referenced = {obj for s in result.kept for item in store.manifest(s).inputs for obj in item.objects}
    if result.deleted:
        others = _referenced_elsewhere(ws, store.framework)
        result.objects_deleted = [o for o in store.objects.all() if o not in referenced and o not in others]


def _prune_decisions(
    ws: Workspace, contract: Contract, result: PruneResult, digests: dict[int, str]
) -> list[dict[str, Any]]:
    """The decisions a prune records: each snapshot deleted (with its digest and the retention that
    chose it), then each object deleted."""
    framework = contract.framework
    decider = Decider(stamp_now()[0], ActorLookup(ws.root).result(), framework)
    retention = {"keep_last": contract.keep_last, "keep_days": contract.keep_days}
    batch = [
        decider.event(
            "snapshot_pruned", f"{framework}#{s}", "deleted", sequence=s, digest=digests[s], retention=retention
        )
        for s in result.deleted
    ]
    return batch + [decider.event("object_pruned", o, "deleted") for o in result.objects_deleted]


def _delete(ws: Workspace, store: SnapshotStore, result: PruneResult, digests: dict[int, str]) -> None:
    """After the commit point: ``pruned.json`` written, the snapshots' folders and the objects deleted.

    Raises:
        PromotionError: interrupted (the next promote, rollback or prune finishes it).
    """
    try:
        store.record_pruned(digests)
        for s in result.deleted:
            fs_step("prune-delete")
            shutil.rmtree(store.seq_dir(s))
        objects = store.objects
        for o in result.objects_deleted:
            fs_step("prune-unlink")
            objects.path_for(o).unlink(missing_ok=True)
    except (OSError, ArtigovError) as e:
        why = e.message if isinstance(e, ArtigovError) else (e.strerror or str(e))
        raise PromotionError(
            f"the prune of snapshots {result.deleted} is recorded but its deletions were interrupted ({why})",
            fix="run any promote, rollback or prune again: it finishes them first",
        ) from e


def _referenced_elsewhere(ws: Workspace, framework: str) -> set[str]:
    """Objects referenced by other frameworks' snapshots (never deleted by this one's retention)."""
    out: set[str] = set()
    from artigov.promote._decisions import record_frameworks

    for name in record_frameworks(ws.record_dir):
        if name == framework:
            continue
        store = SnapshotStore(ws, name)
        for s in store.sequences():
            for item in store.manifest(s).inputs:
                out.update(item.objects)
    return out
