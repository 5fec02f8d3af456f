"""artigov.hydrate: deterministic input selection with a decision log.

Every public name is imported from here (``from artigov.hydrate import X``); the modules behind them
are private. Names load on first use (:func:`artigov.core.lazy_exports`), so importing the package
costs nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artigov.core import lazy_exports

if TYPE_CHECKING:
    from artigov.hydrate._hydrate import (
        DETERMINISM_DOOR_ENV,
        RERUN_SEED,
        SELFCHECK,
        Decision,
        DeterminismCheck,
        HydrationResult,
        Pool,
        determinism_door,
        door_env,
        hydrate,
        hydrate_slice,
        select,
    )
    from artigov.hydrate._plan import HydrationPlan
    from artigov.hydrate._precedence import RULE_VERSION, Candidate, CommitTimes, rank
    from artigov.hydrate.errors import HydrationError, NondeterminismError

__all__ = [
    "DETERMINISM_DOOR_ENV",
    "RERUN_SEED",
    "SELFCHECK",
    "Candidate",
    "CommitTimes",
    "Decision",
    "DeterminismCheck",
    "HydrationError",
    "HydrationPlan",
    "HydrationResult",
    "NondeterminismError",
    "Pool",
    "RULE_VERSION",
    "determinism_door",
    "door_env",
    "hydrate",
    "hydrate_slice",
    "rank",
    "select",
]
__version__: str  # the distribution's version, read from its metadata on first use

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
