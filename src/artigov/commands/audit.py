"""`artigov audit`: the Typer-free command functions (see :mod:`artigov.commands`)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute, quiet_broken_pipe
from artigov.core import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, ArtigovError, Workspace

_SINCE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?Z?")


def parse_since(text: str) -> str:
    """``--since`` as the ``YYYY-MM-DDTHH:MM:SS`` prefix events are compared with; refuse anything else."""
    from datetime import datetime

    value = text.strip()
    if not _SINCE.fullmatch(value):
        raise ArtigovError(
            f"--since {text!r} is not an ISO date or time",
            fix="use 2026-11-25 or 2026-11-25T10:00 (UTC)",
            exit_code=EXIT_USAGE,
        )
    value = value.rstrip("Z").replace(" ", "T")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as e:
        raise ArtigovError(
            f"--since {text!r}: {e}", fix="use a real date, e.g. 2026-11-25", exit_code=EXIT_USAGE
        ) from None
    return parsed.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class AuditFilter:
    """What ``audit show`` keeps (``None``: no filter): the events of a framework, of a name (a
    trailing ``*`` matches a prefix), at or after ``since`` (as ``--since`` is written), about a
    snapshot, and of a command."""

    framework: str | None = None
    event: str | None = None
    since: str | None = None
    snapshot: int | None = None
    command: str | None = None

    def framework_only(self) -> bool:
        """Only a framework is asked for (its events can be passed through as they are)."""
        return bool(self.framework) and not (self.event or self.since or self.snapshot is not None or self.command)


def matches(event: dict[str, Any], wanted: AuditFilter, since: str | None, *, in_framework_log: bool = False) -> bool:
    """Does ``event`` pass the filters of ``audit show``? (``since`` as :func:`parse_since` gives it.)
    An event of the framework's own decision log (``in_framework_log``) is that framework's,
    whatever its fields say: the log is its record."""
    framework, name, snapshot, command = wanted.framework, wanted.event, wanted.snapshot, wanted.command
    if framework and not in_framework_log and event.get("framework") != framework:
        return False
    if (
        name
        and event.get("event") != name
        and not (name.endswith("*") and str(event.get("event", "")).startswith(name.rstrip("*")))
    ):
        return False
    if command and event.get("command") != command:
        return False
    if since and str(event.get("ts", ""))[:19] < since:
        return False
    return snapshot is None or _about_snapshot(event, snapshot)


def _about_snapshot(event: dict[str, Any], snapshot: int) -> bool:
    """A decision event of that snapshot, or a command run whose summary names it (a failed verify, say)."""
    raw = event.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    subjects = [event.get("subject")]
    sequences = [data.get("sequence")]
    for fields in (data.get("last") or {}).values() if event.get("event") == "command_completed" else ():
        if isinstance(fields, dict):
            subjects.append(fields.get("subject"))
            sequences.append(fields.get("sequence"))
    return snapshot in sequences or any(str(s or "").endswith(f"#{snapshot}") for s in subjects)


@dataclass(frozen=True)
class _Shown:
    """An event ``audit show`` may print: its fields, its line as the log holds it, which log it
    is in, and whether that log is the asked framework's own decision log."""

    event: dict[str, Any]
    raw: bytes
    log: str
    in_framework_log: bool = False


def _parsed(lines: Iterable[bytes], log: str, in_framework_log: bool = False) -> Iterator[_Shown]:
    from artigov.core import parse_event

    for raw in lines:
        event = parse_event(raw)
        if event is not None:
            yield _Shown(event, raw, log, in_framework_log)


def _all_events(ws: Workspace, framework: str | None) -> Iterator[_Shown]:
    """Every framework's decision log (the record), then the operational log; each in order."""
    from artigov.core import log_lines
    from artigov.promote import DecisionLog, SnapshotStore, record_frameworks

    for name in record_frameworks(ws.record_dir):
        if framework is None or framework == name:
            yield from _parsed(
                DecisionLog(SnapshotStore(ws, name).decisions_path).lines(), "decisions", bool(framework)
            )
    yield from _parsed(log_lines(ws.audit_path), "operational")


