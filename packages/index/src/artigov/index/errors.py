"""Errors of the index."""

from __future__ import annotations

from pathlib import Path

from artigov.core import EXIT_FINDINGS, ArtigovError

__all__ = ["IndexCorruptError", "IndexMissingError", "JournalCorruptError"]


class IndexCorruptError(ArtigovError):
    """The index file is torn, edited, or of another format: never read as valid."""

    exit_code = EXIT_FINDINGS

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"{path}: index is corrupt: {problem}",
            fix="run `artigov index rebuild` to rebuild it from the artifact files",
        )
        self.path = path
        self.problem = problem


class JournalCorruptError(ArtigovError):
    """A journal record that is complete but unreadable (not a torn tail)."""

    exit_code = EXIT_FINDINGS

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"{path}: index journal is unreadable: {problem}",
            fix="run `artigov index rebuild` (it rebuilds from the files and clears the journal)",
        )
        self.path = path


class IndexMissingError(ArtigovError):
    """There is no index yet."""

    exit_code = EXIT_FINDINGS

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: no index yet", fix="run `artigov index rebuild` to create it")
