"""artigov.router: kinds to canonical folders, and conflicts with the command routing."""

from __future__ import annotations

from artigov.router.check import Misplaced, RouteReport, check_routes, contract_allowed_kinds
from artigov.router.errors import NoRouteError
from artigov.router.fix import Move, fix_routes
from artigov.router.maps import Route, RoutingMap, RoutingMatrix, load_matrix, load_routing_map
from artigov.router.resolve import canonical_path

__all__ = [
    "Misplaced",
    "Move",
    "NoRouteError",
    "Route",
    "RouteReport",
    "RoutingMap",
    "RoutingMatrix",
    "canonical_path",
    "check_routes",
    "contract_allowed_kinds",
    "fix_routes",
    "load_matrix",
    "load_routing_map",
]
__version__ = "0.1.0"
