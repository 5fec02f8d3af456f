"""`artigov review|approve|reject`: the Typer-free command functions (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_OK, Workspace

if TYPE_CHECKING:
    from artigov.contract import Signoff

__all__ = ["run_transition"]


def run_transition(root: Path | None, action: str, path: Path, fmt: Format, signoff: Signoff | None = None) -> int:
    """Move one document through ``action`` (review, approve or reject) and print what was recorded."""

    def run(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.contract import Signoff, transition

        target = path if path.is_absolute() else Path.cwd() / path
        if not target.exists() and not path.is_absolute() and (ws.root / path).exists():
            target = ws.root / path  # named from the workspace root (--root from elsewhere)
        done = transition(ws, target, action, signoff or Signoff())
        if fmt.value == "json":
            emit_json({"ok": True, **done.to_dict()})
            return EXIT_OK
        if not done.changed:
            print(f"{action}: {done.path} {done.id}@{done.version} was already {done.to_status} by {done.approver}")
        else:
            signed = f"signed by {done.fingerprint}" if done.fingerprint else "NOT signed"
            print(
                f"{action}: {done.path} {done.id}@{done.version} {done.from_status} -> {done.to_status} "
                f"by {done.approver} ({done.role}); statement {done.statement} ({signed})"
            )
        for note in done.notes:
            print(f"{action}: note: {note}")
        return EXIT_OK

    return execute(Command(action), root, run, path=str(path))
