"""artigov.router: kinds to canonical folders, and conflicts with the command routing.

Every public name is imported from here (``from artigov.router import X``); the modules behind them
are private. Names load on first use (:func:`artigov.core.lazy_exports`), so importing the package
costs nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artigov.core import lazy_exports

if TYPE_CHECKING:
    from artigov.router._check import (
        Misplaced,
        PlacementResult,
        RouteReport,
        check_placement,
        check_routes,
        contract_allowed_kinds,
    )
    from artigov.router._fix import Move, fix_routes
    from artigov.router._maps import (
        PLACEHOLDER,
        Route,
        RoutingMap,
        RoutingMatrix,
        load_matrix,
        load_routing_map,
        subtree_base,
    )
    from artigov.router._resolve import canonical_path
    from artigov.router.errors import NoRouteError

__all__ = [
    "Misplaced",
    "Move",
    "NoRouteError",
    "PLACEHOLDER",
    "PlacementResult",
    "Route",
    "RouteReport",
    "RoutingMap",
    "RoutingMatrix",
    "canonical_path",
    "check_placement",
    "check_routes",
    "contract_allowed_kinds",
    "fix_routes",
    "load_matrix",
    "load_routing_map",
    "subtree_base",
]
__version__: str  # the distribution's version, read from its metadata on first use

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
