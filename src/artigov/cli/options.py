"""Options shared by every command, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.commands.formats import FindingFormat, Format

__all__ = ["FindingFormat", "FindingFormatOpt", "Format", "FormatOpt", "RootOpt"]


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


FindingFormatOpt = Annotated[
    FindingFormat, typer.Option("--format", help="Output format (sarif: SARIF 2.1.0).", case_sensitive=False)
]
