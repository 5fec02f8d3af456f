"""The artifact model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from artigov.schema._discovery import Stamp

__all__ = ["Artifact", "STATUS_RANK", "STATUSES", "TRANSITION_FIELDS", "approved_metadata_digest"]

STATUSES = ("draft", "review", "approved")
#: The fields a status transition writes (review, approve, reject): an approval covers every other one.
TRANSITION_FIELDS = ("approved_by", "checksum", "status", "updated_at")


def approved_metadata_digest(metadata: dict[str, Any]) -> str:
    """``sha256:`` of the canonical JSON of ``metadata`` without :data:`TRANSITION_FIELDS`: the
    metadata an approval statement covers beside the body (docs/formats.md)."""
    import json

    from artigov.core import canonical_json, digest_bytes

    kept = {k: v for k, v in metadata.items() if k not in TRANSITION_FIELDS}
    try:
        return digest_bytes(canonical_json(kept))
    except (TypeError, ValueError):  # NaN or a value JSON has no form for: still one stable text
        text = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)
        return digest_bytes(text.encode("utf-8") + b"\n")


#: Higher is better: approved > review > draft.
STATUS_RANK = {"draft": 0, "review": 1, "approved": 2}


@dataclass(frozen=True)
class Artifact:
    """One artifact as loaded from disk (metadata not yet validated).

    Attributes:
        path: POSIX path of the content file, relative to the workspace root.
        meta_path: the sidecar's path for sidecar artifacts, else None.
        metadata: the parsed metadata mapping.
        checksum: ``sha256:<hex>`` of the content (body after the frontmatter,
            or the whole file for sidecar artifacts), as computed from disk.
        size: size in bytes of the content file.
        meta_text: the metadata source text (for mapping errors to lines).
        meta_line: 1-based line in the metadata file where ``meta_text`` starts.
        stamps: the stamps of the content file and of the sidecar (None: none, or not known),
            taken from the open file before it was read: what the index's stat cache records.
            Host data, never part of what an artifact is (not compared).
    """

    path: str
    meta_path: str | None
    metadata: dict[str, Any]
    checksum: str
    size: int
    meta_text: str
    meta_line: int
    stamps: tuple[Stamp | None, Stamp | None] = field(default=(None, None), compare=False, repr=False)

    @property
    def source(self) -> str:
        """The file that holds the metadata (the sidecar, or the artifact itself)."""
        return self.meta_path or self.path

    @property
    def approval_digest(self) -> str:
        """The digest of the metadata an approval covers (:func:`approved_metadata_digest`)."""
        return approved_metadata_digest(self.metadata)

    @property
    def id(self) -> str:
        """The ``id`` field ("" when missing)."""
        return str(self.metadata.get("id", ""))

    @property
    def version(self) -> str:
        """The ``version`` field ("" when missing)."""
        return str(self.metadata.get("version", ""))

    @property
    def status(self) -> str:
        """The ``status`` field: draft, review or approved ("" when missing)."""
        return str(self.metadata.get("status", ""))

    @property
    def framework(self) -> str:
        """The ``framework`` field ("" when missing)."""
        return str(self.metadata.get("framework", ""))

    @property
    def kind(self) -> str:
        """The ``kind`` field ("" when missing)."""
        return str(self.metadata.get("kind", ""))
