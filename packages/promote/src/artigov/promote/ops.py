"""Promote, roll back, prune, evaluate triggers, list history.

``promote`` is an ordered sequence; each step must pass before the next, and nothing enters the
record until the gate passed, the inputs were stored and the manifest was signed:

1. refuse a signing key that is not in ``signing.trusted`` (its snapshot would never verify);
2. recover and verify the index (drift refuses the promotion);
3. check the contract gate (a failing gate promotes nothing);
4. hydrate the gate's inputs deterministically; refuse uncommitted inputs unless ``allow_dirty``;
5. under the framework lock: finish or discard an interrupted promotion (:mod:`.record`), verify
   the current head (a tampered, replayed or forked history refuses);
6. store every input's bytes in the object store (``after-objects``);
7. sign the manifest, record the decisions, publish the snapshot, move HEAD (:func:`.record.commit_snapshot`).

Every snapshot's decisions (gate result, every hydration candidate, inputs and approvers, signer,
git commit) go to the framework's committed decision log; the local operational log gets a summary.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from artigov.contract.approvals import all_statements, valid_approvals
from artigov.contract.check import check_contract
from artigov.contract.model import load_contract
from artigov.core.atomic import FileLock
from artigov.core.audit import ActorLookup
from artigov.core.canonical import digest_bytes, digest_file
from artigov.core.clock import iso, stamp_now
from artigov.core.errors import ArtigovError, PathEscapeError
from artigov.core.events import get_logger
from artigov.core.faults import fault_point, fs_step
from artigov.core.workspace import Workspace, resolve_inside
from artigov.hydrate.hydrate import Decision, hydrate
from artigov.index import ops as index_ops
from artigov.promote.decisions import DecisionLog
from artigov.promote.errors import GateFailedError, PromotionError, VerificationError
from artigov.promote.gitstate import GitState, commit_record, git_state
from artigov.promote.record import commit_snapshot, decision_event, recover
from artigov.promote.restore import finish_restore, recover_restore, restore_files
from artigov.promote.store import Head, ObjectStore, SnapshotStore, check_framework_name, refuse_old_layout
from artigov.promote.verify import Verified, verify_snapshot
from artigov.schema.discovery import unsafe_artifact_path

__all__ = ["Promotion", "TriggerReport", "history", "promote", "prune", "rollback", "triggers"]

log = get_logger(__name__)

MANIFEST_FORMAT = 2
#: Verification codes that mean the history itself is in question (not just the head's content).
_BROKEN_HISTORY = frozenset({"V002", "V005", "V006", "V007", "V019", "V020"})


@dataclass(frozen=True)
class Promotion:
    framework: str
    gate: str
    sequence: int
    digest: str
    signer: str
    inputs: int
    rollback_of: int | None = None
    commit: str | None = None
    record_commit: str | None = None


def _tool_version() -> str:
    try:
        return version("artigov-promote")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def _signing_key(ws: Workspace, key: str | None) -> str:
    chosen = (key or ws.signing.key or "").upper()
    if not chosen:
        raise PromotionError(
            "no signing key: pass --key FINGERPRINT or set signing.key in artigov.yaml",
            fix="list keys with `gpg --list-secret-keys --with-colons`",
        )
    if chosen not in ws.signing.trusted:
        raise PromotionError(
            f"refusing to sign with {chosen}: it is not in signing.trusted, so its snapshot would never verify",
            fix="sign with a trusted key (--key), or add this fingerprint to signing.trusted in artigov.yaml "
            "through a reviewed change",
        )
    return chosen


def _open_store(ws: Workspace, framework: str) -> SnapshotStore:
    check_framework_name(framework)
    refuse_old_layout(ws)
    return SnapshotStore(ws, framework)


def _verified_head(ws: Workspace, store: SnapshotStore) -> Verified | None:
    """The verified current head, or None for a framework with no record at all."""
    if store.head() is None:
        if store.sequences() or DecisionLog(store.decisions_path).recorded():
            raise PromotionError(
                f"{ws.rel(store.head_path)} is missing but {store.framework!r} has recorded snapshots; "
                "nothing was written",
                fix=f"restore it from git, or run `artigov repair-head --framework {store.framework}`",
            )
        return None
    return verify_snapshot(ws, store.framework)


def _store_inputs(ws: Workspace, inputs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store each input's bytes, read ONCE: those very bytes are validated, compared with the plan
    (an input edited since it was indexed is refused), stored, and named by the manifest."""
    from artigov.schema.errors import ArtifactLoadError
    from artigov.schema.loader import load_frontmatter_artifact, load_sidecar_artifact, read_source
    from artigov.schema.validator import SchemaSet

    objects = ObjectStore(ws)
    schemas = SchemaSet(ws.kind_schemas_dir)
    out = []
    for item in inputs:
        rel = str(item["path"])
        planned = {k: item[k] for k in ("id", "version", "status")}
        data = meta = b""
        try:
            if item.get("meta"):  # the content, of any size, is streamed into the store once
                meta = read_source(ws.root, item["meta"], sidecar=True)
                stored = objects.put_file(ws.root / rel)
                artifact = load_sidecar_artifact(ws.root, rel, item["meta"], meta_data=meta, described=stored)
            else:  # at most 16 MiB (the loader's limit): read once, into memory
                data = read_source(ws.root, rel)
                artifact = load_frontmatter_artifact(ws.root, rel, data=data)
            same = not schemas.check(artifact) and artifact.checksum == item["checksum"]
            same = same and {k: artifact.metadata.get(k) for k in planned} == planned
        except ArtifactLoadError:
            same = False
        if not same:
            raise PromotionError(
                f"{rel} changed while it was being promoted (it no longer is the {planned['status']} "
                f"{planned['id']}@{planned['version']} with {item['checksum']} the plan selected); "
                "nothing was recorded",
                fix="let the edit finish, run `artigov index update`, and promote again",
            )
        entry = {k: item[k] for k in ("kind", "path", "id", "version", "status", "checksum")}
        entry["object"] = artifact.checksum if item.get("meta") else objects.put(data)
        if item.get("meta"):
            entry["meta"] = item["meta"]
            entry["meta_object"] = objects.put(meta)
        out.append(entry)
    fault_point("after-objects")
    return out


