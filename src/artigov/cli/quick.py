"""The fast door: ``artigov index update``, ``index verify``, ``index add``, ``index merge``, ``route check``,
``hook pre-commit`` and ``status`` without loading Typer.

A pre-commit hook runs ``index update`` (or ``index verify``, ``route check``) on every commit, and most of the time
nothing or almost nothing changed; then building the Typer/click command tree
costs as much as the update itself. So the ``artigov`` entry point looks at
its arguments first: if they are ``index update``, ``index verify`` or ``index add`` with only
``--root``, ``--format``, ``--lock-timeout`` (and ``--full`` for verify, the paths for add), it runs the
very same :func:`artigov.commands.index.run_index` the Typer command calls, with
the default logging; anything else (other commands, global options, ``--help``,
a malformed value) goes to the full command line, which parses and reports it.
git runs ``index merge %O %A %B`` (the merge driver of a committed index) on every merge that
touches the index: with exactly three paths it runs :func:`artigov.commands.index.run_merge` here.
``ARTIGOV_QUICK=0`` turns the door off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TypeVar

from artigov.commands.options import FORMAT, LOCK_TIMEOUT, ROOT

__all__ = ["main", "try_quick"]

_OPTIONS = (ROOT.flag, FORMAT.flag, LOCK_TIMEOUT.flag)
E = TypeVar("E", bound=Enum)


def _parse(args: list[str], flags: tuple[str, ...] = (), paths: list[str] | None = None) -> dict[str, str] | None:
    """``--name value`` / ``--name=value`` pairs of the options above (and bare ``flags``), else None
    (let Typer parse). With ``paths``, a token that does not start with ``-`` is a path, appended
    there (``--`` or a path starting with ``-`` still goes to Typer)."""
    found: dict[str, str] = {}
    i = 0
    while i < len(args):
        if paths is not None and not args[i].startswith("-"):
            paths.append(args[i])
            i += 1
            continue
        if args[i] in flags and args[i] not in found:
            found[args[i]] = "1"
            i += 1
            continue
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


def _root_and_format(args: list[str], formats: type[E]) -> tuple[Path | None, E] | None:
    """``--root DIR`` and ``--format F`` (one of ``formats``) and nothing else, checked; else None."""
    plain = _plain(args, formats, lock_timeout=False)
    if plain is None:
        return None
    _options, root, fmt, _lock_timeout = plain
    return root, fmt


def _route_check(args: list[str]) -> int | None:
    """A plain ``route check [--root DIR] [--format text|json|sarif]`` (the pre-commit hook)."""
    from artigov.commands.formats import FindingFormat

    plain = _root_and_format(args, FindingFormat)
    if plain is None:
        return None
    from artigov.commands.route import run_route_check

    return run_route_check(*plain)


def _status(args: list[str]) -> int | None:
    """A plain ``status [--root DIR] [--format text|json]`` (what a maintainer types most)."""
    from artigov.commands.formats import Format

    plain = _root_and_format(args, Format)
    if plain is None:
        return None
    from artigov.commands.status import run_status

    return run_status(plain[0], None, plain[1])


def _merge(args: list[str]) -> int | None:
    """``index merge BASE OURS THEIRS``: git's merge driver, run on every merge of a committed index."""
    if len(args) != 3 or any(a.startswith("-") for a in args):
        return None
    from artigov.commands.index import run_merge
    from artigov.core import configure_logging

    configure_logging()
    base, ours, theirs = (Path(a) for a in args)
    return run_merge(base, ours, theirs)


def try_quick(argv: list[str]) -> int | None:
    """Run ``argv`` here if it is a plain ``index update``, ``index verify [--full]``, ``index add
    PATH...``, ``index merge BASE OURS THEIRS``, ``route check``, ``hook pre-commit [PATH...]`` or
    ``status``; else None (the full command line runs)."""
    if os.environ.get("ARTIGOV_QUICK") == "0":
        return None
    if argv[:1] == ["status"]:
        return _status(argv[1:])
    door = _DOORS.get(tuple(argv[:2]))
    if door is not None:
        return door(argv[2:])
    if argv[:2] not in (["index", "update"], ["index", "verify"], ["index", "add"]):
        return None
    return _index(argv[1], argv[2:])


def _pre_commit(args: list[str]) -> int | None:
    """``hook pre-commit [PATH...]`` with plain options (the ``artigov-checks`` pre-commit hook)."""
    from artigov.commands.formats import Format

    paths: list[str] = []
    plain = _plain(args, Format, paths=paths)
    if plain is None:
        return None
    from artigov.commands.precommit import run_pre_commit

    _options, root, fmt, lock_timeout = plain
    return run_pre_commit(root, [Path(p) for p in paths], fmt, lock_timeout)


def _index(op: str, args: list[str]) -> int | None:
    """``index update``, ``index verify [--full]`` or ``index add PATH...`` with plain options, else None."""
    from artigov.commands.formats import Format

    paths: list[str] = []
    plain = _plain(args, Format, ("--full",) if op == "verify" else (), paths if op == "add" else None)
    if plain is None or (op == "add" and not paths):
        return None
    from artigov.commands.index import IndexOp, run_index

    options, root, fmt, lock_timeout = plain
    return run_index(IndexOp(op, tuple(Path(p) for p in paths), full="--full" in options), root, fmt, lock_timeout)


def _plain(
    args: list[str],
    formats: type[E],
    flags: tuple[str, ...] = (),
    paths: list[str] | None = None,
    *,
    lock_timeout: bool = True,
) -> tuple[dict[str, str], Path | None, E, float] | None:
    """``--root``, ``--format`` (one of ``formats``) and, unless not ``lock_timeout``,
    ``--lock-timeout`` (and ``flags``, ``paths``: see :func:`_parse`), checked, with the default
    logging set up; else None (let Typer parse)."""
    options = _parse(args, flags, paths)
    if options is None or (not lock_timeout and LOCK_TIMEOUT.flag in options):
        return None
    try:
        fmt = formats(options.get(FORMAT.flag, FORMAT.default).lower())
        timeout = float(options.get(LOCK_TIMEOUT.flag, LOCK_TIMEOUT.default))
    except ValueError:
        return None
    root = Path(options[ROOT.flag]) if ROOT.flag in options else None
    if timeout < 0 or (root is not None and not root.is_dir()):
        return None
    from artigov.core import configure_logging

    configure_logging()
    return options, root, fmt, timeout


#: The two-word commands with a door of their own (``index update|verify|add`` share :func:`_index`).
_DOORS: dict[tuple[str, ...], Callable[[list[str]], int | None]] = {
    ("route", "check"): _route_check,
    ("index", "merge"): _merge,
    ("hook", "pre-commit"): _pre_commit,
}


def main() -> None:
    """The ``artigov`` command: the fast door first, else the full command line."""
    from artigov.core import write_every_byte

    write_every_byte()  # unbuffered (PYTHONUNBUFFERED=1), a short write would lose output
    if os.environ.get("_ARTIGOV_COMPLETE") and os.environ.get("ARTIGOV_QUICK") != "0":
        from artigov.cli.fastcomplete import fast_completion

        answer = fast_completion()
        if answer is not None:
            print(answer)
            sys.exit(0)
    code = try_quick(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from artigov.cli.app import main as full

    full()
