"""``artigov route check|resolve|fix``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.cli.options import FindingFormat, FindingFormatOpt, Format, FormatOpt, RootOpt
from artigov.commands.names import Command
from artigov.commands.route import run_route_check, run_route_fix, run_route_resolve

__all__ = ["app", "run_route_check", "run_route_fix", "run_route_resolve"]

app = typer.Typer(
    help="Artifact routing: where each kind lives, and conflicts with the command routing.", no_args_is_help=True
)


@app.command(Command.ROUTE_CHECK.leaf)
def check_cmd(root: RootOpt = None, fmt: FindingFormatOpt = FindingFormat.text) -> None:
    """Report every routing conflict (exit 1 on any)."""
    raise typer.Exit(run_route_check(root, fmt))


@app.command(Command.ROUTE_RESOLVE.leaf)
def resolve_cmd(
    path: Annotated[Path, typer.Argument(help="An artifact file (or its sidecar).")],
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Print the canonical path of an artifact."""
    raise typer.Exit(run_route_resolve(root, path, fmt))


@app.command(Command.ROUTE_FIX.leaf)
def fix_cmd(
    apply: Annotated[bool, typer.Option("--apply", help="Move the files (default: dry run).")] = False,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Move misplaced artifacts to their canonical paths (dry run unless --apply)."""
    raise typer.Exit(run_route_fix(root, apply, fmt))
