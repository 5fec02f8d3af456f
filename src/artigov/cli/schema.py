"""`artigov schema show KIND`: what an artifact of a kind must carry, from the schema files."""

from __future__ import annotations

from typing import Annotated

import typer

from artigov.cli.complete import complete_kind
from artigov.cli.options import Format, FormatOpt, RootOpt
from artigov.commands.names import Command

app = typer.Typer(help="Explain the artifact schemas to authors.", no_args_is_help=True)


@app.command(Command.SCHEMA_SHOW.leaf)
def show(
    kind: Annotated[
        str, typer.Argument(help="The kind (e.g. risk-register).", show_default=False, autocompletion=complete_kind)
    ],
    fmt: FormatOpt = Format.text,
    root: RootOpt = None,
) -> None:
    """The fields a KIND needs (base and kind schema), each with its shape, and an example frontmatter."""
    from artigov.commands.schema import run_schema_show

    raise typer.Exit(run_schema_show(root, kind, fmt))
