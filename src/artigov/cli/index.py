"""``artigov index add|update|rebuild|verify|recover``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.cli.options import Format, FormatOpt, LockTimeoutOpt, RootOpt
from artigov.commands.index import IndexOp, run_index
from artigov.commands.names import Command
from artigov.commands.options import LOCK_TIMEOUT

__all__ = ["app", "run_index"]

app = typer.Typer(help="The crash-safe artifact index (artifacts_index.json).", no_args_is_help=True)


@app.command(Command.INDEX_ADD.leaf)
def add_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Artifact files to index (one transaction).")],
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
    lock_timeout: LockTimeoutOpt = LOCK_TIMEOUT.default,
) -> None:
    """Index the given artifacts (re-index changed ones, drop deleted ones)."""
    raise typer.Exit(run_index(IndexOp("add", tuple(paths or ())), root, fmt, lock_timeout))


@app.command(Command.INDEX_UPDATE.leaf)
def update_cmd(
    root: RootOpt = None, fmt: FormatOpt = Format.text, lock_timeout: LockTimeoutOpt = LOCK_TIMEOUT.default
) -> None:
    """Bring the index up to date, re-reading only files whose stat changed."""
    raise typer.Exit(run_index("update", root, fmt, lock_timeout))


@app.command(Command.INDEX_REBUILD.leaf)
def rebuild_cmd(
    root: RootOpt = None, fmt: FormatOpt = Format.text, lock_timeout: LockTimeoutOpt = LOCK_TIMEOUT.default
) -> None:
    """Rebuild the index from scratch (replaces a corrupt index)."""
    raise typer.Exit(run_index("rebuild", root, fmt, lock_timeout))


@app.command(Command.INDEX_VERIFY.leaf)
def verify_cmd(
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
    lock_timeout: LockTimeoutOpt = LOCK_TIMEOUT.default,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Re-hash every file (CI); by default files the stat cache vouches for are trusted."
        ),
    ] = False,
) -> None:
    """Check the index against the files on disk and its digest; exit 1 on drift."""
    raise typer.Exit(run_index(IndexOp("verify", full=full), root, fmt, lock_timeout))


@app.command(Command.INDEX_RECOVER.leaf)
def recover_cmd(
    root: RootOpt = None, fmt: FormatOpt = Format.text, lock_timeout: LockTimeoutOpt = LOCK_TIMEOUT.default
) -> None:
    """Finish or roll forward an interrupted index write (every command does this first)."""
    raise typer.Exit(run_index("recover", root, fmt, lock_timeout))


@app.command(Command.INDEX_MERGE.leaf)
def merge_cmd(
    base: Annotated[Path, typer.Argument(help="%O: the common ancestor's index.")],
    ours: Annotated[Path, typer.Argument(help="%A: our index; the merged result is written here.")],
    theirs: Annotated[Path, typer.Argument(help="%B: their index.")],
) -> None:
    """git merge driver: merge three indexes by path (exit 1 on a real conflict).

    Register: `artifacts_index.json merge=artigov-index` in .gitattributes and
    `git config merge.artigov-index.driver "artigov index merge %O %A %B"`.
    """
    from artigov.commands.index import run_merge

    raise typer.Exit(run_merge(base, ours, theirs))
