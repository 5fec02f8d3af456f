"""Options shared by every command, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.commands.formats import FindingFormat, Format
from artigov.commands.options import FORMAT, LOCK_TIMEOUT, ROOT

__all__ = ["FindingFormat", "FindingFormatOpt", "Format", "FormatOpt", "LockTimeoutOpt", "RootOpt"]


RootOpt = Annotated[Path | None, typer.Option(ROOT.flag, help=ROOT.help, file_okay=False, show_default=False)]
FormatOpt = Annotated[Format, typer.Option(FORMAT.flag, help=FORMAT.help, case_sensitive=False)]
LockTimeoutOpt = Annotated[float, typer.Option(LOCK_TIMEOUT.flag, help=LOCK_TIMEOUT.help, min=0)]


FindingFormatOpt = Annotated[
    FindingFormat, typer.Option(FORMAT.flag, help="Output format (sarif: SARIF 2.1.0).", case_sensitive=False)
]
