"""`artigov adopt`: the Typer-free command function (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path

from artigov.commands.formats import Format
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace

__all__ = ["run_adopt"]


def run_adopt(root: Path | None, framework: str, paths: list[Path], apply: bool, fmt: Format) -> int:
    """Propose metadata for files that are not artifacts yet (``apply``: write it); exit 1 if some
    files could not be adopted."""

    def action(ws: Workspace) -> int:
        from artigov.adopt import adopt
        from artigov.commands.render import emit_json

        named = [p if p.is_absolute() else Path.cwd() / p for p in paths]
        report = adopt(ws, framework, named or None, apply=apply)
        if fmt is Format.json:
            emit_json({"command": "adopt", **report.to_dict()})
            return EXIT_OK if report.ok else EXIT_FINDINGS
        if report.proposals:
            width = min(60, max(len(p.path) for p in report.proposals))
            print(f"{'path':<{width}}  {'kind':<18} {'id@version':<32} adds")
            for p in report.proposals:
                adds = ", ".join(p.added) + (f"; retypes {', '.join(p.fixed)}" if p.fixed else "")
                where = f" (sidecar {p.written})" if p.new_file else ""
                print(f"{p.path:<{width}}  {p.kind:<18} {p.id + '@' + p.version:<32} {adds}{where}")
        for u in report.unplaced:
            print(f"cannot adopt {u.path}: {u.reason} (fix: {u.fix})")
        verb = "adopted" if report.applied else "would adopt"
        print(
            f"adopt: {verb} {len(report.proposals)} file(s) into {framework}; {len(report.unplaced)} cannot be "
            f"adopted; {report.already} already artifacts"
            + ("" if report.applied or not report.proposals else " (dry run: pass --apply to write)")
        )
        if report.index_digest:
            print(f"adopt: index updated, digest {report.index_digest}")
        return EXIT_OK if report.ok else EXIT_FINDINGS

    return execute("adopt", root, action, framework=framework)