def _input_approvals(
    ws: Workspace, framework: str, inputs: Sequence[dict[str, Any]], entries: dict[str, dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Each approved input's approvals as the manifest records them: approver, role, key, time,
    and the statement's path and digest (the gate has checked them)."""
    out = {}
    for item in inputs:
        entry = entries.get(str(item["path"]))
        if entry is not None and item["status"] == "approved":
            found = valid_approvals(ws, framework, entry)
            out[str(item["path"])] = [{k: v for k, v in s.summary().items() if k != "decision"} for s in found]
    return out


def _approval_events(
    ws: Workspace, store: SnapshotStore, framework: str, ts: str, actor: str, sequence: int
) -> list[dict[str, Any]]:
    """An ``approval_recorded`` event for every statement of the framework the log does not hold yet
    (reviews, approvals and rejections alike): they enter the committed log with the next snapshot,
    since an append on a branch would make every two approving branches conflict."""
    seen = {
        e["data"].get("digest")
        for e in DecisionLog(store.decisions_path).events(b"approval_recorded")
        if e.get("event") == "approval_recorded" and isinstance(e.get("data"), dict)
    }
    events = []
    for st in all_statements(ws, framework):
        if st.digest in seen:
            continue
        body = st.body
        events.append(
            decision_event(
                ts,
                actor,
                framework,
                "approval_recorded",
                str(body.get("path", st.rel)),
                st.decision or "unknown",
                sequence=sequence,
                id=body.get("id"),
                version=body.get("version"),
                checksum=body.get("checksum"),
                signed=st.signature is not None,
                comment=body.get("comment") or None,
                **{k: v for k, v in st.summary().items() if k != "decision"},
            )
        )
    return events


def _candidate_events(
    ts: str, actor: str, framework: str, gate: str, sequence: int, decisions: Sequence[Decision]
) -> list[dict[str, Any]]:
    names = {"won": "candidate_selected", "lost": "candidate_lost", "rejected": "candidate_rejected"}
    return [
        decision_event(
            ts,
            actor,
            framework,
            names[d.outcome],
            d.path,
            d.outcome,
            sequence=sequence,
            stage=gate,
            kind=d.kind,
            rank_key=d.key,
            lost_to=d.lost_to,
            rule=d.rule,
            reason=d.reason or None,
        )
        for d in decisions
    ]


def _git_fields(git: GitState, allow_dirty: bool) -> dict[str, Any]:
    return {
        "commit": git.commit,
        "inputs_committed": git.inputs_committed,
        "allow_dirty": allow_dirty,
        "dirty": list(git.dirty),
    }


def _input_paths(inputs: Sequence[dict[str, Any]]) -> list[str]:
    return sorted({p for i in inputs for p in (i.get("path"), i.get("meta")) if p})


def _commit_paths(
    ws: Workspace, store: SnapshotStore, signer: str, inputs: Sequence[dict[str, Any]], restored: Sequence[str] = ()
) -> list[str]:
    """Exactly what this command wrote: never stage anything else (a tampered object stays out)."""
    objects = ObjectStore(ws)
    paths = [ws.rel(store.dir), ws.rel(ws.keys_dir / f"{signer}.asc")]
    paths += [ws.rel(ws.record_dir / n) for n in (".gitattributes", ".gitignore")]
    paths += [ws.rel(objects.path_for(i[k])) for i in inputs for k in ("object", "meta_object") if k in i]
    for item in inputs:
        for approval in item.get("approvals", []):
            paths += [approval["statement"], approval["statement"] + ".asc"]
            if approval.get("fingerprint"):
                paths.append(ws.rel(ws.keys_dir / f"{approval['fingerprint']}.asc"))
    paths += [ws.rel(ws.index_path), *restored]
    return sorted({p for p in paths if (ws.root / p).exists()})


def promote(
    ws: Workspace,
    framework: str,
    gate: str,
    *,
    key: str | None = None,
    expires_days: int | None = None,
    allow_dirty: bool = False,
    commit: bool = False,
    lock_timeout: float = 30.0,
) -> Promotion:
    """Promote ``framework`` at ``gate`` as a new signed snapshot (see the module doc for the steps).

    Raises:
        PromotionError: untrusted key, index drift, uncommitted inputs, or a broken history.
        GateFailedError: the gate's contract check failed.
        VerificationError: the current head does not verify.
    """
    store = _open_store(ws, framework)
    signer = _signing_key(ws, key)
    with FileLock(store.lock_path, lock_timeout):
        recover_restore(ws, framework)  # an interrupted rollback's files first: the index must see them
    drift = index_ops.verify(ws, lock_timeout=lock_timeout)
    if not drift.ok:
        n = len(drift.added) + len(drift.changed) + len(drift.removed)
        raise PromotionError(
            f"the index differs from the files in {n} path(s); nothing was promoted",
            fix="run `artigov index update` (and review the changes) first",
        )
    report = check_contract(ws, framework, gate)
    if not report.ok:
        log.info(
            "promotion_refused",
            audit=True,
            framework=framework,
            subject=gate,
            outcome="gate_failed",
            findings=len(report.findings),
        )
        raise GateFailedError(gate, report.findings)
    result = hydrate(ws, framework, gate, deterministic=True)
    plan = result.plan
    assert plan is not None
    git = git_state(ws.root, _input_paths(plan.inputs))
    if git.dirty and not allow_dirty:
        shown = ", ".join(git.dirty[:5]) + (f" and {len(git.dirty) - 5} more" if len(git.dirty) > 5 else "")
        raise PromotionError(
            f"{len(git.dirty)} input(s) have uncommitted changes: {shown}; nothing was promoted",
            fix="commit them first (promotion records the git commit), "
            "or pass --allow-dirty (recorded in the manifest)",
        )
    assert result.index is not None
    approvers = {p: e.get("approved_by", []) for p, e in result.index.entries.items()}
    approvals = _input_approvals(ws, framework, plan.inputs, result.index.entries)
    actor = ActorLookup(ws.root)
    with FileLock(store.lock_path, lock_timeout):
        finished = recover(ws, store)
        current = _verified_head(ws, store)
        head = current.head if current else None
        if (
            any(note.startswith("published snapshot") for note in finished)
            and current is not None
            and current.manifest.get("gate") == gate
            and current.manifest.get("plan_digest") == plan.digest
        ):
            # The interrupted run of this very promotion was recorded: it is finished, not made twice.
            return Promotion(framework, gate, current.sequence, current.digest, current.signer, len(plan.inputs))
        sequence = (head.sequence if head else 0) + 1
        inputs = [
            {**i, "approvals": approvals[i["path"]]} if approvals.get(i["path"]) else i
            for i in _store_inputs(ws, plan.inputs)
        ]
        created_at, source = stamp_now()
        body: dict[str, Any] = {
            "format_version": MANIFEST_FORMAT,
            "framework": framework,
            "gate": gate,
            "sequence": sequence,
            "parent": head.digest if head else None,
            "index_digest": plan.index_digest,
            "plan_digest": plan.digest,
            "inputs": inputs,
            "signer": signer,
            "tool_version": _tool_version(),
            "created_at": created_at,
            "created_at_source": source,
            "git": _git_fields(git, allow_dirty),
        }
        if expires_days is not None:
            # From now (the real clock), never from created_at: SOURCE_DATE_EPOCH (often the HEAD
            # commit's time) would give a snapshot that is born expired.
            body["expires"] = iso(int(time.time()) + expires_days * 86400)
        who = actor.result()
        batch = [
            decision_event(
                created_at,
                who,
                framework,
                "gate_checked",
                gate,
                "passed",
                sequence=sequence,
                gate=gate,
                checked=report.checked,
                findings=[f.to_dict() for f in report.findings],
            ),
            *_candidate_events(created_at, who, framework, gate, sequence, result.decisions),
            decision_event(
                created_at,
                who,
                framework,
                "snapshot_promoted",
                f"{framework}#{sequence}",
                "promoted",
                sequence=sequence,
                gate=gate,
                signer=signer,
                plan_digest=plan.digest,
                index_digest=plan.index_digest,
                inputs=[
                    {
                        "path": i["path"],
                        "id": i["id"],
                        "version": i["version"],
                        "status": i["status"],
                        "checksum": i["checksum"],
                        "approved_by": approvers.get(i["path"], []),
                        "approvals": i.get("approvals", []),
                    }
                    for i in inputs
                ],
                **_git_fields(git, allow_dirty),
            ),
            *_approval_events(ws, store, framework, created_at, who, sequence),
        ]
        done = commit_snapshot(ws, store, head, body, batch)
    log.info(
        "snapshot_promoted",
        audit=True,
        framework=framework,
        subject=f"{framework}#{done.sequence}",
        outcome="promoted",
        sequence=done.sequence,
        gate=gate,
        digest=done.digest,
    )
    record_commit = None
    if commit:
        record_commit = commit_record(
            ws.root,
            _commit_paths(ws, store, signer, inputs),
            f"artigov: promote {framework} gate {gate} as snapshot {done.sequence}\n\n"
            f"manifest {done.digest}\nsigned by {signer}\ninputs from commit {git.commit or '(none)'}",
        )
    return Promotion(
        framework, gate, done.sequence, done.digest, signer, len(inputs), commit=git.commit, record_commit=record_commit
    )


def _restore(ws: Workspace, manifest: dict[str, Any]) -> list[Path]:
    """Check every path and object first, then write each file atomically."""
    objects = ObjectStore(ws)
    planned: list[tuple[Path, bytes]] = []
    for item in manifest["inputs"]:
        for path_key, obj_key in (("path", "object"), ("meta", "meta_object")):
            if path_key not in item:
                continue
            rel = str(item[path_key])
            try:
                target = resolve_inside(ws.root, rel, source=f"snapshot {manifest['sequence']}")
            except PathEscapeError as e:
                raise PromotionError(f"refusing to restore {rel!r}: {e.message}; nothing was restored") from None
            why = unsafe_artifact_path(ws, rel)
            if why:
                raise PromotionError(
                    f"refusing to restore {rel!r} from snapshot {manifest['sequence']}: {why}; nothing was restored",
                    fix="a snapshot restores artifacts only: check who signed this manifest (artigov snapshots)",
                )
            data = objects.get(item[obj_key])
            if digest_bytes(data) != item[obj_key]:
                raise VerificationError("V009", f"object of {rel} is corrupt", snapshot=manifest["sequence"])
            planned.append((target, data))
    # One switch: the old tree or the new one, never half (the caller holds the framework lock).
    return restore_files(ws, str(manifest["framework"]), planned)


def _gate_snapshots(store: SnapshotStore, gate: str, below: int) -> list[int]:
    """Sequences of ``gate``'s snapshots before ``below``, newest first."""
    out = []
    for s in sorted((s for s in store.sequences() if s < below), reverse=True):
        with suppress(VerificationError):
            if store.manifest(s).get("gate") == gate:
                out.append(s)
    return out


def rollback(
    ws: Workspace,
    framework: str,
    *,
    reason: str,
    to: int | None = None,
    gate: str | None = None,
    key: str | None = None,
    commit: bool = False,
    extra_decisions: Sequence[dict[str, Any]] = (),
    lock_timeout: float = 30.0,
) -> Promotion:
    """Restore snapshot ``to`` (default: the previous good snapshot of ``gate``, default the head's gate)
    and record it as a NEW signed snapshot of that gate; other gates do not move.

    History stays append-only: the new snapshot's parent is the chain's head and its
    ``rollback_of`` names the restored one; ``reason`` is required and recorded.
    """
    reason = reason.strip()
    if not reason:
        raise PromotionError("a rollback needs a reason", fix='pass --reason "why" (it is recorded and signed)')
    store = _open_store(ws, framework)
    signer = _signing_key(ws, key)
    actor = ActorLookup(ws.root)
    with FileLock(store.lock_path, lock_timeout):
        recover_restore(ws, framework)
        recover(ws, store)
        head = store.head()
        if head is None:
            _verified_head(ws, store)
            raise PromotionError(f"framework {framework!r} has no snapshot to roll back to")
        try:
            verify_snapshot(ws, framework)
        except VerificationError as e:
            if e.code in _BROKEN_HISTORY:
                raise  # a replayed, forked or interrupted history: nothing is written until it is sorted out
            # a head whose objects, signature or log fail is exactly what a rollback is for
        if to is None:
            chosen_gate = gate or str(store.manifest(head.sequence).get("gate"))
            if chosen_gate not in head.gates:
                raise PromotionError(f"gate {chosen_gate!r} of {framework!r} has no snapshot to roll back")
            target = _previous_good(ws, store, chosen_gate, head.gates[chosen_gate].sequence)
        else:
            target = to
        if target > head.sequence or target < 1:
            raise PromotionError(
                f"cannot roll back to snapshot {target}: the head is {head.sequence}",
                fix="pick an earlier snapshot (artigov snapshots)",
            )
        verified = verify_snapshot(ws, framework, target)
        target_gate = str(verified.manifest["gate"])
        if gate is not None and gate != target_gate:
            raise PromotionError(f"snapshot {target} is a {target_gate!r} snapshot, not {gate!r}")
        sequence = head.sequence + 1
        restored = _restore(ws, verified.manifest)
        index_ops.add(ws, restored, lock_timeout=lock_timeout)
        finish_restore(ws, framework)
        restored_rel = [ws.rel(p) for p in restored]
        git = git_state(ws.root, [])
        created_at, source = stamp_now()
        drop = ("expires", "rollback_of", "reason", "decisions", "audit_head", "git")
        body = {k: v for k, v in verified.manifest.items() if k not in drop}
        body.update(
            format_version=MANIFEST_FORMAT,
            sequence=sequence,
            parent=head.digest,
            signer=signer,
            tool_version=_tool_version(),
            created_at=created_at,
            created_at_source=source,
            rollback_of=target,
            reason=reason,
            git=_git_fields(git, True),
        )
        who = actor.result()
        batch = [
            *[{**e, "ts": created_at, "data": {**e.get("data", {}), "sequence": sequence}} for e in extra_decisions],
            decision_event(
                created_at,
                who,
                framework,
                "snapshot_rolled_back",
                f"{framework}#{sequence}",
                "rolled_back",
                sequence=sequence,
                gate=target_gate,
                rollback_of=target,
                reason=reason,
                signer=signer,
                restored=restored_rel,
                commit=git.commit,
            ),
        ]
        done = commit_snapshot(ws, store, head, body, batch)
    log.info(
        "snapshot_rolled_back",
        audit=True,
        framework=framework,
        subject=f"{framework}#{done.sequence}",
        outcome="rolled_back",
        sequence=done.sequence,
        rollback_of=target,
        digest=done.digest,
    )
    record_commit = None
    if commit:
        record_commit = commit_record(
            ws.root,
            _commit_paths(ws, store, signer, body["inputs"], restored_rel),
            f"artigov: roll back {framework} gate {target_gate} to snapshot {target} as snapshot {done.sequence}\n\n"
            f"reason: {reason}\nmanifest {done.digest}\nsigned by {signer}",
        )
    return Promotion(
        framework,
        target_gate,
        done.sequence,
        done.digest,
        signer,
        len(body["inputs"]),
        target,
        git.commit,
        record_commit,
    )


def _previous_good(ws: Workspace, store: SnapshotStore, gate: str, current: int) -> int:
    """The newest snapshot of ``gate`` before ``current`` that verifies."""
    for candidate in _gate_snapshots(store, gate, current):
        try:
            verify_snapshot(ws, store.framework, candidate)
            return candidate
        except VerificationError:
            continue
    raise PromotionError(
        f"no earlier {gate!r} snapshot of {store.framework!r} verifies; nothing to roll back to",
        fix="pass --to N to restore a specific snapshot (artigov snapshots lists them)",
    )


@dataclass
class PruneResult:
    deleted: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    objects_deleted: list[str] = field(default_factory=list)
    applied: bool = False


def prune(
    ws: Workspace, framework: str, *, apply: bool = False, now: float | None = None, lock_timeout: float = 30.0
) -> PruneResult:
    """Apply the contract's retention; dry run unless ``apply``. Never the head, any gate's current
    snapshot, or the snapshot a rollback of a gate would return to."""
    contract = load_contract(ws, framework)
    store = _open_store(ws, framework)
    result = PruneResult(applied=apply)
    with FileLock(store.lock_path, lock_timeout):
        if apply:
            recover(ws, store)
        head = store.head()
        sequences = store.sequences()
        if head is None or not sequences:
            return result
        if apply:
            verify_snapshot(ws, framework)  # prune only a history that verifies
        protected = {head.sequence}
        for gate, gh in head.gates.items():
            protected.add(gh.sequence)
            with suppress(PromotionError):  # no earlier snapshot of the gate verifies: nothing more to protect
                protected.add(_previous_good(ws, store, gate, gh.sequence))
        if contract.keep_last is None and contract.keep_days is None:
            keep = set(sequences)  # no retention configured: keep everything
        else:
            keep = set(protected)
            if contract.keep_last:
                keep |= set(sorted(sequences)[-contract.keep_last :])
            if contract.keep_days is not None:
                current = time.time() if now is None else now
                for s in sequences:
                    created = store.manifest(s).get("created_at", "1970-01-01T00:00:00Z")
                    age_days = (current - datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()) / 86400
                    if age_days <= contract.keep_days:
                        keep.add(s)
        # A kept snapshot's chain must still verify: keep everything from the oldest kept one up.
        oldest_kept = min(keep)
        keep |= {s for s in sequences if s >= oldest_kept}
        result.kept = sorted(s for s in sequences if s in keep)
        result.deleted = sorted(s for s in sequences if s not in keep)
        referenced = {
            obj
            for s in result.kept
            for item in store.manifest(s)["inputs"]
            for obj in (item.get("object"), item.get("meta_object"))
            if obj
        }
        others = _referenced_elsewhere(ws, framework) if result.deleted else set()
        result.objects_deleted = (
            [o for o in ObjectStore(ws).all() if o not in referenced and o not in others] if result.deleted else []
        )
        if not apply or not result.deleted:
            return result
        digests = {s: digest_bytes(store.manifest_bytes(s)) for s in result.deleted}
        created_at, _ = stamp_now()
        who = ActorLookup(ws.root).result()
        batch = [
            decision_event(
                created_at,
                who,
                framework,
                "snapshot_pruned",
                f"{framework}#{s}",
                "deleted",
                sequence=s,
                digest=digests[s],
                retention={"keep_last": contract.keep_last, "keep_days": contract.keep_days},
            )
            for s in result.deleted
        ]
        batch += [
            decision_event(created_at, who, framework, "object_pruned", o, "deleted") for o in result.objects_deleted
        ]
        DecisionLog(store.decisions_path).append_batch(batch)  # the commit point: recover finishes the rest
        fault_point("prune-recorded")
        try:
            store.record_pruned(digests)
            for s in result.deleted:
                fs_step("prune-delete")
                shutil.rmtree(store.seq_dir(s))
            objects = ObjectStore(ws)
            for o in result.objects_deleted:
                fs_step("prune-unlink")
                objects.path_for(o).unlink(missing_ok=True)
        except (OSError, ArtigovError) as e:
            why = e.message if isinstance(e, ArtigovError) else (e.strerror or str(e))
            raise PromotionError(
                f"the prune of snapshots {result.deleted} is recorded but its deletions were interrupted ({why})",
                fix="run any promote, rollback or prune again: it finishes them first",
            ) from e
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


def _referenced_elsewhere(ws: Workspace, framework: str) -> set[str]:
    """Objects referenced by other frameworks' snapshots (never deleted by this one's retention)."""
    out: set[str] = set()
    if not ws.record_dir.is_dir():
        return out
    for fw_dir in ws.record_dir.iterdir():
        if not fw_dir.is_dir() or fw_dir.name in (framework, "keys", "objects") or fw_dir.name.startswith("."):
            continue
        store = SnapshotStore(ws, fw_dir.name)
        for s in store.sequences():
            for item in store.manifest(s).get("inputs", []):
                out.update(o for o in (item.get("object"), item.get("meta_object")) if o)
    return out


@dataclass
class TriggerReport:
    fired: list[dict[str, Any]] = field(default_factory=list)
    rolled_back: Promotion | None = None

    @property
    def ok(self) -> bool:
        return not self.fired


def triggers(
    ws: Workspace, framework: str, *, auto_rollback: bool = False, key: str | None = None, gate: str | None = None
) -> TriggerReport:
    """Evaluate the contract's rollback triggers against the current snapshot of ``gate`` (default:
    the head's gate)."""
    contract = load_contract(ws, framework)
    store = _open_store(ws, framework)
    report = TriggerReport()
    wanted = {t.on: t.action for t in contract.triggers}
    head = store.head()
    target: int | None = None
    if head is not None:
        chosen = gate or None
        if chosen is None:
            with suppress(VerificationError):
                chosen = str(store.manifest(head.sequence).get("gate"))
        if chosen is not None and chosen in head.gates:
            target = head.gates[chosen].sequence
    head_manifest: dict[str, Any] | None = None
    if head is not None or "verify_failed" in wanted:
        try:
            head_manifest = verify_snapshot(ws, framework, target).manifest
        except VerificationError as e:
            if e.code in _KEY_TRUST:  # the signer's key, not the content: re-sign, never roll back
                report.fired.append(_key_trust_problem(e, framework, _gate_of(store, target)))
            elif "verify_failed" in wanted:
                report.fired.append({"on": "verify_failed", "action": wanted["verify_failed"], "detail": str(e)})
    if target is not None and head_manifest is None:
        try:
            head_manifest = store.manifest(target)
        except VerificationError:
            head_manifest = None
    if "checksum_drift" in wanted and head_manifest is not None:
        drifted = []
        for item in head_manifest.get("inputs", []):
            path = ws.root / item["path"]
            if not path.is_file() or digest_file(path) != item.get("object"):
                drifted.append(item["path"])
        if drifted:
            report.fired.append(
                {
                    "on": "checksum_drift",
                    "action": wanted["checksum_drift"],
                    "detail": "changed since the head snapshot: " + ", ".join(drifted),
                }
            )
    if "gate_failed" in wanted and head_manifest is not None:
        gate_report = check_contract(ws, framework, str(head_manifest.get("gate")))
        if not gate_report.ok:
            report.fired.append(
                {
                    "on": "gate_failed",
                    "action": wanted["gate_failed"],
                    "detail": "; ".join(f.message for f in gate_report.findings),
                }
            )
    for t in report.fired:
        log.info(
            "trigger_fired", audit=True, framework=framework, subject=t["on"], outcome=t["action"], detail=t["detail"]
        )
    if auto_rollback and any(t["action"] == "rollback" for t in report.fired):
        who = ActorLookup(ws.root).result()
        fired = [
            decision_event("", who, framework, "trigger_fired", t["on"], t["action"], detail=t["detail"])
            for t in report.fired
        ]
        reason = "trigger: " + "; ".join(f"{t['on']} ({t['detail'][:200]})" for t in report.fired)
        rolled_gate = str(head_manifest.get("gate")) if head_manifest else gate
        if any(t["on"] == "verify_failed" for t in report.fired) or target is None:
            # to the newest snapshot of the gate that verifies
            report.rolled_back = rollback(
                ws, framework, reason=reason, gate=rolled_gate, key=key, extra_decisions=fired
            )
        else:  # restore the current snapshot's files
            report.rolled_back = rollback(ws, framework, reason=reason, to=target, key=key, extra_decisions=fired)
    return report


#: Verification codes about the signer's key (expired, revoked), not about the signed content.
_KEY_TRUST = {"V012": ("signer_key_expired", "re-sign"), "V013": ("signer_key_revoked", "rotate-key")}


def _gate_of(store: SnapshotStore, target: int | None) -> str:
    """The gate of snapshot ``target`` as its manifest says ("GATE" if it cannot be read)."""
    with suppress(VerificationError, OSError, ValueError):
        if target is not None:
            return str(store.manifest(target).get("gate"))
    return "GATE"


def _key_trust_problem(e: VerificationError, framework: str, gate: str) -> dict[str, Any]:
    """A fired entry for a signer key that expired or was revoked: what to do, never a rollback."""
    on, action = _KEY_TRUST[e.code]
    if action == "re-sign":
        how = (
            f"extend the key's expiry (gpg --quick-set-expire FPR 1y) and re-export it to the keys folder, "
            f"or promote again with a current trusted key: artigov promote --framework {framework} --gate {gate} "
            "--key NEWFPR"
        )
    else:
        how = (
            "rotate keys: add a new key to signing.trusted and its public key to the keys folder, then "
            f"artigov promote --framework {framework} --gate {gate} --key NEWFPR"
        )
    return {"on": on, "action": action, "detail": f"{e.message}; the content is unchanged: {how}"}


def history(ws: Workspace, framework: str) -> list[dict[str, Any]]:
    """Every snapshot, oldest first, with its status: current (of its gate), rolled back, superseded or pruned."""
    store = _open_store(ws, framework)
    head = store.head()
    rows: dict[int, dict[str, Any]] = {}
    for s, digest in store.pruned().items():
        rows[s] = {"sequence": s, "digest": digest, "status": "pruned"}
    pruned = store.pruned()
    for s in store.sequences():
        if (head is not None and s > head.sequence) or s in pruned:
            continue  # above the head: not in the chain; pruned: a deletion the next command finishes
        m = store.manifest(s)
        rows[s] = {
            "sequence": s,
            "gate": m.get("gate"),
            "created_at": m.get("created_at"),
            "signer": m.get("signer"),
            "parent": m.get("parent"),
            "rollback_of": m.get("rollback_of"),
            "reason": m.get("reason"),
            "commit": (m.get("git") or {}).get("commit"),
            "inputs": len(m.get("inputs", [])),
            "digest": digest_bytes(store.manifest_bytes(s)),
            "status": "superseded",
        }
    for s, row in rows.items():
        back_to = row.get("rollback_of")
        if back_to:
            for undone in range(back_to + 1, s):
                other = rows.get(undone)
                if other and other["status"] != "pruned" and other.get("gate") == row.get("gate"):
                    other["status"] = "rolled back"
    if head is not None:
        for gh in head.gates.values():
            if gh.sequence in rows:
                rows[gh.sequence]["status"] = "current"
    return [rows[s] for s in sorted(rows)]


def head_of(ws: Workspace, framework: str) -> Head | None:
    return _open_store(ws, framework).head()
