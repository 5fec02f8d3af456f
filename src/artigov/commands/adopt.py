"""`artigov adopt`: the Typer-free command function (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace

__all__ = ["run_adopt"]

if TYPE_CHECKING:
    from artigov.onboard.adopt import AdoptReport
    from artigov.onboard.adopt_rules import AdoptOptions


def run_adopt(
    root: Path | None, framework: str, paths: list[Path], fmt: Format, options: AdoptOptions | None = None
) -> int:
    """Propose metadata for files that are not artifacts yet (``options.apply``: write it); exit 1 if some
    files could not be adopted or have keys that mean something else (no ``--conflicts`` chosen)."""

    def action(ws: Workspace) -> int:
        from dataclasses import replace

        from artigov.commands.render import emit_json
        from artigov.onboard.adopt import adopt
        from artigov.onboard.adopt_rules import AdoptOptions

        named = [p if p.is_absolute() else Path.cwd() / p for p in paths]
        chosen = replace(options or AdoptOptions(), named=frozenset(ws.rel(p) for p in named if p.is_file()))
        from artigov.commands.render import progress_hook

        bar = progress_hook("adopt", fmt.value)  # a bar on a terminal (reading, then proposing)
        report = adopt(ws, framework, named or None, options=chosen, progress=bar)
        if fmt is Format.json:
            emit_json(report.to_dict())
        else:
            _print(report, chosen.rename_prefix)
        return EXIT_OK if report.ok else EXIT_FINDINGS

    return execute(Command.ADOPT, root, action, framework=framework)


def _print(report: AdoptReport, prefix: str) -> None:
    if report.proposals:
        width = min(60, max(len(p.path) for p in report.proposals))
        print(f"{'path':<{width}}  {'kind':<18} {'id@version':<32} adds")
        for p in report.proposals:
            adds = ", ".join(p.added) + (f"; takes the author's {', '.join(p.fixed)} as text" if p.fixed else "")
            adds += (
                f"; keeps the author's {', '.join(p.renamed)} as {', '.join(p.renamed.values())}"
                if p.renamed and report.policy
                else ""
            )
            where = f" (sidecar {p.written}" + (f": {p.why_sidecar})" if p.why_sidecar else ")") if p.new_file else ""
            print(f"{p.path:<{width}}  {p.kind:<18} {p.id + '@' + p.version:<32} {adds}{where}")
    for kind, template in sorted(report.routes.items()):
        verb = "routed" if report.applied else "would route"
        print(f"route: {verb} {kind} to {template} (the kind owns the folders below; each document keeps its place)")
    for p in report.unresolved:
        own = ", ".join(f"{c.key}: {c.theirs} (artigov's: {c.ours})" for c in p.conflicts)
        print(f"conflict {p.path}: its own {own}")
    for k in report.skipped:
        print(f"skipped {k.path}: {k.reason}")
    for u in report.unplaced:
        print(f"cannot adopt {u.path}: {u.reason} (fix: {u.fix})")
    verb = "adopted" if report.applied else "would adopt"
    print(
        f"adopt: {verb} {len(report.proposals)} file(s) into {report.framework}; {len(report.unplaced)} cannot be "
        f"adopted; {len(report.skipped)} skipped; {report.already} already artifacts"
        + ("" if report.applied or not report.proposals else " (dry run: pass --apply to write)")
    )
    if report.unresolved:
        print(
            f"adopt: {len(report.unresolved)} file(s) have their own keys with artigov's names; --apply refuses "
            f"until you choose: --conflicts rename (keeps theirs as {prefix}KEY) or --conflicts take (uses theirs)"
        )
    if report.index_digest:
        print(f"adopt: index updated, digest {report.index_digest}")
