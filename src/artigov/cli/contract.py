"""``artigov contract check``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.cli.options import FindingFormat, FindingFormatOpt, Format, RootOpt
from artigov.cli.runner import execute
from artigov.core.errors import EXIT_FINDINGS, EXIT_OK
from artigov.core.workspace import Workspace

__all__ = ["app", "run_contract_check"]

app = typer.Typer(help="Framework contracts: allowed kinds, gates, RACI.", no_args_is_help=True)

FrameworkOpt = Annotated[str, typer.Option("--framework", "-f", help="The framework (contracts/<framework>.yaml).")]


def run_contract_check(
    root: Path | None, framework: str, gate: str | None, fmt: Format | FindingFormat, *, all_gates: bool = False
) -> int:
    def action(ws: Workspace) -> int:
        from artigov.cli.render import emit_json, findings_text
        from artigov.contract.check import check_all_gates, check_contract

        report = check_all_gates(ws, framework) if all_gates else check_contract(ws, framework, gate)
        if fmt.value == "sarif":
            from artigov.cli.sarif import to_sarif
            from artigov.contract.check import CODES

            emit_json(to_sarif(report.findings, {c: (n, "") for c, n in CODES.items()}, ws.root, "contract check"))
        elif fmt.value == "json":
            emit_json({"command": "contract check", "format_version": 1, **report.to_dict()})
        else:
            findings_text(report.findings)
            what = "every gate" if all_gates else (f"gate {gate!r}" if gate else "contract")
            verdict = "passed" if report.ok else f"failed ({len(report.findings)} finding(s))"
            print(f"contract check: {framework} {what}: {verdict}")
        return EXIT_OK if report.ok else EXIT_FINDINGS

    return execute("contract check", root, action, framework=framework)


@app.command("check")
def check_cmd(
    framework: FrameworkOpt,
    gate: Annotated[str | None, typer.Option("--gate", "-g", help="Also check this gate's requirements.")] = None,
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
