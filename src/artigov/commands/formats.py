"""Output formats, declared once (no Typer here: the fast door imports them)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FindingFormat", "Format"]


class Format(StrEnum):
    """Output format of a command: text for people, JSON for tools."""

    text = "text"
    json = "json"


class FindingFormat(StrEnum):
    """Formats of commands that report findings: SARIF 2.1.0 for code-scanning tools too."""

    text = "text"
    json = "json"
    sarif = "sarif"
