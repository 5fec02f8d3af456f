"""``artigov hook pre-receive|install``: the server side of "the record only grows"."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.cli.options import Format, FormatOpt, LockTimeoutOpt, RootOpt
from artigov.commands.names import Command
from artigov.commands.options import LOCK_TIMEOUT

__all__ = ["app"]

app = typer.Typer(
    help=(
        "Git hooks: the checks a commit runs (pre-commit), and on the server, refuse pushes that rewrite"
        " the governance record (a bare repository)."
    ),
    no_args_is_help=True,
)

WorkspaceOpt = Annotated[
    str, typer.Option("--workspace", help="The workspace's folder inside the repository (default: its top).")
]


@app.command(Command.HOOK_PRE_RECEIVE.leaf)
def pre_receive_cmd(
    git_dir: Annotated[
        Path | None, typer.Option("--git-dir", help="The repository (default: $GIT_DIR, as git runs hooks).")
    ] = None,
    workspace: WorkspaceOpt = "",
    fmt: FormatOpt = Format.text,
) -> None:
    """Check each pushed ref (git's `old new ref` lines on stdin); exit 1 refuses the push."""
    from artigov.commands.hook import run_pre_receive

    raise typer.Exit(run_pre_receive(git_dir, workspace, fmt))


@app.command(Command.HOOK_INSTALL.leaf)
def install_cmd(
    git_dir: Annotated[Path, typer.Argument(help="The (bare) repository on the server.")],
    workspace: WorkspaceOpt = "",
) -> None:
    """Install the pre-receive hook into a repository (never over another hook)."""
    from artigov.commands.hook import run_hook_install

    raise typer.Exit(run_hook_install(git_dir, workspace))


@app.command(Command.HOOK_PRE_COMMIT.leaf)
def pre_commit_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="The staged files to validate, as pre-commit passes them.", show_default=False),
    ] = None,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
    lock_timeout: LockTimeoutOpt = LOCK_TIMEOUT.default,
) -> None:
    """The commit's checks in one run: validate PATHS, index verify, route check (files stat'ed once)."""
    from artigov.commands.precommit import run_pre_commit

    raise typer.Exit(run_pre_commit(root, list(paths or []), fmt, lock_timeout))
