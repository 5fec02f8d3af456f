"""Rehearsals of YOUR workspace through the real command line: crash sweeps and rollback playbooks.

:func:`rehearse` is what ``artigov rehearse``, ``invoke rehearse`` and a
governance repository's ``nox -s rehearse`` call. It works on a temporary
copy of the workspace with throwaway keys (:mod:`artigov.rehearse.workspace`);
the workspace itself is never written. These modules live in the ``artigov``
distribution, not in a package, because they drive the ``artigov`` command
line in subprocesses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from artigov.rehearse.playbook import Playbook
    from artigov.rehearse.workspace import Rehearsal

__all__ = ["FULL_KILLS", "QUICK_HELP", "QUICK_KILLS", "WHAT", "Scope", "rehearse"]

#: What ``artigov rehearse`` can run.
WHAT = ("all", "crash", "playbooks")
#: Random SIGKILLs of index writers in a quick rehearsal, and in a full one.
QUICK_KILLS = 4
FULL_KILLS = 100
#: ``--quick``'s help, in every door (the command line and the invoke task).
QUICK_HELP = f"crash only (not also ENOSPC/EIO) at each record step; {QUICK_KILLS} random kills, not {FULL_KILLS}"


@dataclass(frozen=True)
class Scope:
    """What a rehearsal runs.

    ``what``: one of :data:`WHAT`. ``quick``: index writers killed at each fault point once (not at
    every point x operation), :data:`QUICK_KILLS` random kills instead of :data:`FULL_KILLS`, and
    the record's writers crashed (not also failed with ENOSPC and EIO) at their commit points and
    the step after each (:func:`artigov.rehearse.crash.chosen_steps`) instead of at every step.
    ``playbooks``: only these playbook files (default: the workspace's and the bundled ones).
    ``frameworks``: only these (default: every framework with a contract).
    """

    what: str = "all"
    quick: bool = False
    playbooks: Sequence[Path] | None = None
    frameworks: Sequence[str] | None = None


def rehearse(source: Path, scope: Scope = Scope(), *, say: Callable[[str], None] = print) -> int:
    """Rehearse the workspace at ``source`` as far as ``scope`` says: 0 if every row and playbook
    held, 1 if not. Progress goes to ``say`` as each row or playbook finishes.

    Raises:
        RehearsalError: the workspace cannot be rehearsed (no contract, no passing gate, a bad
            playbook); the message says what it needs.
    """
    import shutil
    import tempfile

    from artigov.rehearse._warm import warm
    from artigov.rehearse.playbook import load_playbooks
    from artigov.rehearse.workspace import find_gates, rehearsal_copy

    what, quick = scope.what, scope.quick
    loaded = load_playbooks(source, scope.playbooks) if what in ("all", "playbooks") else []
    # A short path: the gpg-agent socket path must stay under 108 bytes.
    scratch = Path(tempfile.mkdtemp(prefix="agrh-", dir="/tmp" if Path("/tmp").is_dir() else None))
    run = None
    try:
        # Every command's scratch (a verifying keyring a killed command leaves) goes into `scratch`.
        with _temp_folder(scratch / "tmp"), warm():  # warm: one process forks every command (_warm)
            run = rehearsal_copy(source, scratch)
            gates = find_gates(run, scope.frameworks)
            listed = ", ".join(f"{f} (gate {g})" for f, g in sorted(gates.items()))
            say(f"rehearse: on a temporary copy of {run.source}: {listed}")
            failed = _crash(run, scratch, quick, say) if what in ("all", "crash") else 0
            if loaded:
                failed += _playbooks(run, loaded, scratch, say)
        return 1 if failed else 0
    finally:
        if run is not None:
            run.close()
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def _temp_folder(folder: Path) -> Iterator[None]:
    """``TMPDIR`` for the commands started meanwhile: ``folder`` (made here), then as it was."""
    import os

    folder.mkdir()
    before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before


def _crash(run: Rehearsal, scratch: Path, quick: bool, say: Callable[[str], None]) -> int:
    """The crash rehearsal on the prepared copy: how many rows did not hold."""
    from artigov.rehearse import crash

    say("crash rehearsal: index writers killed at each fault point" + (" (quick)" if quick else ""))
    rows = crash.fault_matrix(run.ws, scratch / "matrix", quick=quick, say=say)
    kills = QUICK_KILLS if quick else FULL_KILLS
    say(f"crash rehearsal: {kills} index writers SIGKILLed at random moments")
    rows += crash.random_kills(run.ws, scratch / "kills", trials=kills, say=say)
    modes = ("crash",) if quick else crash.RECORD_MODES
    say(f"crash rehearsal: the record's writers interrupted ({', '.join(modes)})")
    rows += crash.record_sweep(run, scratch / "record", modes=modes, quick=quick, say=say)
    say(crash.render(rows))
    bad = [r for r in rows if not r.ok]
    say(f"crash rehearsal: {len(rows) - len(bad)}/{len(rows)} rows held")
    return len(bad)


def _playbooks(run: Rehearsal, loaded: list[Playbook], scratch: Path, say: Callable[[str], None]) -> int:
    """Every playbook for every framework with a passing gate: how many runs failed."""
    from artigov.rehearse.playbook import render, run_playbook

    results = []
    for p in loaded:
        for f, g in sorted(run.gates.items()):
            results.append(run_playbook(p, run, f, g, scratch))
            say(f"  playbook {p.name} ({f}): {'passed' if results[-1].ok else 'FAILED'}")
    say(render(results))
    bad_runs = [r for r in results if not r.ok]
    say(f"playbooks: {len(results) - len(bad_runs)}/{len(results)} passed")
    return len(bad_runs)
