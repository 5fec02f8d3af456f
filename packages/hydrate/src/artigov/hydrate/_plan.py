"""The hydration plan: canonical JSON, with a digest over everything else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artigov.core import canonical_json, digest_bytes

__all__ = ["HydrationPlan"]


@dataclass(frozen=True)
class HydrationPlan:
    """A stage's chosen inputs, with what the choice was made from (rule version, index digest)."""

    framework: str
    stage: str
    rule_version: int
    index_digest: str
    inputs: tuple[dict[str, Any], ...]

    def body(self) -> dict[str, Any]:
        """What the plan's digest covers: everything but the digest itself."""
        return {
            "framework": self.framework,
            "stage": self.stage,
            "rule_version": self.rule_version,
            "index_digest": self.index_digest,
            "inputs": list(self.inputs),
        }

    @property
    def digest(self) -> str:
        """``sha256:`` of the canonical JSON of :meth:`body`."""
        return digest_bytes(canonical_json(self.body()))

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON values, with its digest."""
        return {**self.body(), "digest": self.digest}

    def to_bytes(self) -> bytes:
        """The plan file's bytes: canonical JSON, the same on every machine."""
        return canonical_json(self.to_dict())
