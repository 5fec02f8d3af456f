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

__all__ = ["RESULT_PATHS", "IndexResult", "ProgressHook", "VerifyResult"]

#: Called with (done, total) as files are checked (total 0: not known yet).
ProgressHook = Callable[[int, int], None]

#: A rebuild's answer lists at most this many paths added, changed and removed (each), and counts
#: them all: at 300,000 artifacts, a cold rebuild's list of every path was a third of its memory.
RESULT_PATHS = 1000


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
    #: How many paths were added, changed and removed, when the lists hold only the first ones
    #: (a rebuild's: :data:`RESULT_PATHS` of each); None: the lists are whole.
    counts: tuple[int, int, int] | None = None

    @property
    def totals(self) -> tuple[int, int, int]:
        """How many paths were added, changed and removed (the lists may hold only the first ones)."""
        if self.counts is not None:
            return self.counts
        return len(self.added), len(self.changed), len(self.removed)

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
            "added_count": self.totals[0],
            "changed_count": self.totals[1],
            "removed_count": self.totals[2],
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
