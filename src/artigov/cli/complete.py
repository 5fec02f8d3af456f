"""Shell completion that knows the workspace: framework and gate names, kinds and snapshot numbers.

Each callback reads the workspace the command line names (``--root``, else the one found from the
current folder) and never fails: a shell asking for completions gets an empty list rather than an
error. Nothing is written and nothing heavy is imported (no index is read).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

__all__ = ["complete_framework", "complete_gate", "complete_kind", "complete_snapshot"]


def _workspace(ctx: typer.Context) -> Any:
    from artigov.core import load_workspace

    root = None
    for c in (ctx, *_parents(ctx)):
        if c.params.get("root"):
            root = Path(c.params["root"])
            break
    return load_workspace(root)


def _parents(ctx: typer.Context) -> list[Any]:
    out, c = [], ctx.parent
    while c is not None:
        out.append(c)
        c = c.parent
    return out


def _matching(values: list[str], incomplete: str) -> list[str]:
    return sorted(v for v in set(values) if v.startswith(incomplete))


def _never_fails(complete: Callable[[typer.Context, str], list[str]]) -> Callable[[typer.Context, str], list[str]]:
    """A shell asking for completions gets an empty list rather than an error, whatever happens."""

    @functools.wraps(complete)
    def safe(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            return complete(ctx, incomplete)
        except Exception:  # noqa: BLE001 - completion must never fail
            return []

    return safe


def _frameworks(ctx: typer.Context) -> list[str]:
    from artigov.contract import contract_frameworks

    return contract_frameworks(_workspace(ctx))


@_never_fails
def complete_framework(ctx: typer.Context, incomplete: str) -> list[str]:
    """Frameworks with a contract (``contracts/<name>.yaml``)."""
    return _matching(_frameworks(ctx), incomplete)


@_never_fails
def complete_gate(ctx: typer.Context, incomplete: str) -> list[str]:
    """Gates of the framework given with ``--framework`` (of every framework if none is given yet)."""
    from artigov.contract import load_contract

    ws = _workspace(ctx)
    chosen = ctx.params.get("framework")
    names = [chosen] if chosen else _frameworks(ctx)
    return _matching([g.name for n in names for g in load_contract(ws, n).gates], incomplete)


@_never_fails
def complete_kind(ctx: typer.Context, incomplete: str) -> list[str]:
    """Kinds the workspace knows: routed, allowed by a contract, or with a schema."""
    from artigov.contract import load_contract
    from artigov.schema import packaged_kind_schema_names

    ws = _workspace(ctx)
    kinds = list(packaged_kind_schema_names())
    if ws.kind_schemas_dir.is_dir():
        kinds += [p.name.removesuffix(".schema.json") for p in ws.kind_schemas_dir.glob("*.schema.json")]
    for name in _frameworks(ctx):
        kinds += load_contract(ws, name).allowed_kinds
    return _matching(kinds, incomplete)


@_never_fails
def complete_snapshot(ctx: typer.Context, incomplete: str) -> list[str]:
    """Snapshot numbers of the framework given with ``--framework``, newest first."""
    ws = _workspace(ctx)
    framework = ctx.params.get("framework")
    if not framework:
        return []
    from artigov.core import RecordLayout
    from artigov.promote import Head

    layout = RecordLayout(framework)
    folder = ws.record_dir / layout.snapshots
    numbers = sorted((int(p.name) for p in folder.iterdir() if p.name.isdigit()), reverse=True)
    head = Head.from_bytes((ws.record_dir / layout.head).read_bytes()).sequence
    out = [str(n) for n in numbers if str(n).startswith(incomplete)]
    return [*(s for s in out if s == str(head)), *(s for s in out if s != str(head))]
