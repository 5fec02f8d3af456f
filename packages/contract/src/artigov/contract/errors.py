"""Errors of contracts and status transitions."""

from __future__ import annotations

from artigov.core import EXIT_FINDINGS, ArtigovError, Finding

__all__ = ["ContractError", "TransitionError"]


class ContractError(ArtigovError):
    """No contract, or an invalid one; carries the findings."""

    exit_code = EXIT_FINDINGS

    def __init__(self, findings: list[Finding]) -> None:
        first = findings[0]
        super().__init__(first.one_line())
        self.findings = findings


class TransitionError(ArtigovError):
    """A transition was refused; nothing was written."""

    exit_code = EXIT_FINDINGS

    def __init__(self, code: str, file: str, message: str, fix: str) -> None:
        super().__init__(f"{file}: {code} {message}; nothing was written", fix=fix)
        self.code = code
        self.file = file
        self.problem = message
