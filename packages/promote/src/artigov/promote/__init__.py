"""artigov.promote: signed snapshots, verification, retention, append-only rollback, triggers."""

from __future__ import annotations

from artigov.promote.errors import GateFailedError, PromotionError, SigningError, VerificationError
from artigov.promote.ops import Promotion, TriggerReport, history, promote, prune, rollback, triggers
from artigov.promote.verify import Verified, verify_snapshot

__all__ = [
    "GateFailedError",
    "Promotion",
    "PromotionError",
    "SigningError",
    "TriggerReport",
    "Verified",
    "VerificationError",
    "history",
    "promote",
    "prune",
    "rollback",
    "triggers",
    "verify_snapshot",
]
__version__ = "0.1.0"
