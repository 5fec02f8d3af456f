"""``artigov audit verify|show``: the committed decision logs and the local operational log."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from artigov.cli.options import Format, FormatOpt, RootOpt
from artigov.commands.audit import _about_snapshot, _all_events, matches, parse_since, run_audit_verify  # noqa: F401
from artigov.commands.runner import execute
from artigov.core.errors import EXIT_OK
from artigov.core.workspace import Workspace

__all__ = ["app", "matches", "parse_since", "run_audit_verify"]

app = typer.Typer(
    help="The hash-chained logs: each framework's committed decision log and the local operational log.",
    no_args_is_help=True,
)


@app.command("verify")
def verify_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
    """Check every log's chain, and that each decision log holds what its snapshots pin (exit 1 if not)."""
    raise typer.Exit(run_audit_verify(root, fmt))


def _quiet_broken_pipe() -> None:
    """`artigov audit show | head`: the reader left; stop quietly, without an error at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


@app.command("show")
def show_cmd(
    framework: Annotated[str | None, typer.Option("--framework", "-f", help="Only this framework.")] = None,
    event: Annotated[
        str | None, typer.Option("--event", "-e", help="Only this event (a trailing * matches a prefix).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only events at or after this UTC time (2026-11-25 or 2026-11-25T10:00)."),
    ] = None,
    snapshot: Annotated[
        int | None, typer.Option("--snapshot", "-n", help="Only events about this snapshot (and its decisions).")
    ] = None,
    command: Annotated[str | None, typer.Option("--command", help="Only events of this command.")] = None,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Show events of the decision logs and the operational log: a table, or JSON lines (--format json)."""

    def action(ws: Workspace) -> int:
        import json

        since_key = parse_since(since) if since is not None else None
        rows = (e for e in _all_events(ws, framework) if matches(e, framework, event, since_key, snapshot, command))
        try:
            if fmt is Format.json:
                for e in rows:
                    print(json.dumps(e, sort_keys=True, ensure_ascii=False))
                sys.stdout.flush()
                return EXIT_OK
            from rich.console import Console
            from rich.table import Table

            table = Table(show_lines=False, pad_edge=False, box=None)
            for col in ("time (UTC)", "log", "event", "framework", "subject", "outcome", "actor"):
                table.add_column(col, overflow="fold")
            count = 0
            for e in rows:
                count += 1
                table.add_row(
                    str(e.get("ts", ""))[:19].replace("T", " "),
                    str(e.get("log", "")),
                    str(e.get("event", "")),
                    str(e.get("framework", "") or ""),
                    str(e.get("subject", "") or ""),
                    str(e.get("outcome", "") or ""),
                    str(e.get("actor", "") or ""),
                )
            Console(width=200 if not typer.get_text_stream("stdout").isatty() else None).print(table)
            print(f"{count} event(s)")
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_broken_pipe()
        return EXIT_OK

    raise typer.Exit(execute("audit show", root, action, audit=False))
