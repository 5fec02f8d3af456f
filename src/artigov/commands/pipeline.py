"""The promotion pipeline maintainers run as ``invoke promote``.

validate -> route check -> index update -> contract check (gate) ->
hydrate (deterministic) -> promote, stopping at the first step that fails.
The contract check comes before hydrating, so a gate that cannot pass is
reported with EVERY requirement it misses (hydrate stops at the first).
Each step is the same function as its ``artigov`` command.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from artigov.commands.contract import run_contract_check
from artigov.commands.formats import Format
from artigov.commands.hydrate import HydrateOptions, run_hydrate
from artigov.commands.index import run_index
from artigov.commands.promote import run_promote
from artigov.commands.route import run_route_check
from artigov.commands.validate import run_validate
from artigov.core import DEFAULT_LOCK_TIMEOUT

if TYPE_CHECKING:
    from artigov.promote import PromoteOptions

__all__ = ["run_pipeline"]


def run_pipeline(
    root: Path | None, framework: str, gate: str, fmt: Format = Format.text, options: PromoteOptions | None = None
) -> int:
    """Run every step in order; return the first non-zero exit code (0 when promoted)."""
    from artigov.hydrate import DeterminismCheck

    checked = HydrateOptions(DeterminismCheck())
    steps: list[tuple[str, Callable[[], int]]] = [
        ("validate", lambda: run_validate(root, [], fmt)),
        ("route check", lambda: run_route_check(root, fmt)),
        ("index update", lambda: run_index("update", root, fmt, DEFAULT_LOCK_TIMEOUT)),
        ("contract check", lambda: run_contract_check(root, framework, gate, fmt)),
        ("hydrate", lambda: run_hydrate(root, framework, gate, fmt, checked)),
        ("promote", lambda: run_promote(root, framework, gate, fmt, options)),
    ]
    for name, step in steps:
        if fmt is Format.text:
            print(f"==> {name}")
        code = step()
        if code:
            if fmt is Format.text:
                print(f"promote pipeline: stopped at {name} (exit {code}); nothing after it ran")
            return code
    return 0
