"""``artigov audit verify|show``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from artigov.cli.options import Format, FormatOpt, RootOpt
from artigov.cli.runner import execute
from artigov.core.errors import EXIT_FINDINGS, EXIT_OK
from artigov.core.workspace import Workspace

__all__ = ["app", "matches"]

app = typer.Typer(help="The hash-chained audit log (state_dir/audit.jsonl).", no_args_is_help=True)


def matches(
    event: dict[str, Any],
    framework: str | None,
    name: str | None,
    since: str | None,
    snapshot: int | None,
    command: str | None,
) -> bool:
    """Does ``event`` pass the filters of ``audit show``?"""
    data = event.get("data") or {}
    if framework and event.get("framework") != framework:
        return False
    if name and event.get("event") != name and not str(event.get("event", "")).startswith(name.rstrip("*")):
        return False
    if command and event.get("command") != command:
        return False
    if since and str(event.get("ts", "")) < since:
        return False
    if snapshot is not None:
        seq = data.get("sequence") if isinstance(data, dict) else None
        if seq != snapshot and not str(event.get("subject", "")).endswith(f"#{snapshot}"):
            return False
    return True


@app.command("verify")
def verify_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
    """Check the whole chain; exit 1 naming the first edited, deleted, inserted or reordered line."""

    def action(ws: Workspace) -> int:
        from artigov.cli.render import emit_json
        from artigov.core.audit import verify_log

        result = verify_log(ws.audit_path)
        if fmt is Format.json:
            emit_json(
                {
                    "command": "audit verify",
                    "ok": result.ok,
                    "events": result.events,
                    "head": result.head,
                    "bad_line": result.bad_line,
                    "problem": result.problem,
                    "path": str(ws.audit_path),
                }
            )
        elif result.ok:
            print(f"audit verify: ok, {result.events} events, chain head {result.head}")
        else:
            print(
                f"audit verify: FAILED at {ws.rel(ws.audit_path)} line {result.bad_line}: {result.problem} "
                f"({result.events} events before it verify)"
            )
        return EXIT_OK if result.ok else EXIT_FINDINGS

    # Reading the log must not append to it: no audit path while verifying.
    raise typer.Exit(execute("audit verify", root, action, audit=False))


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
    snapshot: Annotated[int | None, typer.Option("--snapshot", "-n", help="Only events about this snapshot.")] = None,
    command: Annotated[str | None, typer.Option("--command", help="Only events of this command.")] = None,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Show audit events: a table for people, JSON lines for tools (--format json)."""

    def action(ws: Workspace) -> int:
        import json

        from artigov.core.audit import read_events

        rows = [e for e in read_events(ws.audit_path) if matches(e, framework, event, since, snapshot, command)]
        if fmt is Format.json:
            for e in rows:
                print(json.dumps(e, sort_keys=True, ensure_ascii=False))
            return EXIT_OK
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False, pad_edge=False, box=None)
        for col in ("time (UTC)", "event", "framework", "subject", "outcome", "actor"):
            table.add_column(col, overflow="fold")
        for e in rows:
            table.add_row(
                str(e.get("ts", ""))[:19].replace("T", " "),
                str(e.get("event", "")),
                str(e.get("framework", "") or ""),
                str(e.get("subject", "") or ""),
                str(e.get("outcome", "") or ""),
                str(e.get("actor", "") or ""),
            )
        Console(width=200 if not typer.get_text_stream("stdout").isatty() else None).print(table)
        print(f"{len(rows)} event(s)")
        return EXIT_OK

    raise typer.Exit(execute("audit show", root, action, audit=False))
