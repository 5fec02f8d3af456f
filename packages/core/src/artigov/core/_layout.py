"""The committed record's layout, written once: each framework's part of the record, as POSIX paths
relative to the record folder (``governance/`` by default). The snapshot store, the continuity
check (which reads git trees, by path), completion, approvals, the demo and the rehearsals build
their paths here; ``docs/formats.md`` describes the same layout for auditors.

    <framework>/
        HEAD                       the current snapshot of each gate
        decisions.jsonl            the hash-chained decision log
        pruned.json                sequences pruned by retention, with their digests
        approvals/<id>/<version>/  signed approval statements
        snapshots/000001/          manifest.json, manifest.json.asc
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MANIFEST_NAME", "SIGNATURE_NAME", "RecordLayout", "sequence_name"]

#: A snapshot folder's two files.
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.asc"


def sequence_name(number: int) -> str:
    """``000001``: the folder name of snapshot (or trust version) ``number``: six digits, so folders
    sort by number."""
    return f"{number:06d}"


@dataclass(frozen=True)
class RecordLayout:
    """One framework's part of the record: each path relative to the record folder."""

    framework: str

    @property
    def head(self) -> str:
        """The framework's HEAD."""
        return f"{self.framework}/HEAD"

    @property
    def decisions(self) -> str:
        """The framework's decision log."""
        return f"{self.framework}/decisions.jsonl"

    @property
    def pruned(self) -> str:
        """The sequences retention pruned, with their digests."""
        return f"{self.framework}/pruned.json"

    @property
    def approvals(self) -> str:
        """The folder of the signed approval statements."""
        return f"{self.framework}/approvals"

    @property
    def snapshots(self) -> str:
        """The folder of the snapshot folders."""
        return f"{self.framework}/snapshots"

    def snapshot(self, sequence: int) -> str:
        """The folder of snapshot ``sequence``."""
        return f"{self.snapshots}/{sequence_name(sequence)}"

    def manifest(self, sequence: int) -> str:
        """Snapshot ``sequence``'s manifest (its signature: this path plus ``.asc``)."""
        return f"{self.snapshot(sequence)}/{MANIFEST_NAME}"
