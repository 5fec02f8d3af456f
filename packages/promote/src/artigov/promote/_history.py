"""History: every snapshot of a framework with its status (current, rolled back, superseded, pruned)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from artigov.core import Workspace, digest_bytes, get_logger
from artigov.promote._store import Head, SnapshotStore

__all__ = ["SnapshotRow", "head_of", "history"]

log = get_logger(__name__)


@dataclass
class SnapshotRow:
    """One snapshot in a framework's history, and its status: current (of its gate), superseded,
    rolled back, or pruned (then only its sequence and manifest digest are known)."""

    sequence: int
    digest: str
    status: str
    gate: str | None = None
    created_at: str | None = None
    signer: str | None = None
    #: The digest of the previous snapshot's manifest (None for the first).
    parent: str | None = None
    rollback_of: int | None = None
    reason: str | None = None
    commit: str | None = None
    inputs: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as ``snapshots --format json`` and the report give it (a pruned one: three fields)."""
        if self.status == "pruned":
            return {"sequence": self.sequence, "digest": self.digest, "status": self.status}
        return asdict(self)


def history(ws: Workspace, framework: str, *, store: SnapshotStore | None = None) -> list[SnapshotRow]:
    """Every snapshot, oldest first, with its status: current (of its gate), rolled back, superseded or pruned.

    ``store``: the command's own store (else one is opened)."""
    store = store or SnapshotStore.open(ws, framework)
    head = store.head()
    pruned = store.pruned()
    rows = {s: SnapshotRow(s, digest, "pruned") for s, digest in pruned.items()}
    for s in store.sequences():
        if (head is not None and s > head.sequence) or s in pruned:
            continue  # above the head: not in the chain; pruned: a deletion the next command finishes
        rows[s] = _row(store, s)
    _mark_rolled_back(rows)
    if head is not None:
        for gh in head.gates.values():
            if gh.sequence in rows:
                rows[gh.sequence].status = "current"
    return [rows[s] for s in sorted(rows)]


def _row(store: SnapshotStore, s: int) -> SnapshotRow:
    """Snapshot ``s``'s row of the history, "superseded" until shown otherwise."""
    m = store.manifest(s)
    return SnapshotRow(
        sequence=s,
        digest=digest_bytes(store.manifest_bytes(s)),
        status="superseded",
        gate=m.gate,
        created_at=m.created_at,
        signer=m.signer,
        parent=m.parent,
        rollback_of=m.rollback_of,
        reason=m.reason,
        commit=m.git.get("commit"),
        inputs=len(m.inputs),
    )


def _mark_rolled_back(rows: dict[int, SnapshotRow]) -> None:
    """Mark "rolled back" each snapshot of a gate that a later rollback of that gate went back past."""
    for s, row in rows.items():
        if row.rollback_of:
            for undone in range(row.rollback_of + 1, s):
                other = rows.get(undone)
                if other and other.status != "pruned" and other.gate == row.gate:
                    other.status = "rolled back"


def head_of(ws: Workspace, framework: str) -> Head | None:
    """The framework's HEAD as recorded (unverified), or None before its first snapshot."""
    return SnapshotStore.open(ws, framework).head()
