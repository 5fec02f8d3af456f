"""Rollback triggers: evaluate the contract's ``rollback_triggers`` against a gate's current snapshot,
and roll back when one fires with ``action: rollback``.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from artigov.contract import check_contract, load_contract
from artigov.core import ActorLookup, Workspace, digest_file, get_logger
from artigov.promote._promotion import Promotion
from artigov.promote._record import decision_event
from artigov.promote._rollback import rollback
from artigov.promote._store import SnapshotStore
from artigov.promote._verify import verify_snapshot
from artigov.promote.errors import VerificationError

__all__ = ["TriggerReport", "triggers"]

log = get_logger(__name__)


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
    store = SnapshotStore.open(ws, framework)
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
            head_manifest = verify_snapshot(ws, framework, target, store=store).manifest
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
