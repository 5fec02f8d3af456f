"""`artigov validate`: the Typer-free command functions (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path

from artigov.commands.formats import FindingFormat, Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace


def run_validate(root: Path | None, paths: list[Path], fmt: Format | FindingFormat) -> int:
    """Validate and render; shared by the command line and the invoke task."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json, findings_text, progress_hook
        from artigov.schema import validate_workspace

        report = validate_workspace(ws, paths or None, progress=progress_hook("validating", fmt.value))
        if fmt.value == "sarif":
            from artigov.commands.sarif import to_sarif

            emit_json(to_sarif(report.findings, "SYJ", ws.root, "validate"))
        elif fmt.value == "json":
            emit_json(report.to_dict())
        else:
            findings_text(report.findings)
            skipped = (
                f", {len(report.skipped)} skipped ({_why_skipped(report.skipped_reasons)})" if report.skipped else ""
            )
            status = "ok" if report.ok else f"{len(report.findings)} finding(s)"
            print(f"validate: {report.checked} artifact(s) checked, {len(report.artifacts)} valid{skipped}: {status}")
        return EXIT_OK if report.ok else EXIT_FINDINGS

    return execute(Command.VALIDATE, root, action)


def _why_skipped(reasons: dict[str, str]) -> str:
    links = sum("symlink" in why for why in reasons.values())
    parts = [
        f"{len(reasons) - links} outside the artifact globs" if len(reasons) > links else "",
        f"{links} symlink(s)" if links else "",
    ]
    return ", ".join(p for p in parts if p) + "; --format json says why"
