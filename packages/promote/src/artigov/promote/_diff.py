"""What changed between two snapshots: inputs added, removed and changed, by (kind, id).

An input is the same input in both snapshots when its kind and id are the same; it *changed*
when its version, status, checksum or path did. Both snapshots are verified first, and the
result says whether each one verifies today: a diff of a manifest that does not verify is shown,
but never passed off as trustworthy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from artigov.core import MANIFEST_NAME, Workspace
from artigov.promote._manifest import SnapshotInput
from artigov.promote._store import SnapshotStore
from artigov.promote._verify import verify_in
from artigov.promote.errors import PromotionError, VerificationError

__all__ = ["SnapshotDiff", "diff_inputs", "diff_snapshots", "snapshot_state"]

_COMPARED = ("version", "status", "checksum", "path")


@dataclass(frozen=True)
class SnapshotDiff:
    """What changed from snapshot ``a`` to ``b`` of a framework, and whether each verifies."""

    framework: str
    a: int
    b: int
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    verifies: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when both snapshots verify."""
        return all(v["ok"] for v in self.verifies.values())

    def to_dict(self) -> dict[str, Any]:
        """The diff as JSON values."""
        return {
            "framework": self.framework,
            "from": self.a,
            "to": self.b,
            "ok": self.ok,
            "verifies": {str(k): v for k, v in sorted(self.verifies.items())},
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
        }


def _brief(item: SnapshotInput) -> dict[str, Any]:
    return {k: getattr(item, k) for k in ("kind", "id", "version", "status", "path", "checksum")}


def diff_inputs(a: Sequence[SnapshotInput], b: Sequence[SnapshotInput]) -> dict[str, Any]:
    """Inputs of ``b`` against those of ``a``: added, removed, changed (with both sides), unchanged."""
    before = {(i.kind, i.id): i for i in a}
    after = {(i.kind, i.id): i for i in b}
    changed = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key], after[key]
        fields = [k for k in _COMPARED if getattr(old, k) != getattr(new, k)]
        if fields:
            changed.append({"kind": key[0], "id": key[1], "fields": fields, "from": _brief(old), "to": _brief(new)})
    return {
        "added": [_brief(after[k]) for k in sorted(after.keys() - before.keys())],
        "removed": [_brief(before[k]) for k in sorted(before.keys() - after.keys())],
        "changed": changed,
        "unchanged": len(before.keys() & after.keys()) - len(changed),
    }


def snapshot_state(ws: Workspace, framework: str, sequence: int, store: SnapshotStore | None = None) -> dict[str, Any]:
    """Whether snapshot ``sequence`` verifies today: ``{"ok": True}`` or the failed check."""
    try:
        verify_in(store or SnapshotStore.open(ws, framework), sequence)
    except VerificationError as e:
        return {"ok": False, "code": e.code, "problem": e.problem}
    return {"ok": True}


def diff_snapshots(ws: Workspace, framework: str, a: int, b: int) -> SnapshotDiff:
    """The inputs of snapshot ``b`` against snapshot ``a`` (each verified first, see the module doc).

    Raises:
        PromotionError: a snapshot does not exist or was pruned (its manifest is gone).
    """
    store = SnapshotStore.open(ws, framework)
    manifests = {}
    for n in (a, b):
        if not (store.seq_dir(n) / MANIFEST_NAME).is_file():
            pruned = " (pruned by retention)" if n in store.pruned() else ""
            have = ", ".join(map(str, store.sequences())) or "none"
            raise PromotionError(
                f"snapshot {n} of {framework!r} has no manifest{pruned}",
                fix=f"name snapshots that exist (artigov snapshots --framework {framework}; here: {have})",
            )
        manifests[n] = store.manifest(n)
    found = diff_inputs(manifests[a].inputs, manifests[b].inputs)
    return SnapshotDiff(
        framework, a, b, **found, verifies={n: snapshot_state(ws, framework, n, store) for n in sorted({a, b})}
    )
