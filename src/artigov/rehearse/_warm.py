"""A speed seam for rehearsals: the commands of a rehearsal are forked from one warm process that
imported artigov once (core's :class:`~artigov.core.ForkServer`), instead of a new interpreter (and
every import) per command.

A rehearsal runs a few hundred short commands; most of each one's CPU time was Python starting and
importing. The server imports the command line and the packages with every name they export,
builds the command line's Typer command tree (:func:`artigov.cli.app.prebuild`) and makes
python-gnupg's version probe (:func:`prepare`), then forks each command, which runs ``artigov``
(or a ``python -c`` script) exactly as a new process would. Nothing else in artigov knows about
this module (``prebuild`` is a plain function): :func:`run_cli` falls back to a new interpreter
whenever no runner is active.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from artigov.core import ForkDoor, ForkServer
from artigov.hydrate import determinism_door, door_env

__all__ = ["active", "prepare", "run_cli", "warm"]

#: Imported once by the server, with every name they export, before any fork.
PRELOAD = (
    "artigov.cli.app",
    "artigov.cli.quick",
    "artigov.commands.runner",
    "artigov.promote",
    "artigov.contract",
    "artigov.hydrate",
    "artigov.index",
    "artigov.router",
    "artigov.schema",
    "gnupg",
    "jsonschema",
    "structlog",  # a command that shows a log line renders it with structlog (and rich): ~78 ms to import
    "yaml",
)


def prepare() -> None:  # pragma: no cover - runs in the server process
    """What every command would do first, done once in the server before it forks."""
    from artigov.cli.app import prebuild
    from artigov.core import gpg_for, throwaway_gnupg_home

    prebuild()  # Typer's command tree, built once here instead of in every forked command
    with throwaway_gnupg_home() as home:
        gpg_for(home)  # python-gnupg's `gpg --list-config` probe, made once here (see core._gpg)


class _Active:
    runner: ForkServer | None = None
    door: ForkDoor | None = None


def active() -> ForkServer | None:
    """The runner of the rehearsal in progress, if any."""
    return _Active.runner


@contextmanager
def warm() -> Iterator[ForkServer]:
    """Make a warm runner the active one for the duration of a rehearsal, with a door for the
    determinism check's reruns (:func:`door`)."""
    runner = ForkServer(PRELOAD, [f"{__name__}:prepare"], main="artigov.cli.quick:main", argv0="artigov")
    previous = _Active.runner, _Active.door
    _Active.door = door()
    _Active.runner = runner
    try:
        yield runner
    finally:
        if _Active.door is not None:
            _Active.door.close()
        _Active.runner, _Active.door = previous
        runner.close()


def door() -> ForkDoor | None:
    """A warm server for the determinism check's reruns (:func:`artigov.hydrate.determinism_door`),
    through which the rehearsal's commands make them (None when it cannot start: each rerun then
    starts a new interpreter, as outside a rehearsal)."""
    try:
        return determinism_door()
    except OSError:
        return None


def run_cli(
    args: list[str], cwd: Path, env: Mapping[str, str], *, code: str | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run ``artigov args`` (or ``python -c code args``) in ``cwd`` with exactly ``env``: forked by
    the active warm runner, else in a new interpreter."""
    runner = active()
    if runner is not None:
        if _Active.door is not None:
            env = {**env, **door_env(_Active.door)}
        return runner.run(args, cwd, env, code=code, timeout=timeout)
    head = [sys.executable, "-c", code] if code is not None else [sys.executable, "-m", "artigov.cli"]
    return subprocess.run(
        [*head, *args], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
