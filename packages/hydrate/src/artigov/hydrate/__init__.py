"""artigov.hydrate: deterministic input selection with a decision log."""

from __future__ import annotations

from artigov.hydrate.errors import HydrationError, NondeterminismError
from artigov.hydrate.hydrate import Decision, HydrationResult, hydrate, select
from artigov.hydrate.plan import HydrationPlan
from artigov.hydrate.precedence import RULE_VERSION, Candidate, CommitTimes, rank

__all__ = [
    "RULE_VERSION",
    "Candidate",
    "CommitTimes",
    "Decision",
    "HydrationError",
    "HydrationPlan",
    "HydrationResult",
    "NondeterminismError",
    "hydrate",
    "rank",
    "select",
]
__version__ = "0.1.0"
