"""`artigov contract`: the Typer-free command functions (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path

from artigov.commands.formats import FindingFormat, Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace


def run_contract_check(
    root: Path | None, framework: str, gate: str | None, fmt: Format | FindingFormat, *, all_gates: bool = False
) -> int:
    """``artigov contract check``: one gate, or every gate, of a framework's contract."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json, findings_text
        from artigov.contract import check_all_gates, check_contract, stale_index_finding

        report = check_all_gates(ws, framework) if all_gates else check_contract(ws, framework, gate)
        stale = stale_index_finding(ws)  # a committed index that differs from the files fails the check
        if stale is not None:
            report.findings.insert(0, stale)
        if fmt.value == "sarif":
            from artigov.commands.sarif import to_sarif

            scope = f"{framework}/{'all-gates' if all_gates else gate or 'contract'}"
            emit_json(to_sarif(report.findings, "C", ws.root, "contract check", scope=scope))
        elif fmt.value == "json":
            emit_json(report.to_dict())
        else:
            findings_text(report.findings)
            for warning in report.warnings:
                print(f"warning: {warning.one_line()}")
            what = "every gate" if all_gates else (f"gate {gate!r}" if gate else "contract")
            verdict = "passed" if report.ok else f"failed ({len(report.findings)} finding(s))"
            print(f"contract check: {framework} {what}: {verdict}")
        return EXIT_OK if report.ok else EXIT_FINDINGS

    return execute(Command.CONTRACT_CHECK, root, action, framework=framework)


def known_frameworks(ws: Workspace) -> list[str]:
    """Every framework the workspace knows: a contract, an indexed artifact, or a record folder
    (what CI loops over, so a framework without a contract is checked, and fails, never skipped)."""
    from artigov.index import IndexMissingError, indexed_frameworks, scan
    from artigov.views.status import framework_names

    try:
        indexed = indexed_frameworks(ws)  # one entry at a time: a chunk in memory, not the index
    except IndexMissingError:
        indexed = {str(e["framework"]) for e in scan(ws).entries.values()}
    return framework_names(ws, indexed)


def run_contract_frameworks(root: Path | None, fmt: Format) -> int:
    """``artigov contract frameworks``: one framework per line (or JSON)."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json

        names = known_frameworks(ws)
        if fmt is Format.json:
            emit_json({"ok": True, "frameworks": names})
        else:
            for name in names:
                print(name)
        return EXIT_OK

    return execute(Command.CONTRACT_FRAMEWORKS, root, action)
