"""artigov.promote: signed snapshots, verification, retention, append-only rollback, triggers.

Every public name is imported from here (``from artigov.promote import X``); the modules behind them
are private. Names load on first use (:func:`artigov.core.lazy_exports`), so importing the package
costs nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artigov.core import lazy_exports

if TYPE_CHECKING:
    from artigov.core import MANIFEST_NAME, SIGNATURE_NAME
    from artigov.promote._continuity import (
        Compared,
        Continuity,
        RecordAt,
        RefVerdict,
        Violation,
        check_continuity,
        check_push,
        pre_receive,
        record_since,
    )
    from artigov.promote._decisions import DecisionEvent, DecisionLog, LogCheck, record_frameworks
    from artigov.promote._diff import diff_inputs, diff_snapshots, snapshot_state
    from artigov.promote._gitstate import GitState, git_state
    from artigov.promote._history import SnapshotRow, head_of, history
    from artigov.promote._manifest import InputApproval, Manifest, ManifestError, SnapshotInput
    from artigov.promote._migrate import HeadRepair, migrate_record, repair_head
    from artigov.promote._options import PromoteOptions, Recording, RollbackOptions, VerifyOptions
    from artigov.promote._promotion import Promotion, authorize_signer, promote, withdrawn_versions
    from artigov.promote._retention import PruneResult, prune
    from artigov.promote._rollback import rollback
    from artigov.promote._store import Head, ObjectStore, SnapshotStore
    from artigov.promote._triggers import TriggerReport, triggers
    from artigov.promote._trustops import (
        TrustChanges,
        TrustResult,
        TrustStatus,
        has_trust,
        settings_document,
        trust_init,
        trust_propose,
        trust_sign,
        trust_status,
    )
    from artigov.promote._verify import (
        GateVerdict,
        RecordVerdict,
        TrustVerdict,
        UnverifiedGate,
        Verified,
        check_decision_logs,
        check_trust,
        unpromoted_gates,
        verify_all,
        verify_record,
        verify_snapshot,
    )
    from artigov.promote.errors import GateFailedError, PromotionError, SigningError, VerificationError

__all__ = [
    "GitState",
    "git_state",
    "Compared",
    "Continuity",
    "RecordAt",
    "RefVerdict",
    "Violation",
    "check_continuity",
    "check_push",
    "pre_receive",
    "record_since",
    "SigningError",
    "VerificationError",
    "DecisionEvent",
    "DecisionLog",
    "GateFailedError",
    "Head",
    "LogCheck",
    "MANIFEST_NAME",
    "InputApproval",
    "GateVerdict",
    "HeadRepair",
    "Manifest",
    "ManifestError",
    "SnapshotInput",
    "ObjectStore",
    "Promotion",
    "PromotionError",
    "PromoteOptions",
    "Recording",
    "RollbackOptions",
    "VerifyOptions",
    "PruneResult",
    "SIGNATURE_NAME",
    "SnapshotStore",
    "SnapshotRow",
    "TriggerReport",
    "TrustChanges",
    "TrustResult",
    "TrustStatus",
    "RecordVerdict",
    "TrustVerdict",
    "UnverifiedGate",
    "Verified",
    "authorize_signer",
    "check_decision_logs",
    "check_trust",
    "diff_inputs",
    "diff_snapshots",
    "head_of",
    "has_trust",
    "history",
    "migrate_record",
    "promote",
    "prune",
    "record_frameworks",
    "repair_head",
    "rollback",
    "settings_document",
    "snapshot_state",
    "triggers",
    "trust_init",
    "trust_propose",
    "trust_sign",
    "trust_status",
    "unpromoted_gates",
    "verify_all",
    "verify_record",
    "verify_snapshot",
    "withdrawn_versions",
]
__version__: str  # the distribution's version, read from its metadata on first use

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
