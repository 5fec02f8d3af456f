"""``artigov hydrate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.cli.complete import complete_framework, complete_gate
from artigov.cli.options import Format, FormatOpt, RootOpt
from artigov.commands.hydrate import HydrateOptions, run_hydrate

__all__ = ["hydrate", "run_hydrate"]


def hydrate(
    framework: Annotated[
        str, typer.Option("--framework", "-f", help="The framework.", autocompletion=complete_framework)
    ],
    stage: Annotated[
        str, typer.Option("--stage", "-s", help="The stage (a gate of the contract).", autocompletion=complete_gate)
    ],
    deterministic: Annotated[
        bool,
        typer.Option(
            "--deterministic", help="Re-run over shuffled inputs and another hash seed; fail if any plan differs."
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the plan (canonical JSON) to this file.")] = None,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Select one artifact version per kind the stage needs, and log why."""
    from artigov.hydrate import DeterminismCheck

    options = HydrateOptions(DeterminismCheck() if deterministic else None, out)
    raise typer.Exit(run_hydrate(root, framework, stage, fmt, options))
