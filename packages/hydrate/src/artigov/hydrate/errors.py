"""Errors of hydration."""

from __future__ import annotations

from artigov.core import EXIT_FINDINGS, ArtigovError, Finding

__all__ = ["HydrationError", "NondeterminismError"]


class HydrationError(ArtigovError):
    """The stage's inputs cannot be selected (an ambiguity, a missing kind); carries the findings."""

    exit_code = EXIT_FINDINGS

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0].one_line())
        self.findings = findings


class NondeterminismError(ArtigovError):
    """Two runs of the selection gave different plans: a bug, reported loudly."""

    exit_code = EXIT_FINDINGS

    def __init__(self, first: str, other: str, how: str) -> None:
        super().__init__(
            f"hydration is not deterministic: plan {first} but {other} when {how}",
            fix="report this as a bug with the workspace; do not promote from this plan",
        )
