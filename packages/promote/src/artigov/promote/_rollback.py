"""Rollback: restore an earlier snapshot's files and record them as a NEW signed snapshot of its gate
(history stays append-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artigov.core import (
    ActorLookup,
    PathEscapeError,
    TrustChain,
    Workspace,
    digest_bytes,
    load_trust,
    resolve_inside,
    stamp_now,
)
from artigov.index import add as index_add
from artigov.promote._decisions import Decider, DecisionLog
from artigov.promote._gitstate import commit_record, git_state
from artigov.promote._manifest import Manifest
from artigov.promote._options import RollbackOptions
from artigov.promote._promotion import (
    Promotion,
    announce,
    authorize_signer,
    git_fields,
    signing_key,
    trust_events,
)
from artigov.promote._store import Committed, Head, RecordRead, SnapshotStore
from artigov.promote._verify import RollbackTarget, Verified, previous_good, rollback_target
from artigov.promote.errors import PromotionError, VerificationError
from artigov.schema import unsafe_artifact_path

__all__ = ["previous_good", "rollback"]

#: A rollback's options when the caller names none.
_DEFAULTS = RollbackOptions()


def _planned(store: SnapshotStore, manifest: Manifest) -> list[tuple[Path, bytes]]:
    """Every file of ``manifest`` to restore, with its bytes: every path and object checked first."""
    ws, objects = store.ws, store.objects
    planned: list[tuple[Path, bytes]] = []
    for item in manifest.inputs:
        for rel, obj in zip(item.paths, item.objects, strict=True):
            try:
                target = resolve_inside(ws.root, rel, source=f"snapshot {manifest.sequence}")
            except PathEscapeError as e:
                raise PromotionError(f"refusing to restore {rel!r}: {e.message}; nothing was restored") from None
            why = unsafe_artifact_path(ws, rel)
            if why:
                raise PromotionError(
                    f"refusing to restore {rel!r} from snapshot {manifest.sequence}: {why}; nothing was restored",
                    fix="a snapshot restores artifacts only: check who signed this manifest (artigov snapshots)",
                )
            data = objects.get(obj)
            if digest_bytes(data) != obj:
                raise VerificationError("V009", f"object of {rel} is corrupt", snapshot=manifest.sequence)
            planned.append((target, data))
    return planned


def _commit_then_switch(run: _RollingBack) -> Committed:
    """Stage the files (the tree changes only once the rollback is recorded), record the rollback
    snapshot (the commit point), then switch the staged files in and index them; a failure before
    the commit point unstages them, so the tree stays the old one."""
    store, manifest, batch = run.store, run.manifest, run.batch
    assert manifest is not None and batch is not None
    restored = store.restore.stage(run.planned, manifest.sequence)
    try:
        done = store.commit(run.head, manifest, batch, run.trust)
    except BaseException:
        if manifest.sequence not in DecisionLog(store.decisions_path).recorded():
            store.restore.unstage(restored)  # not recorded: the tree stays the old one
        raise
    store.restore.switch(restored, manifest.sequence)
    index_add(run.ws, restored, lock_timeout=run.options.lock_timeout)
    store.restore.finish()
    return done


def _withdrawn(read: RecordRead, rolled_back: int, restored: Manifest) -> list[dict[str, Any]]:
    """The versions a rollback withdraws: inputs of the snapshot it replaces that the restored one
    does not hold (by id and version), each with the digests of the approvals it had."""
    kept = {(i.id, i.version) for i in restored.inputs}
    out = []
    for item in read.manifest(rolled_back).inputs:
        if (item.id, item.version) in kept:
            continue
        out.append(
            {
                "id": item.id,
                "version": item.version,
                "path": item.path,
                "checksum": item.checksum,
                "approvals": sorted(a.digest for a in item.approvals),
            }
        )
    return sorted(out, key=lambda w: (w["id"], w["version"]))


@dataclass
class _RollingBack:
    """One rollback, planned: what it was asked, what it restores, and what it records."""

    ws: Workspace
    store: SnapshotStore
    reason: str
    options: RollbackOptions
    signer: str
    head: Head
    verified: Verified
    #: The record as :func:`rollback_target` read it.
    read: RecordRead
    trust: TrustChain
    #: The files to restore with their bytes, every path and object checked.
    planned: list[tuple[Path, bytes]]
    #: The same files, as workspace paths.
    restored: list[str]
    manifest: Manifest | None = None
    batch: list[dict[str, Any]] | None = None

    @property
    def framework(self) -> str:
        """The framework rolled back."""
        return self.store.framework


def rollback(ws: Workspace, framework: str, *, reason: str, options: RollbackOptions = _DEFAULTS) -> Promotion:
    """Restore snapshot ``options.to`` (default: the previous good snapshot of ``options.gate``, default
    the head's gate) and record it as a NEW signed snapshot of that gate; other gates do not move.

    History stays append-only: the new snapshot's parent is the chain's head and its
    ``rollback_of`` names the restored one; ``reason`` is required and recorded. The same calls on
    one store as a promotion: the record opened for writing; the head and the snapshot to restore
    verified (:func:`rollback_target`); the plan; the record (:func:`_commit_then_switch`).
    """
    reason = reason.strip()
    if not reason:
        raise PromotionError("a rollback needs a reason", fix='pass --reason "why" (it is recorded and signed)')
    store = SnapshotStore.open(ws, framework)
    with store.writing(options.lock_timeout):
        read = store.read(every_signature=True)
        run = _plan(ws, store, rollback_target(store, read, options.gate, options.to), reason, options)
        done, manifest = _commit_then_switch(run), run.manifest
        assert manifest is not None
        written = store.written(run.signer, manifest.inputs, run.restored)
    verified = run.verified
    announce(framework, done, "snapshot_rolled_back", "rolled_back", rollback_of=verified.sequence)
    gate = manifest.gate
    message = (
        f"artigov: roll back {framework} gate {gate} to snapshot {verified.sequence} as snapshot {done.sequence}\n\n"
        f"reason: {reason}\nmanifest {done.digest}\nsigned by {run.signer}"
    )
    record_commit = commit_record(ws.root, written, message) if options.commit else None
    commit_of = manifest.git.get("commit")
    n = len(manifest.inputs)
    return Promotion(
        framework, gate, done.sequence, done.digest, run.signer, n, verified.sequence, commit_of, record_commit
    )


def _plan(
    ws: Workspace, store: SnapshotStore, target: RollbackTarget, reason: str, options: RollbackOptions
) -> _RollingBack:
    """The rollback planned: its signer chosen and authorized for the restored snapshot's gate, the
    files to restore checked, its manifest and decisions made.

    Raises:
        PromotionError: no or an untrusted signer, or a path a snapshot may not restore.
    """
    verified = target.verified
    signer = signing_key(ws.signing, options.key)
    trust = authorize_signer(verified.trust or load_trust(ws), store.framework, verified.manifest.gate, signer)
    planned = _planned(store, verified.manifest)
    restored = [ws.rel(p) for p, _ in planned]
    run = _RollingBack(ws, store, reason, options, signer, target.head, verified, target.read, trust, planned, restored)
    run.manifest, run.batch = _rollback_snapshot(run, ActorLookup(ws.root))
    return run


def _rollback_snapshot(run: _RollingBack, actor: ActorLookup) -> tuple[Manifest, list[dict[str, Any]]]:
    """The rollback's manifest (the restored snapshot's inputs, at the head of the chain) and its decisions."""
    head, verified, trust = run.head, run.verified, run.trust
    target_gate, sequence = verified.manifest.gate, head.sequence + 1
    created_at, source = stamp_now()
    rolled_back = head.gates[target_gate].sequence if target_gate in head.gates else None
    withdrawn = _withdrawn(run.read, rolled_back, verified.manifest) if rolled_back else []
    git = git_state(run.ws.root, [])
    manifest = verified.manifest.as_rollback(
        sequence=sequence,
        parent=head.digest,
        signer=run.signer,
        created_at=created_at,
        created_at_source=source,
        trust_version=trust.newest.version,
        rolled_back=rolled_back,
        withdrawn=withdrawn or None,
        rollback_of=verified.sequence,
        reason=run.reason,
        git=git_fields(git, True),
    )
    decider = Decider(created_at, actor.result(), run.framework, sequence)
    extra = [
        {**e, "ts": created_at, "data": {**e.get("data", {}), "sequence": sequence}}
        for e in run.options.extra_decisions
    ]
    rolled = _rolled_back_event(manifest, decider, withdrawn, run.restored)
    return manifest, [*trust_events(DecisionLog(run.store.decisions_path), decider, trust), *extra, rolled]


def _rolled_back_event(
    manifest: Manifest, decider: Decider, withdrawn: list[dict[str, Any]], restored: list[str]
) -> dict[str, Any]:
    """The ``snapshot_rolled_back`` decision: what was restored, what it replaced and withdrew, and why."""
    return decider.event(
        "snapshot_rolled_back",
        f"{manifest.framework}#{manifest.sequence}",
        "rolled_back",
        gate=manifest.gate,
        rollback_of=manifest.rollback_of,
        rolled_back=manifest.rolled_back,
        withdrawn=withdrawn,
        reason=manifest.reason,
        signer=manifest.signer,
        trust_version=manifest.trust_version,
        restored=restored,
        commit=manifest.git.get("commit"),
    )
