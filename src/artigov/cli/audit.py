"""``artigov audit verify|show``: the committed decision logs and the local operational log."""

from __future__ import annotations

from typing import Annotated

import typer

from artigov.cli.complete import complete_framework, complete_snapshot
from artigov.cli.options import Format, FormatOpt, RootOpt
from artigov.commands.audit import matches, parse_since, run_audit_verify
from artigov.commands.names import Command

__all__ = ["app", "matches", "parse_since", "run_audit_verify"]

app = typer.Typer(
    help="The hash-chained logs: each framework's committed decision log and the local operational log.",
    no_args_is_help=True,
)


@app.command(Command.AUDIT_VERIFY.leaf)
def verify_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
    """Check every log's chain, and that each decision log holds what its snapshots pin (exit 1 if not)."""
    raise typer.Exit(run_audit_verify(root, fmt))


@app.command(Command.AUDIT_SHOW.leaf)
def show_cmd(
    framework: Annotated[
        str | None, typer.Option("--framework", "-f", help="Only this framework.", autocompletion=complete_framework)
    ] = None,
    event: Annotated[
        str | None, typer.Option("--event", "-e", help="Only this event (a trailing * matches a prefix).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only events at or after this UTC time (2026-11-25 or 2026-11-25T10:00)."),
    ] = None,
    snapshot: Annotated[
        int | None,
        typer.Option(
            "--snapshot",
            "-n",
            help="Only events about this snapshot (and its decisions).",
            autocompletion=complete_snapshot,
        ),
    ] = None,
    command: Annotated[str | None, typer.Option("--command", help="Only events of this command.")] = None,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Show events of the decision logs and the operational log: a table, or JSON lines (--format json)."""

    from artigov.commands.audit import AuditFilter, run_audit_show

    wanted = AuditFilter(framework, event, since, snapshot, command)
    raise typer.Exit(run_audit_show(root, fmt, wanted))