def run_audit_verify(root: Path | None, fmt: Format) -> int:
    """``artigov audit verify``: check every log's hash chain; the exit code says whether all hold."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.core import verify_log
        from artigov.promote import LogCheck, check_decision_logs

        checks = check_decision_logs(ws)
        op = verify_log(ws.audit_path)
        checks.append(LogCheck(ws.rel(ws.audit_path), None, op.ok, op.events, op.head, op.bad_line, op.problem))
        ok = all(c.ok for c in checks)
        if fmt is Format.json:
            emit_json(
                {
                    "ok": ok,
                    "logs": [
                        {
                            "path": c.path,
                            "framework": c.framework,
                            "ok": c.ok,
                            "events": c.events,
                            "head": c.head,
                            "bad_line": c.bad_line,
                            "problem": c.problem,
                        }
                        for c in checks
                    ],
                }
            )
        else:
            for c in checks:
                kind = f"decision log of {c.framework}" if c.framework else "operational log (local)"
                if c.ok:
                    print(f"audit verify: {c.path}: ok, {c.events} events ({kind})")
                else:
                    where = f" line {c.bad_line}" if c.bad_line else ""
                    print(f"audit verify: {c.path}{where}: FAILED: {c.problem} ({kind})")
            frameworks = sum(1 for c in checks if c.framework)
            print(f"audit verify: {'ok' if ok else 'FAILED'}: {frameworks} decision log(s), 1 operational log")
        return EXIT_OK if ok else EXIT_FINDINGS

    # Reading the logs must not append to them: no audit path while verifying.
    return execute(Command.AUDIT_VERIFY, root, action, audit=False)


def _show_framework_json(ws: Workspace, framework: str, out: Any) -> int:
    """``audit show --framework F --format json``: F's decision log passed through, each line with
    its ``log`` field (:func:`~artigov.commands.audit_lines.splice_block`, a block of about 1 MiB a
    write), then the operational log's events of F."""
    from artigov.commands.audit_lines import event_line, lines_of, splice_block, splice_lines
    from artigov.core import log_lines
    from artigov.promote import DecisionLog, SnapshotStore, record_frameworks

    if framework in record_frameworks(ws.record_dir):
        for block in DecisionLog(SnapshotStore(ws, framework).decisions_path).blocks():
            spliced = splice_block(block, "decisions")
            out.write(spliced if spliced is not None else b"".join(splice_lines(lines_of(block), "decisions")))
    batch = [
        event_line(e.raw, e.event, e.log)
        for e in _parsed(log_lines(ws.audit_path), "operational")
        if e.event.get("framework") == framework
    ]
    out.write(b"".join(batch))
    out.flush()
    return EXIT_OK


def _row(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    """One line of the text table: fixed widths, the free-width columns separated by two spaces."""
    return "  ".join(c.ljust(w) if w else c for c, w in zip(cells, widths, strict=True)).rstrip()


def _when_and_who(e: dict[str, Any]) -> tuple[str, str]:
    """The time and the actor a reader means: for a recorded approval (``approval_recorded``, which
    enters the log with the next promotion), the approver and the time of their statement, not the
    promoter and the promotion's time (both stay in the JSON)."""
    data = e.get("data")
    if e.get("event") == "approval_recorded" and isinstance(data, dict):
        return str(data.get("time") or e.get("ts", "")), str(data.get("approver") or e.get("actor", "") or "")
    return str(e.get("ts", "")), str(e.get("actor", "") or "")


def run_audit_show(root: Path | None, fmt: Format, wanted: AuditFilter | None = None) -> int:
    """`artigov audit show`: the events that match, as a table or JSON lines (never appends to a log)."""
    wanted = wanted or AuditFilter()
    framework = wanted.framework

    def action(ws: Workspace) -> int:
        since_key = parse_since(wanted.since) if wanted.since is not None else None
        shown = (
            e
            for e in _all_events(ws, framework)
            if matches(e.event, wanted, since_key, in_framework_log=e.in_framework_log)
        )
        try:
            # Streamed, one event at a time, in both formats: memory does not grow with the log.
            out = sys.stdout.buffer
            if fmt is Format.json:
                from artigov.commands.audit_lines import event_line

                if framework and wanted.framework_only():
                    return _show_framework_json(ws, framework, out)
                for one in shown:  # the line as its log holds it, plus "log" (audit_lines)
                    out.write(event_line(one.raw, one.event, one.log))
                out.flush()
                return EXIT_OK
            columns = ("time (UTC)", "log", "event", "framework", "outcome", "actor", "subject")
            widths = (19, 11, 26, 12, 12, 20, 0)  # the subject, of any length, last
            out.write((_row(columns, widths) + "\n").encode())
            count = 0
            for shown_event in shown:
                count += 1
                e = shown_event.event
                when, who = _when_and_who(e)
                cells = (
                    when[:19].replace("T", " "),
                    shown_event.log,
                    str(e.get("event", "")),
                    str(e.get("framework", "") or ""),
                    str(e.get("outcome", "") or ""),
                    who,
                    str(e.get("subject", "") or ""),
                )
                out.write((_row(cells, widths) + "\n").encode("utf-8", "replace"))
            out.write(f"{count} event(s)\n".encode())
            out.flush()
        except BrokenPipeError:
            quiet_broken_pipe()
        return EXIT_OK

    return execute(Command.AUDIT_SHOW, root, action, audit=False)
