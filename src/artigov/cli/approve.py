"""`artigov review|approve|reject PATH`: status transitions with signed statements."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from artigov.cli.options import Format, FormatOpt, RootOpt
from artigov.commands.names import Command

__all__ = ["register"]

PathArg = Annotated[Path, typer.Argument(help="The document (or its sidecar).", show_default=False)]
AsOpt = Annotated[str | None, typer.Option("--as", help="Who decides (default: $ARTIGOV_ACTOR, else git user.email).")]
KeyOpt = Annotated[
    str | None, typer.Option("--key", help="Fingerprint to sign with (default: your key from the contract's people:).")
]


CommentOpt = Annotated[str, typer.Option("--comment", help="Why, for the record.")]


def _optional_comment(action: str, doc: str) -> Callable[..., None]:
    def command(
        path: PathArg,
        who: AsOpt = None,
        key: KeyOpt = None,
        comment: CommentOpt = "",
        fmt: FormatOpt = Format.text,
        root: RootOpt = None,
    ) -> None:
        from artigov.commands.approve import run_transition
        from artigov.contract import Signoff

        raise typer.Exit(run_transition(root, action, path, fmt, Signoff(who, key, comment)))

    command.__doc__ = doc
    return command


def register(app: typer.Typer) -> None:
    """Add ``review``, ``approve`` and ``reject`` to the command line."""
    app.command(Command.REVIEW.leaf)(
        _optional_comment("review", "Submit a draft for review (draft -> review), with a signed statement.")
    )
    app.command(Command.APPROVE.leaf)(
        _optional_comment(
            "approve",
            "Approve a document in review (review -> approved; again after an edit), with a signed statement.",
        )
    )

    @app.command(Command.REJECT.leaf)
    def reject(
        path: PathArg,
        comment: Annotated[str, typer.Option("--comment", help="Why it is rejected (required).")],
        who: AsOpt = None,
        key: KeyOpt = None,
        fmt: FormatOpt = Format.text,
        root: RootOpt = None,
    ) -> None:
        """Reject a document (review or approved -> draft), with a signed statement saying why."""
        from artigov.commands.approve import run_transition
        from artigov.contract import Signoff

        raise typer.Exit(run_transition(root, "reject", path, fmt, Signoff(who, key, comment)))
