"""History: every snapshot of a framework with its status (current, rolled back, superseded, pruned)."""

from __future__ import annotations

from typing import Any

from artigov.core import Workspace, digest_bytes, get_logger
from artigov.promote._store import Head, SnapshotStore

__all__ = ["head_of", "history"]

log = get_logger(__name__)


def history(ws: Workspace, framework: str, *, store: SnapshotStore | None = None) -> list[dict[str, Any]]:
    """Every snapshot, oldest first, with its status: current (of its gate), rolled back, superseded or pruned.

    ``store``: the command's own store (else one is opened)."""
    store = store or SnapshotStore.open(ws, framework)
    head = store.head()
    rows: dict[int, dict[str, Any]] = {}
    for s, digest in store.pruned().items():
        rows[s] = {"sequence": s, "digest": digest, "status": "pruned"}
    pruned = store.pruned()
    for s in store.sequences():
        if (head is not None and s > head.sequence) or s in pruned:
            continue  # above the head: not in the chain; pruned: a deletion the next command finishes
        rows[s] = _row(store, s)
    _mark_rolled_back(rows)
    if head is not None:
        for gh in head.gates.values():
            if gh.sequence in rows:
                rows[gh.sequence]["status"] = "current"
    return [rows[s] for s in sorted(rows)]


def _row(store: SnapshotStore, s: int) -> dict[str, Any]:
    """Snapshot ``s``'s row of the history, "superseded" until shown otherwise."""
    m = store.manifest(s)
    return {
        "sequence": s,
        "gate": m.gate,
        "created_at": m.created_at,
        "signer": m.signer,
        "parent": m.parent,
        "rollback_of": m.rollback_of,
        "reason": m.reason,
        "commit": m.git.get("commit"),
        "inputs": len(m.inputs),
        "digest": digest_bytes(store.manifest_bytes(s)),
        "status": "superseded",
    }


def _mark_rolled_back(rows: dict[int, dict[str, Any]]) -> None:
    """Mark "rolled back" each snapshot of a gate that a later rollback of that gate went back past."""
    for s, row in rows.items():
        back_to = row.get("rollback_of")
        if back_to:
            for undone in range(back_to + 1, s):
                other = rows.get(undone)
                if other and other["status"] != "pruned" and other.get("gate") == row.get("gate"):
                    other["status"] = "rolled back"


def head_of(ws: Workspace, framework: str) -> Head | None:
    """The framework's HEAD as recorded (unverified), or None before its first snapshot."""
    return SnapshotStore.open(ws, framework).head()
