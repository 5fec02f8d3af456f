"""`artigov hydrate`: the Typer-free command functions (see :mod:`artigov.commands`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_OK, Workspace

if TYPE_CHECKING:
    from artigov.hydrate import DeterminismCheck


@dataclass(frozen=True)
class HydrateOptions:
    """``--deterministic`` (the reruns that prove the plan the same) and ``--out`` (a file for the plan)."""

    check: DeterminismCheck | None = None
    out: Path | None = None


def run_hydrate(
    root: Path | None, framework: str, stage: str, fmt: Format, options: HydrateOptions = HydrateOptions()
) -> int:
    """``artigov hydrate``: a stage's inputs, picked deterministically, as a plan."""
    check, out = options.check, options.out

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.core import write_atomic
        from artigov.hydrate import hydrate as do_hydrate
        from artigov.promote import withdrawn_versions

        withdrawn = withdrawn_versions(ws, framework)  # what a rollback withdrew: never picked again unapproved
        result = do_hydrate(ws, framework, stage, withdrawn=withdrawn, check=check)
        assert result.plan is not None
        if out is not None:
            write_atomic(out if out.is_absolute() else Path.cwd() / out, result.plan.to_bytes())
        if fmt is Format.json:
            emit_json({"plan": result.plan.to_dict()})
        else:
            for item in result.plan.inputs:
                print(f"{item['kind']:<20} {item['status']:<9} {item['id']}@{item['version']}  {item['path']}")
            for d in result.decisions:
                if d.outcome == "lost":
                    print(f"  lost      {d.path}: to {d.lost_to} by {d.rule}")
                elif d.outcome == "rejected":
                    print(f"  rejected  {d.path}: {d.reason}")
            losers = sum(1 for d in result.decisions if d.outcome != "won")
            checked = f", identical over {result.runs} runs" if check else ""
            print(
                f"hydrate: {framework} stage {stage!r}: {len(result.plan.inputs)} input(s), "
                f"{losers} other candidate(s){checked}; plan {result.plan.digest}"
            )
        return EXIT_OK

    return execute(Command.HYDRATE, root, action, framework=framework)
