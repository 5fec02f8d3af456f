"""Errors of artifact loading."""

from __future__ import annotations

from artigov.core import EXIT_FINDINGS, ArtigovError, code_info

__all__ = ["ArtifactLoadError", "EmptyMetadataError"]


class ArtifactLoadError(ArtigovError):
    """An artifact file could not be read as an artifact; carries a finding code."""

    exit_code = EXIT_FINDINGS

    def __init__(self, code: str, file: str, message: str, *, line: int | None = None, fix: str | None = None) -> None:
        super().__init__(f"{file}{f':{line}' if line else ''}: {code} {message}", fix=fix or code_info(code).help)
        self.code = code
        self.file = file
        self.problem = message
        self.line = line


class EmptyMetadataError(ArtifactLoadError):
    """A metadata block that holds nothing (``---`` then ``---``): S013, told apart by its type."""
