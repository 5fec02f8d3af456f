"""``artigov contract check``."""

from __future__ import annotations

from typing import Annotated

import typer

from artigov.cli.complete import complete_framework, complete_gate
from artigov.cli.options import FindingFormat, FindingFormatOpt, FormatOpt, RootOpt
from artigov.commands.contract import run_contract_check, run_contract_frameworks
from artigov.commands.formats import Format
from artigov.commands.names import Command

__all__ = ["app", "run_contract_check"]

app = typer.Typer(help="Framework contracts: allowed kinds, gates, RACI.", no_args_is_help=True)

FrameworkOpt = Annotated[
    str,
    typer.Option(
        "--framework", "-f", help="The framework (contracts/<framework>.yaml).", autocompletion=complete_framework
    ),
]


@app.command(Command.CONTRACT_CHECK.leaf)
def check_cmd(
    framework: FrameworkOpt,
    gate: Annotated[
        str | None,
        typer.Option("--gate", "-g", help="Also check this gate's requirements.", autocompletion=complete_gate),
    ] = None,
    all_gates: Annotated[
        bool, typer.Option("--all-gates", help="Check every gate of the contract (what CI should run).")
    ] = False,
    root: RootOpt = None,
    fmt: FindingFormatOpt = FindingFormat.text,
) -> None:
    """Check a framework against its contract (and a gate, or every gate); exit 1 on any finding."""
    if all_gates and gate:
        raise typer.BadParameter("pass --gate or --all-gates, not both")
    raise typer.Exit(run_contract_check(root, framework, gate, fmt, all_gates=all_gates))


@app.command(Command.CONTRACT_FRAMEWORKS.leaf)
def frameworks_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
    """Every framework the workspace knows (a contract, an artifact, or a record), one per line:
    what CI loops over, so a framework without a contract is checked (and fails), never skipped."""
    raise typer.Exit(run_contract_frameworks(root, fmt))
