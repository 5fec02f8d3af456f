"""``artigov validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.cli.options import FindingFormat, FindingFormatOpt, RootOpt
from artigov.commands.validate import run_validate

__all__ = ["run_validate", "validate"]


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Artifact files to check (sidecars and content files alike). Default: every artifact.",
            show_default=False,
        ),
    ] = None,
    root: RootOpt = None,
    fmt: FindingFormatOpt = FindingFormat.text,
) -> None:
    """Check artifacts' metadata against the schemas, checksums and duplicates."""
    raise typer.Exit(run_validate(root, list(paths or []), fmt))
