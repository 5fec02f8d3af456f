"""The fast door: ``artigov index update`` when nothing changed, without loading Typer.

A pre-commit hook runs ``index update`` on every commit, and most of the time
nothing changed. Loading the whole command line (Typer, click, structlog,
rich, jsonschema) costs several times what proving "unchanged" costs, so
:func:`try_quick` runs first: if the arguments are plain ``index update``
options and :func:`artigov.index.quick.unchanged` proves the index up to
date, it prints the answer, writes the same ``index_unchanged`` audit event
the full command writes, and returns the exit code. Otherwise (anything else
on the command line, a fault-injection run, any doubt) it returns None and
the full command line runs as always. ``ARTIGOV_QUICK=0`` turns the door off.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = ["main", "try_quick"]

_OPTIONS = ("--root", "--format", "--lock-timeout")


def _parse(args: list[str]) -> dict[str, str] | None:
    """``--name value`` / ``--name=value`` pairs of the options above, else None (let Typer parse)."""
    found: dict[str, str] = {}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name not in _OPTIONS or name in found:
            return None
        if not eq:
            if i + 1 >= len(args):
                return None
            value = args[i + 1]
            i += 1
        found[name] = value
        i += 1
    return found


def try_quick(argv: list[str]) -> int | None:
    """Answer ``argv`` here if it is a no-change ``index update``; else None."""
    if argv[:2] != ["index", "update"] or os.environ.get("ARTIGOV_FAULT") or os.environ.get("ARTIGOV_QUICK") == "0":
        return None
    options = _parse(argv[2:])
    if options is None or options.get("--format", "text").lower() not in ("text", "json"):
        return None
    try:
        if float(options.get("--lock-timeout", "0")) < 0:
            return None
    except ValueError:
        return None
    from artigov.core.audit import AuditLog, make_record, resolve_actor
    from artigov.core.errors import ArtigovError
    from artigov.index.quick import unchanged

    root = Path(options["--root"]) if "--root" in options else None
    if root is not None and not root.is_dir():
        return None
    answer = unchanged(root)
    if answer is None:
        return None
    ws = answer.ws
    event = {
        "event": "index_unchanged",
        "command": "index update",
        "subject": str(ws.index_path),
        "outcome": "unchanged",
        "digest": answer.digest,
    }
    try:
        AuditLog(ws.audit_path).append([make_record("info", event, resolve_actor(ws.state_dir))])
    except (ArtigovError, OSError):
        return None  # the full command reports why the audit log cannot be written
    if options.get("--format", "text").lower() == "json":
        payload = {
            "command": "index update",
            "format_version": 1,
            "op": "update",
            "ok": True,
            "digest": answer.digest,
            "count": answer.count,
            "written": False,
            "added": [],
            "changed": [],
            "removed": [],
            "findings": [],
            "recovery": None,
            "notes": [],
        }
        sys.stdout.write(json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    else:
        print(f"index update: unchanged, {answer.count} entries (+0 ~0 -0), digest {answer.digest}")
    return 0


def main() -> None:
    """The ``artigov`` command: the fast door first, else the full command line."""
    code = try_quick(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from artigov.cli.app import main as full

    full()
