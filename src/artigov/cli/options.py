"""Options shared by every command, declared once."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["FindingFormat", "FindingFormatOpt", "Format", "FormatOpt", "RootOpt"]


class Format(StrEnum):
    text = "text"
    json = "json"


RootOpt = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Workspace root (default: the nearest directory up from here with artigov.yaml).",
        file_okay=False,
        show_default=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.", case_sensitive=False)]


class FindingFormat(StrEnum):
    """Formats of commands that report findings: SARIF 2.1.0 for code-scanning tools too."""

    text = "text"
    json = "json"
    sarif = "sarif"


FindingFormatOpt = Annotated[
    FindingFormat, typer.Option("--format", help="Output format (sarif: SARIF 2.1.0).", case_sensitive=False)
]
