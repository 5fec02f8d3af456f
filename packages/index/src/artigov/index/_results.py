"""What the index operations return: :class:`IndexResult` (add, update, rebuild) and
:class:`VerifyResult` (verify)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from artigov.core import Finding
from artigov.index._store import Recovery

if TYPE_CHECKING:
    from artigov.index._ops import Overlay

__all__ = ["IndexResult", "ProgressHook", "VerifyResult"]

#: Called with (done, total) as files are checked.
ProgressHook = Callable[[int, int], None]


@dataclass
class IndexResult:
    """What a write operation did."""

    op: str
    digest: str
    count: int
    written: bool
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    recovery: Recovery | None = None
    notes: list[str] = field(default_factory=list)
    #: The stat cache proved that no file changed (nothing was read): what a quick verify would
    #: prove again, so a caller that updated first need not (not part of the JSON answer).
    proved_unchanged: bool = False

    @property
    def ok(self) -> bool:
        """True when no artifact was left out with a finding."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON values (``artigov index … --format json``)."""
        return {
            "op": self.op,
            "ok": self.ok,
            "digest": self.digest,
            "count": self.count,
            "written": self.written,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "findings": [f.to_dict() for f in self.findings],
            "recovery": None if self.recovery is None else self.recovery.action,
            "notes": self.notes,
        }


@dataclass
class VerifyResult:
    """Index versus disk."""

    digest: str
    count: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    recovery: Recovery | None = None
    #: how the result was proved: "content" (every file re-hashed) or "stat cache" (as git status)
    proved_by: str = "content"
    #: proved by the stat cache with files changed: what was proved and read of them
    overlay: Overlay | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        """True when the index and the files agree."""
        return not (self.added or self.changed or self.removed)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON values (``artigov index verify --format json``)."""
        return {
            "op": "verify",
            "ok": self.ok,
            "digest": self.digest,
            "count": self.count,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "invalid": [f.to_dict() for f in self.findings],
            "recovery": None if self.recovery is None else self.recovery.action,
            "proved_by": self.proved_by,
        }
