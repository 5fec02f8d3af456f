"""`artigov contract`: the Typer-free command functions (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path

from artigov.commands.formats import FindingFormat, Format
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace


def run_contract_check(
    root: Path | None, framework: str, gate: str | None, fmt: Format | FindingFormat, *, all_gates: bool = False
) -> int:
    """``artigov contract check``: one gate, or every gate, of a framework's contract."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json, findings_text
        from artigov.contract import check_all_gates, check_contract

        report = check_all_gates(ws, framework) if all_gates else check_contract(ws, framework, gate)
        if fmt.value == "sarif":
            from artigov.commands.sarif import to_sarif

            emit_json(to_sarif(report.findings, "C", ws.root, "contract check"))
        elif fmt.value == "json":
            emit_json({"command": "contract check", **report.to_dict()})
        else:
            findings_text(report.findings)
            for warning in report.warnings:
                print(f"warning: {warning.one_line()}")
            what = "every gate" if all_gates else (f"gate {gate!r}" if gate else "contract")
            verdict = "passed" if report.ok else f"failed ({len(report.findings)} finding(s))"
            print(f"contract check: {framework} {what}: {verdict}")
        return EXIT_OK if report.ok else EXIT_FINDINGS

    return execute("contract check", root, action, framework=framework)
