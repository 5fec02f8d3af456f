"""Rollback triggers: evaluate the contract's ``rollback_triggers`` against a gate's current snapshot,
and roll back when one fires with ``action: rollback``.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field, fields
from typing import Any

from artigov.contract import check_contract, load_contract
from artigov.core import ActorLookup, Workspace, digest_file, get_logger
from artigov.promote._decisions import Decider
from artigov.promote._manifest import Manifest
from artigov.promote._options import Recording, RollbackOptions, VerifyOptions
from artigov.promote._promotion import Promotion
from artigov.promote._rollback import rollback
from artigov.promote._store import Head, SnapshotStore
from artigov.promote._verify import verify_in
from artigov.promote.errors import VerificationError

__all__ = ["TriggerReport", "triggers"]

log = get_logger(__name__)


@dataclass
class TriggerReport:
    """The triggers that fired, and the rollback made when one asked for it."""

    fired: list[dict[str, Any]] = field(default_factory=list)
    rolled_back: Promotion | None = None

    @property
    def ok(self) -> bool:
        """True when no trigger fired."""
        return not self.fired

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON values: the fired triggers and the rollback's new snapshot (or null)."""
        return {
            "ok": self.ok,
            "fired": self.fired,
            "rolled_back_to_new_snapshot": self.rolled_back.sequence if self.rolled_back else None,
            "rollback": self.rolled_back.to_dict() if self.rolled_back else None,
        }


@dataclass
class _Evaluation:
    """One evaluation of a framework's triggers: the store, the triggers the contract sets
    (``on`` -> ``action``), the head and the snapshot evaluated, and the report being filled."""

    ws: Workspace
    store: SnapshotStore
    wanted: dict[str, str]
    head: Head | None
    target: int | None
    report: TriggerReport = field(default_factory=TriggerReport)

    def fire(self, on: str, detail: str) -> None:
        """Trigger ``on`` fired (with the action the contract gives it)."""
        self.report.fired.append({"on": on, "action": self.wanted[on], "detail": detail})


def triggers(
    ws: Workspace, framework: str, *, gate: str | None = None, auto_rollback: Recording | None = None
) -> TriggerReport:
    """Evaluate the contract's rollback triggers against the current snapshot of ``gate`` (default:
    the head's gate): verify_failed, then checksum_drift, then gate_failed; with ``auto_rollback``
    (how the rollback is recorded: its key, commit and lock timeout), roll back when one fired with
    ``action: rollback``."""
    contract = load_contract(ws, framework)
    store = SnapshotStore.open(ws, framework)
    head = store.head()
    run = _Evaluation(ws, store, {t.on: t.action for t in contract.triggers}, head, _target(store, head, gate))
    report = run.report
    manifest = _verify_failed(run)
    if manifest is not None:
        _checksum_drift(run, manifest)
        _gate_failed(run, manifest)
    for t in report.fired:
        log.info(
            "trigger_fired", audit=True, framework=framework, subject=t["on"], outcome=t["action"], detail=t["detail"]
        )
    if auto_rollback is not None and any(t["action"] == "rollback" for t in report.fired):
        rolled_gate = manifest.gate if manifest else gate
        report.rolled_back = _roll_back(run, auto_rollback, rolled_gate)
    return report


def _target(store: SnapshotStore, head: Head | None, gate: str | None) -> int | None:
    """The current snapshot of ``gate`` (default: the head's gate), or None."""
    if head is None:
        return None
    chosen = gate or None
    if chosen is None:
        with suppress(VerificationError):
            chosen = store.manifest(head.sequence).gate
    return head.gates[chosen].sequence if chosen is not None and chosen in head.gates else None


def _verify_failed(run: _Evaluation) -> Manifest | None:
    """verify_failed (or a key-trust problem, which never rolls back); the target's manifest, verified
    if it verifies, else as recorded (None if there is none)."""
    store, target = run.store, run.target
    if run.head is not None or "verify_failed" in run.wanted:
        try:
            return verify_in(store, target, VerifyOptions(head=run.head)).manifest
        except VerificationError as e:
            if e.code in _KEY_TRUST:  # the signer's key, not the content: re-sign, never roll back
                run.report.fired.append(_key_trust_problem(e, store.framework, _gate_of(store, target)))
            elif "verify_failed" in run.wanted:
                run.fire("verify_failed", str(e))
    if target is None:
        return None
    try:
        return store.manifest(target)
    except VerificationError:
        return None


def _checksum_drift(run: _Evaluation, manifest: Manifest) -> None:
    """checksum_drift: an input changed on disk since the snapshot."""
    if "checksum_drift" not in run.wanted:
        return
    root = run.ws.root
    drifted = [
        item.path
        for item in manifest.inputs
        if not (root / item.path).is_file() or digest_file(root / item.path) != item.object
    ]
    if drifted:
        run.fire("checksum_drift", f"changed since {_snapshot_named(run, manifest)}: " + ", ".join(drifted))


def _snapshot_named(run: _Evaluation, manifest: Manifest) -> str:
    """The snapshot evaluated, as a reader finds it: the head, or gate G's current snapshot N (status
    evaluates every gate's, and a lower gate's is not the head)."""
    where = f"snapshot {run.target} (gate {manifest.gate})"
    return f"the head {where}" if run.head is not None and run.head.sequence == run.target else where


def _gate_failed(run: _Evaluation, manifest: Manifest) -> None:
    """gate_failed: the snapshot's gate no longer passes on today's artifacts."""
    if "gate_failed" not in run.wanted:
        return
    gate_report = check_contract(run.ws, run.store.framework, manifest.gate)
    if not gate_report.ok:
        run.fire("gate_failed", "; ".join(f.message for f in gate_report.findings))


def _roll_back(run: _Evaluation, recording: Recording, gate: str | None) -> Promotion:
    """The rollback a fired trigger asks for, with the fired triggers as its recorded decisions: to
    the newest snapshot of ``gate`` that verifies when verification failed (or there is no current
    snapshot), else to the current snapshot itself (its own files back)."""
    ws, framework, fired_now = run.ws, run.store.framework, run.report.fired
    decider = Decider("", ActorLookup(ws.root).result(), framework)  # the rollback stamps them with its time
    fired = [decider.event("trigger_fired", t["on"], t["action"], detail=t["detail"]) for t in fired_now]
    reason = "trigger: " + "; ".join(f"{t['on']} ({t['detail'][:200]})" for t in fired_now)
    by_gate = any(t["on"] == "verify_failed" for t in fired_now) or run.target is None
    options = RollbackOptions(
        **{f.name: getattr(recording, f.name) for f in fields(Recording)},
        to=None if by_gate else run.target,
        gate=gate if by_gate else None,
        extra_decisions=tuple(fired),
    )
    return rollback(ws, framework, reason=reason, options=options)


#: Verification codes about the signer's key (expired, revoked), not about the signed content.
_KEY_TRUST = {"V012": ("signer_key_expired", "re-sign"), "V013": ("signer_key_revoked", "rotate-key")}


def _gate_of(store: SnapshotStore, target: int | None) -> str:
    """The gate of snapshot ``target`` as its manifest says ("GATE" if it cannot be read)."""
    with suppress(VerificationError, OSError, ValueError):
        if target is not None:
            return store.manifest(target).gate
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
