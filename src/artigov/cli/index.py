"""``artigov index add|update|rebuild|verify|recover``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.cli.indexrun import run_index
from artigov.cli.options import Format, FormatOpt, RootOpt

__all__ = ["app", "run_index"]

app = typer.Typer(help="The crash-safe artifact index (artifacts_index.json).", no_args_is_help=True)

LockTimeoutOpt = Annotated[
    float, typer.Option("--lock-timeout", help="Seconds to wait for another writer's lock.", min=0)
]


@app.command("add")
def add_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Artifact files to index (one transaction).")],
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
    lock_timeout: LockTimeoutOpt = 30.0,
) -> None:
    """Index the given artifacts (re-index changed ones, drop deleted ones)."""
    raise typer.Exit(run_index("add", root, fmt, lock_timeout, paths))


@app.command("update")
def update_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text, lock_timeout: LockTimeoutOpt = 30.0) -> None:
    """Bring the index up to date, re-reading only files whose stat changed."""
    raise typer.Exit(run_index("update", root, fmt, lock_timeout))


@app.command("rebuild")
def rebuild_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text, lock_timeout: LockTimeoutOpt = 30.0) -> None:
    """Rebuild the index from scratch (replaces a corrupt index)."""
    raise typer.Exit(run_index("rebuild", root, fmt, lock_timeout))


@app.command("verify")
def verify_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text, lock_timeout: LockTimeoutOpt = 30.0) -> None:
    """Check the index against the files on disk and its digest; exit 1 on drift."""
    raise typer.Exit(run_index("verify", root, fmt, lock_timeout))


@app.command("recover")
def recover_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text, lock_timeout: LockTimeoutOpt = 30.0) -> None:
    """Finish or roll forward an interrupted index write (every command does this first)."""
    raise typer.Exit(run_index("recover", root, fmt, lock_timeout))
