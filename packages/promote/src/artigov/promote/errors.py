"""Errors of promotion, verification and rollback."""

from __future__ import annotations

from typing import Any

from artigov.core import EXIT_FINDINGS, ArtigovError, Finding, SigningError, VerificationError

__all__ = ["GateFailedError", "PromotionError", "SigningError", "VerificationError"]


class PromotionError(ArtigovError):
    """A promotion (or rollback) was refused; nothing was written."""

    exit_code = EXIT_FINDINGS


class GateFailedError(PromotionError):
    """The contract gate failed: nothing is promoted."""

    def __init__(self, gate: str, findings: list[Finding]) -> None:
        super().__init__(
            f"gate {gate!r} failed with {len(findings)} finding(s); nothing was promoted",
            fix="fix the findings (artigov contract check --gate ...) and promote again",
        )
        self.gate = gate
        self.findings = findings

    def to_dict(self) -> dict[str, Any]:
        """What ``promote --format json`` says of it: not ok, the gate, its findings."""
        return {"ok": False, "gate": self.gate, "findings": [f.to_dict() for f in self.findings]}
