"""artigov.promote: signed snapshots, verification, retention, append-only rollback, triggers."""

from __future__ import annotations

from artigov.promote.errors import GateFailedError, PromotionError, SigningError, VerificationError
from artigov.promote.history import head_of, history
from artigov.promote.manifest import Manifest
from artigov.promote.promotion import Promotion, promote
from artigov.promote.retention import PruneResult, prune
from artigov.promote.rollback import rollback
from artigov.promote.triggers import TriggerReport, triggers
from artigov.promote.verify import Verified, verify_snapshot

__all__ = [
    "GateFailedError",
    "Manifest",
    "Promotion",
    "PromotionError",
    "PruneResult",
    "SigningError",
    "TriggerReport",
    "Verified",
    "VerificationError",
    "head_of",
    "history",
    "promote",
    "prune",
    "rollback",
    "triggers",
    "verify_snapshot",
]
__version__ = "0.1.0"
