"""Rollback: restore an earlier snapshot's files and record them as a NEW signed snapshot of its gate
(history stays append-only).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artigov.core import (
    ActorLookup,
    PathEscapeError,
    TrustChain,
    Workspace,
    digest_bytes,
    resolve_inside,
    stamp_now,
)
from artigov.index import add as index_add
from artigov.promote._decisions import Decider, DecisionLog
from artigov.promote._gitstate import commit_record, git_state
from artigov.promote._manifest import Manifest
from artigov.promote._options import RollbackOptions
from artigov.promote._promotion import (
    BROKEN_HISTORY,
    Promotion,
    announce,
    authorize_signer,
    git_fields,
    signing_key,
    trust_events,
)
from artigov.promote._store import Committed, Head, SnapshotStore
from artigov.promote._verify import Verified, verify_in
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


def _commit_then_switch(
    store: SnapshotStore,
    snapshot: tuple[Head, Manifest, list[dict[str, Any]], TrustChain],
    restored: list[Path],
    lock_timeout: float,
) -> Committed:
    """Record the rollback snapshot (the commit point), then switch its staged files in and index
    them; a failure before the commit point unstages them, so the tree stays the old one."""
    head, manifest, batch, trust = snapshot
    try:
        done = store.commit(head, manifest, batch, trust)
    except BaseException:
        if manifest.sequence not in DecisionLog(store.decisions_path).recorded():
            store.restore.unstage(restored)  # not recorded: the tree stays the old one
        raise
    store.restore.switch(restored, manifest.sequence)
    index_add(store.ws, restored, lock_timeout=lock_timeout)
    store.restore.finish()
    return done


def _withdrawn(store: SnapshotStore, rolled_back: int, restored: Manifest) -> list[dict[str, Any]]:
    """The versions a rollback withdraws: inputs of the snapshot it replaces that the restored one
    does not hold (by id and version), each with the digests of the approvals it had."""
    kept = {(i.id, i.version) for i in restored.inputs}
    out = []
    for item in store.manifest(rolled_back).inputs:
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


def _gate_snapshots(store: SnapshotStore, gate: str, below: int) -> list[int]:
    """Sequences of ``gate``'s snapshots before ``below``, newest first."""
    out = []
    for s in sorted((s for s in store.sequences() if s < below), reverse=True):
        with suppress(VerificationError):
            if store.manifest(s).gate == gate:
                out.append(s)
    return out


@dataclass
class _RollingBack:
    """One rollback as it goes: what it was asked, and what each step hands to the next."""

    ws: Workspace
    store: SnapshotStore
    signer: str
    reason: str
    actor: ActorLookup
    options: RollbackOptions

    @property
    def framework(self) -> str:
        """The framework rolled back."""
        return self.store.framework


def rollback(ws: Workspace, framework: str, *, reason: str, options: RollbackOptions = _DEFAULTS) -> Promotion:
    """Restore snapshot ``options.to`` (default: the previous good snapshot of ``options.gate``, default
    the head's gate) and record it as a NEW signed snapshot of that gate; other gates do not move.

    History stays append-only: the new snapshot's parent is the chain's head and its
    ``rollback_of`` names the restored one; ``reason`` is required and recorded.
    """
    reason = reason.strip()
    if not reason:
        raise PromotionError("a rollback needs a reason", fix='pass --reason "why" (it is recorded and signed)')
    store = SnapshotStore.open(ws, framework)
    run = _RollingBack(ws, store, signing_key(ws, options.key), reason, ActorLookup(ws.root), options)
    with store.writing(options.lock_timeout):
        head = _head_to_leave(run)
        verified = _snapshot_to_restore(run, head)
        trust = authorize_signer(ws, framework, verified.manifest.gate, run.signer)
        # Staged, not switched in: the files change only once the rollback is recorded (its commit point).
        restored = store.restore.stage(_planned(store, verified.manifest), head.sequence + 1)
        restored_rel = [ws.rel(p) for p in restored]
        manifest, batch = _rollback_snapshot(run, head, verified, trust, restored_rel)
        done = _commit_then_switch(store, (head, manifest, batch, trust), restored, options.lock_timeout)
    announce(framework, done, "snapshot_rolled_back", "rolled_back", rollback_of=verified.sequence)
    return _rolled_back(run, done, manifest, restored_rel)


