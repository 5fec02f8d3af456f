"""`artigov validate`: the Typer-free command functions (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from artigov.commands.formats import FindingFormat, Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace

if TYPE_CHECKING:
    from artigov.schema import ValidationReport


def run_validate(root: Path | None, paths: list[Path], fmt: Format | FindingFormat) -> int:
    """Validate and render; shared by the command line and the invoke task."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import progress_hook
        from artigov.schema import validate_workspace

        report = validate_workspace(ws, paths or None, progress=progress_hook("validating", fmt.value))
        return render_validate(report, fmt, ws.root)

    return execute(Command.VALIDATE, root, action)


def render_validate(report: ValidationReport, fmt: Format | FindingFormat, root: Path) -> int:
    """Print a validation report (text, JSON or SARIF); its exit code."""
    from artigov.commands.render import emit_json

    if fmt.value == "sarif":
        from artigov.commands.sarif import to_sarif

        emit_json(to_sarif(report.findings, "SYJ", root, "validate"))
    elif fmt.value == "json":
        emit_json(report.to_dict())
    else:
        validate_text(report)
    return EXIT_OK if report.ok else EXIT_FINDINGS


def validate_text(report: ValidationReport) -> None:
    """A validation report's text: one line per finding, and a summary."""
    from artigov.commands.render import findings_text

    findings_text(report.findings)
    skipped = f", {len(report.skipped)} skipped ({_why_skipped(report.skipped_reasons)})" if report.skipped else ""
    status = "ok" if report.ok else f"{len(report.findings)} finding(s)"
    print(f"validate: {report.checked} artifact(s) checked, {len(report.artifacts)} valid{skipped}: {status}")


def _why_skipped(reasons: dict[str, str]) -> str:
    links = sum("symlink" in why for why in reasons.values())
    parts = [
        f"{len(reasons) - links} outside the artifact globs" if len(reasons) > links else "",
        f"{links} symlink(s)" if links else "",
    ]
    return ", ".join(p for p in parts if p) + "; --format json says why"
