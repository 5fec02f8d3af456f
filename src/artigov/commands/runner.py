"""What every command does around its one package call.

Load the workspace, point the audit sink at it, bind the command's context,
run, map an ``ArtigovError`` to one line on stderr and its exit code (never a
traceback), and write the buffered audit events, on failure too.

The action runs with Python's cyclic garbage collector paused
(:func:`artigov.core.bulk_results`, restored afterwards, on failure too): a
command's data (index entries, events, findings) are plain dicts, lists and
strings without cycles, freed by reference counting, and at 100,000 entries
the collector's repeated passes over them cost 10-30% of a command's CPU
(Mercurial pauses it the same way around its bulk reads).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from artigov.commands.render import running
from artigov.core import (
    ArtigovError,
    Workspace,
    bind,
    bulk_results,
    clear,
    flush_audit,
    get_logger,
    load_workspace,
    set_audit_path,
)

__all__ = ["execute", "fail", "quiet_broken_pipe"]

log = get_logger("artigov.cli")


def fail(message: str) -> None:
    """Print one error line to stderr."""
    print(f"artigov: error: {message}", file=sys.stderr)


def quiet_broken_pipe() -> None:
    """The reader of stdout left (``artigov audit show | head``): point stdout at /dev/null, so
    nothing more written, nor the flush at exit, raises or prints an error."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def execute(
    command: str, root: Path | None, action: Callable[[Workspace], int], *, audit: bool = True, **context: str | None
) -> int:
    """Run ``action`` on the workspace at ``root`` (or found from cwd) as ``command`` (a
    :class:`~artigov.commands.names.Command`); return the exit code.

    ``audit=False`` for commands that only read the audit log (they must not append to it).
    """
    command = str(command)  # a Command's plain name, in the audit events and the JSON
    clear()
    bind(command=command, **{k: v for k, v in context.items() if v is not None})
    ws: Workspace | None = None
    code = 1
    try:
        ws = load_workspace(root)
        set_audit_path(ws.audit_path if audit else None)
        # bulk_results is a speed seam: no cyclic GC passes over a command's (acyclic) data
        with bulk_results(), running(command):
            code = action(ws)
    except ArtigovError as e:
        fail(str(e))
        log.info("command_refused", audit=ws is not None, outcome="error", error=type(e).__name__, message=str(e))
        code = e.exit_code
    except BrokenPipeError:
        quiet_broken_pipe()  # `artigov status | head`: the reader left; stop quietly, as git does
        code = 141  # 128 + SIGPIPE, what a shell reports for a command its pipe's reader ended
    except OSError as e:
        # A last net: every writer wraps its I/O errors, but a reader may still meet one.
        where = f"{e.filename}: " if e.filename else ""
        fail(f"{where}{e.strerror or e}")
        log.info("command_refused", audit=ws is not None, outcome="error", error="OSError", message=str(e))
        code = 1
    except KeyboardInterrupt:
        fail("interrupted")
        code = 130
    try:
        flush_audit(code)
    except (ArtigovError, OSError) as e:
        fail(f"could not write the operational log: {e}")
        code = code or 1  # a run whose record of itself failed does not succeed
    finally:
        set_audit_path(None)
    return code