def _head_to_leave(run: _RollingBack) -> Head:
    """The head a rollback leaves (the record opened for writing): it must exist, and its history
    must hold (a head whose objects, signature or log fail is exactly what a rollback is for).

    Raises:
        PromotionError: no snapshot yet.
        VerificationError: a replayed, forked or interrupted history.
    """
    store, framework = run.store, run.framework
    head = store.head()
    if head is None:
        store.verified_head()
        raise PromotionError(f"framework {framework!r} has no snapshot to roll back to")
    try:
        verify_in(store)
    except VerificationError as e:
        if e.code in BROKEN_HISTORY:
            raise  # a replayed, forked or interrupted history: nothing is written until it is sorted out
    return head


def _snapshot_to_restore(run: _RollingBack, head: Head) -> Verified:
    """Snapshot ``to``, or the previous good snapshot of the gate asked (default the head's), verified.

    Raises:
        PromotionError: no such snapshot, or one of another gate than the one asked.
        VerificationError: it does not verify.
    """
    store, framework, gate, to = run.store, run.framework, run.options.gate, run.options.to
    if to is None:
        chosen_gate = gate or store.manifest(head.sequence).gate
        if chosen_gate not in head.gates:
            raise PromotionError(f"gate {chosen_gate!r} of {framework!r} has no snapshot to roll back")
        to = previous_good(store, chosen_gate, head.gates[chosen_gate].sequence)
    if to > head.sequence or to < 1:
        raise PromotionError(
            f"cannot roll back to snapshot {to}: the head is {head.sequence}",
            fix="pick an earlier snapshot (artigov snapshots)",
        )
    verified = verify_in(store, to)
    if gate is not None and gate != verified.manifest.gate:
        raise PromotionError(f"snapshot {to} is a {verified.manifest.gate!r} snapshot, not {gate!r}")
    return verified


def _rollback_snapshot(
    run: _RollingBack,
    head: Head,
    verified: Verified,
    trust: TrustChain,
    restored: list[str],
) -> tuple[Manifest, list[dict[str, Any]]]:
    """The rollback's manifest (the restored snapshot's inputs, at the head of the chain) and its decisions."""
    target_gate, sequence = verified.manifest.gate, head.sequence + 1
    created_at, source = stamp_now()
    rolled_back = head.gates[target_gate].sequence if target_gate in head.gates else None
    withdrawn = _withdrawn(run.store, rolled_back, verified.manifest) if rolled_back else []
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
    decider = Decider(created_at, run.actor.result(), run.framework, sequence)
    extra = [
        {**e, "ts": created_at, "data": {**e.get("data", {}), "sequence": sequence}}
        for e in run.options.extra_decisions
    ]
    rolled = _rolled_back_event(manifest, decider, withdrawn, restored)
    return manifest, [*trust_events(run.store, decider, trust), *extra, rolled]


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


def _rolled_back(run: _RollingBack, done: Committed, manifest: Manifest, restored: list[str]) -> Promotion:
    """The recorded rollback, after a git commit of exactly what it wrote when ``commit`` asks for one."""
    framework, target, signer = run.framework, manifest.rollback_of, run.signer
    message = (
        f"artigov: roll back {framework} gate {manifest.gate} to snapshot {target} as snapshot {done.sequence}\n\n"
        f"reason: {run.reason}\nmanifest {done.digest}\nsigned by {signer}"
    )
    written = run.store.written(signer, manifest.inputs, restored)
    record_commit = commit_record(run.ws.root, written, message) if run.options.commit else None
    commit_of = manifest.git.get("commit")
    return Promotion(
        framework,
        manifest.gate,
        done.sequence,
        done.digest,
        signer,
        len(manifest.inputs),
        target,
        commit_of,
        record_commit,
    )


def previous_good(store: SnapshotStore, gate: str, current: int) -> int:
    """The newest snapshot of ``gate`` before ``current`` that verifies."""
    for candidate in _gate_snapshots(store, gate, current):
        try:
            verify_in(store, candidate)
            return candidate
        except VerificationError:
            continue
    raise PromotionError(
        f"no earlier {gate!r} snapshot of {store.framework!r} verifies; nothing to roll back to",
        fix="pass --to N to restore a specific snapshot (artigov snapshots lists them)",
    )
