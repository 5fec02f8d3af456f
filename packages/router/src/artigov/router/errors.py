"""Errors of routing."""

from __future__ import annotations

from artigov.core import EXIT_FINDINGS, ArtigovError

__all__ = ["NoRouteError"]


class NoRouteError(ArtigovError):
    """The artifact's kind has no route."""

    exit_code = EXIT_FINDINGS

    def __init__(self, kind: str, source: str) -> None:
        super().__init__(f"kind {kind!r} has no route in {source}", fix=f"add a route for {kind!r} to the routing map")
        self.kind = kind
