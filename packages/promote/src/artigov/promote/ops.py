"""Promote, roll back, prune, evaluate triggers, list history.

``promote`` is an ordered sequence; each step must pass before the next, and
the head moves last, so a failure anywhere leaves the head on the previous,
complete, signed snapshot:

1. recover and verify the index (drift refuses the promotion);
2. check the contract gate (a failing gate promotes nothing);
3. hydrate the gate's inputs deterministically;
4. verify the current head, if any (a tampered or replayed history refuses);
5. store every input's bytes in the object store (``after-objects``);
6. write the manifest and its signature into a new snapshot folder
   (``after-manifest``, ``after-signature``; ``before-head-move``);
7. move the head pointer atomically; log ``snapshot_promoted``.
"""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from artigov.contract.check import check_contract
from artigov.contract.model import load_contract
from artigov.core.atomic import FileLock, write_atomic
from artigov.core.audit import GENESIS
from artigov.core.canonical import canonical_json, digest_bytes, digest_file
from artigov.core.errors import PathEscapeError
from artigov.core.events import get_logger
from artigov.core.faults import fault_point
from artigov.core.workspace import Workspace, resolve_inside
from artigov.hydrate.hydrate import hydrate
from artigov.index import ops as index_ops
from artigov.promote.errors import GateFailedError, PromotionError, VerificationError
from artigov.promote.keyring import sign_detached
from artigov.promote.store import ObjectStore, SnapshotStore
from artigov.promote.verify import Verified, verify_snapshot

__all__ = ["Promotion", "TriggerReport", "history", "promote", "prune", "rollback", "triggers"]

log = get_logger(__name__)


@dataclass(frozen=True)
class Promotion:
    framework: str
    gate: str
    sequence: int
    digest: str
    signer: str
    inputs: int
    rollback_of: int | None = None


def _tool_version() -> str:
    try:
        return version("artigov-promote")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def _created_at(ws: Workspace) -> tuple[str, str]:
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde and sde.isdigit():
        return _iso(int(sde)), "SOURCE_DATE_EPOCH"
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=ws.root, capture_output=True, text=True, timeout=30, check=False
        )
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return _iso(int(out.stdout.strip())), "git-head"
    except (OSError, subprocess.SubprocessError):
        pass
    return _iso(int(time.time())), "clock"


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _audit_head(ws: Workspace) -> str | None:
    """sha256 of the audit log's last line: the snapshot pins the log up to here."""
    import hashlib

    try:
        data = ws.audit_path.read_bytes()
    except FileNotFoundError:
        return None
    lines = data.splitlines(keepends=True)
    if not lines:
        return None
    last = lines[-1] if lines[-1].endswith(b"\n") else (lines[-2] if len(lines) > 1 else None)
    return "sha256:" + hashlib.sha256(last).hexdigest() if last else GENESIS


def _signing_key(ws: Workspace, key: str | None) -> str:
    chosen = (key or ws.signing.key or "").upper()
    if not chosen:
        raise PromotionError(
            "no signing key: pass --key FINGERPRINT or set signing.key in artigov.yaml",
            fix="list keys with `gpg --list-secret-keys --with-colons`",
        )
    return chosen


def _current_head(ws: Workspace, framework: str) -> Verified | None:
    store = SnapshotStore(ws, framework)
    if store.head() is None:
        return None
    return verify_snapshot(ws, framework)


def _write(ws: Workspace, framework: str, body: dict[str, Any], key: str) -> tuple[int, str]:
    """Sign and write a snapshot and move the head (the caller holds the framework lock)."""
    store = SnapshotStore(ws, framework)
    data = canonical_json(body)
    signature = sign_detached(data, key, ws.signing.gnupghome)
    store.ensure_gitattributes()
    store.write_snapshot(body["sequence"], data, signature)
    fault_point("before-head-move")
    digest = digest_bytes(data)
    store.move_head(body["sequence"], digest)
    return body["sequence"], digest


def _store_inputs(ws: Workspace, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    objects = ObjectStore(ws)
    out = []
    for item in inputs:
        entry = {k: item[k] for k in ("kind", "path", "id", "version", "status", "checksum")}
        entry["object"] = objects.put((ws.root / item["path"]).read_bytes())
        if item.get("meta"):
            entry["meta"] = item["meta"]
            entry["meta_object"] = objects.put((ws.root / item["meta"]).read_bytes())
        out.append(entry)
    fault_point("after-objects")
    return out


def promote(
    ws: Workspace,
    framework: str,
    gate: str,
    *,
    key: str | None = None,
    expires_days: int | None = None,
    lock_timeout: float = 30.0,
) -> Promotion:
    """Promote ``framework`` at ``gate`` as a new signed snapshot (see the module doc for the steps).

    Raises:
        PromotionError: index drift, no signing key, or a stale history.
        GateFailedError: the gate's contract check failed.
        VerificationError: the current head does not verify.
    """
    signer = _signing_key(ws, key)
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
            findings=[f.one_line() for f in report.findings],
        )
        raise GateFailedError(gate, report.findings)
    plan = hydrate(ws, framework, gate, deterministic=True).plan
    assert plan is not None
    store = SnapshotStore(ws, framework)
    with FileLock(store.lock_path, lock_timeout):
        removed = store.remove_stale()
        if removed:
            log.info(
                "stale_snapshot_removed", audit=True, framework=framework, subject=",".join(removed), outcome="removed"
            )
        head = _current_head(ws, framework)
        inputs = _store_inputs(ws, list(plan.inputs))
        created_at, source = _created_at(ws)
        body: dict[str, Any] = {
            "format_version": 1,
            "framework": framework,
            "gate": gate,
            "sequence": (head.head.sequence if head else 0) + 1,
            "parent": head.head.digest if head else None,
            "index_digest": plan.index_digest,
            "plan_digest": plan.digest,
            "inputs": inputs,
            "signer": signer,
            "tool_version": _tool_version(),
            "created_at": created_at,
            "created_at_source": source,
            "audit_head": _audit_head(ws),
        }
        if expires_days is not None:
            base = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
            body["expires"] = (base + timedelta(days=expires_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        sequence, digest = _write(ws, framework, body, signer)
    log.info(
        "snapshot_promoted",
        audit=True,
        framework=framework,
        subject=f"{framework}#{sequence}",
        outcome="promoted",
        sequence=sequence,
        gate=gate,
        digest=digest,
        signer=signer,
        plan_digest=plan.digest,
        inputs={i["path"]: i["checksum"] for i in inputs},
    )
    return Promotion(framework, gate, sequence, digest, signer, len(inputs))


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
                raise PromotionError(f"refusing to restore {rel!r}: {e.message}") from None
            if target.is_symlink():
                raise PromotionError(f"refusing to restore {rel!r}: it is a symlink")
            data = objects.get(item[obj_key])
            if digest_bytes(data) != item[obj_key]:
                raise VerificationError("V009", f"object of {rel} is corrupt", snapshot=manifest["sequence"])
            planned.append((target, data))
    for target, data in planned:
        # The caller holds the framework lock; a per-file lock would leave X.lock files in the user's tree.
        write_atomic(target, data, lock=False)
    return [t for t, _ in planned]


def rollback(
    ws: Workspace, framework: str, *, to: int | None = None, key: str | None = None, lock_timeout: float = 30.0
) -> Promotion:
    """Restore snapshot ``to`` (default: the one before the head) and record it as a NEW signed snapshot.

    History stays append-only: the new snapshot's parent is the current head
    and its ``rollback_of`` names the restored one.
    """
    signer = _signing_key(ws, key)
    store = SnapshotStore(ws, framework)
    with FileLock(store.lock_path, lock_timeout):
        store.remove_stale()
        head = store.head()
        if head is None:
            raise PromotionError(f"framework {framework!r} has no snapshot to roll back to")
        target = to if to is not None else _previous_good(ws, framework, head.sequence)
        if target >= head.sequence + 1 or target < 1:
            raise PromotionError(
                f"cannot roll back to snapshot {target}: the head is {head.sequence}",
                fix="pick an earlier snapshot (artigov snapshots)",
            )
        verified = verify_snapshot(ws, framework, target)
        restored = _restore(ws, verified.manifest)
        index_ops.add(ws, restored, lock_timeout=lock_timeout)
        body = {k: v for k, v in verified.manifest.items() if k not in ("expires", "rollback_of")}
        created_at, source = _created_at(ws)
        body.update(
            sequence=head.sequence + 1,
            parent=head.digest,
            signer=signer,
            tool_version=_tool_version(),
            created_at=created_at,
            created_at_source=source,
            audit_head=_audit_head(ws),
            rollback_of=target,
        )
        sequence, digest = _write(ws, framework, body, signer)
    log.info(
        "snapshot_rolled_back",
        audit=True,
        framework=framework,
        subject=f"{framework}#{sequence}",
        outcome="rolled_back",
        sequence=sequence,
        rollback_of=target,
        digest=digest,
        signer=signer,
        restored=[ws.rel(p) for p in restored],
    )
    return Promotion(framework, str(body["gate"]), sequence, digest, signer, len(body["inputs"]), target)


def _previous_good(ws: Workspace, framework: str, head_sequence: int) -> int:
    """The newest snapshot before the head that verifies."""
    store = SnapshotStore(ws, framework)
    for candidate in sorted((s for s in store.sequences() if s < head_sequence), reverse=True):
        try:
            verify_snapshot(ws, framework, candidate)
            return candidate
        except VerificationError:
            continue
    raise PromotionError(f"no earlier snapshot of {framework!r} verifies; nothing to roll back to")


@dataclass
class PruneResult:
    deleted: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    objects_deleted: list[str] = field(default_factory=list)
    applied: bool = False


def prune(
    ws: Workspace, framework: str, *, apply: bool = False, now: float | None = None, lock_timeout: float = 30.0
) -> PruneResult:
    """Apply the contract's retention; dry run unless ``apply``. Never the head or the previous good snapshot."""
    contract = load_contract(ws, framework)
    store = SnapshotStore(ws, framework)
    result = PruneResult(applied=apply)
    with FileLock(store.lock_path, lock_timeout):
        head = store.head()
        sequences = store.sequences()
        if head is None or not sequences:
            return result
        protected = {head.sequence}
        earlier = [s for s in sequences if s < head.sequence]
        if earlier:
            with suppress(PromotionError):  # no earlier snapshot verifies: nothing more to protect
                protected.add(_previous_good(ws, framework, head.sequence))
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
        result.kept = sorted(s for s in sequences if s in keep)
        result.deleted = sorted(s for s in sequences if s not in keep)
        referenced = {
            obj
            for s in result.kept
            for item in store.manifest(s)["inputs"]
            for obj in (item.get("object"), item.get("meta_object"))
            if obj
        }
        result.objects_deleted = [o for o in ObjectStore(ws).all() if o not in referenced] if result.deleted else []
        if not apply:
            return result
        import shutil

        for s in result.deleted:
            store.record_pruned(s, digest_bytes(store.manifest_bytes(s)))
            shutil.rmtree(store.seq_dir(s))
            log.info(
                "snapshot_pruned",
                audit=True,
                framework=framework,
                subject=f"{framework}#{s}",
                outcome="deleted",
                sequence=s,
            )
        objects = ObjectStore(ws)
        others = _referenced_elsewhere(ws, framework)
        result.objects_deleted = [o for o in result.objects_deleted if o not in others]
        for o in result.objects_deleted:
            objects.path_for(o).unlink(missing_ok=True)
            log.info("object_pruned", audit=True, framework=framework, subject=o, outcome="deleted")
    return result


def _referenced_elsewhere(ws: Workspace, framework: str) -> set[str]:
    """Objects referenced by other frameworks' snapshots (never deleted by this one's retention)."""
    base = ws.state_dir / "snapshots"
    out: set[str] = set()
    if not base.is_dir():
        return out
    for fw_dir in base.iterdir():
        if not fw_dir.is_dir() or fw_dir.name == framework:
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


def triggers(ws: Workspace, framework: str, *, auto_rollback: bool = False, key: str | None = None) -> TriggerReport:
    """Evaluate the contract's rollback triggers against the head snapshot."""
    contract = load_contract(ws, framework)
    report = TriggerReport()
    wanted = {t.on: t.action for t in contract.triggers}
    head_manifest: dict[str, Any] | None = None
    if "verify_failed" in wanted:
        try:
            head_manifest = verify_snapshot(ws, framework).manifest
        except VerificationError as e:
            report.fired.append({"on": "verify_failed", "action": wanted["verify_failed"], "detail": str(e)})
    store = SnapshotStore(ws, framework)
    head = store.head()
    if head is not None and head_manifest is None:
        try:
            head_manifest = store.manifest(head.sequence)
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
        if any(t["on"] == "verify_failed" for t in report.fired) or head is None:
            report.rolled_back = rollback(ws, framework, key=key)  # to the newest snapshot that verifies
        else:
            report.rolled_back = rollback(ws, framework, to=head.sequence, key=key)  # restore the head's files
    return report


def history(ws: Workspace, framework: str) -> list[dict[str, Any]]:
    """Every snapshot, oldest first, with its status: head, rolled back, superseded or pruned."""
    store = SnapshotStore(ws, framework)
    head = store.head()
    rows: dict[int, dict[str, Any]] = {}
    for s, digest in store.pruned().items():
        rows[s] = {"sequence": s, "digest": digest, "status": "pruned"}
    for s in store.sequences():
        if head is not None and s > head.sequence:
            continue
        m = store.manifest(s)
        rows[s] = {
            "sequence": s,
            "gate": m.get("gate"),
            "created_at": m.get("created_at"),
            "signer": m.get("signer"),
            "parent": m.get("parent"),
            "rollback_of": m.get("rollback_of"),
            "inputs": len(m.get("inputs", [])),
            "digest": digest_bytes(store.manifest_bytes(s)),
            "status": "superseded",
        }
    for s, row in rows.items():
        back_to = row.get("rollback_of")
        if back_to:
            for undone in range(back_to + 1, s):
                if undone in rows and rows[undone]["status"] != "pruned":
                    rows[undone]["status"] = "rolled back"
    if head is not None and head.sequence in rows:
        rows[head.sequence]["status"] = "head"
    return [rows[s] for s in sorted(rows)]
