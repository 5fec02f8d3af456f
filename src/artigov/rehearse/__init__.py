"""Rehearsals of YOUR workspace through the real command line: crash sweeps and rollback playbooks.

:func:`rehearse` is what ``artigov rehearse``, ``invoke rehearse`` and a
governance repository's ``nox -s rehearse`` call. It works on a temporary
copy of the workspace with throwaway keys (:mod:`artigov.rehearse.workspace`);
the workspace itself is never written. These modules live in the ``artigov``
distribution, not in a package, because they drive the ``artigov`` command
line in subprocesses.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from artigov.rehearse.playbook import Playbook
    from artigov.rehearse.workspace import Rehearsal

__all__ = ["WHAT", "rehearse"]

#: What ``artigov rehearse`` can run.
WHAT = ("all", "crash", "playbooks")
#: Random SIGKILLs of index writers in a quick rehearsal (100 in a full one).
QUICK_KILLS = 4


def rehearse(
    source: Path,
    what: str = "all",
    *,
    quick: bool = False,
    playbooks: list[Path] | None = None,
    frameworks: list[str] | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Rehearse the workspace at ``source``: 0 if every row and playbook held, 1 if not.

    ``quick``: index writers killed at each fault point once (not at every point x operation),
    :data:`QUICK_KILLS` random kills instead of 100, and the record's writers crashed (not also
    failed with ENOSPC and EIO) at their commit points and the step after each
    (:func:`artigov.rehearse.crash.chosen_steps`) instead of at every step.
    ``frameworks``: rehearse only these (default: every framework with a contract).
    Progress goes to ``say`` as each row or playbook finishes.

    Raises:
        RehearsalError: the workspace cannot be rehearsed (no contract, no passing gate, a bad
            playbook); the message says what it needs.
    """
    from artigov.rehearse._warm import warm
    from artigov.rehearse.playbook import load_playbooks
    from artigov.rehearse.workspace import find_gates, rehearsal_copy

    loaded = load_playbooks(source, playbooks) if what in ("all", "playbooks") else []
    # A short path: the gpg-agent socket path must stay under 108 bytes.
    scratch = Path(tempfile.mkdtemp(prefix="agrh-", dir="/tmp" if Path("/tmp").is_dir() else None))
    run = None
    try:
        with warm():  # one warm process forks every command (artigov.rehearse._warm): same commands, less CPU
            run = rehearsal_copy(source, scratch)
            gates = find_gates(run, frameworks)
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


def _crash(run: Rehearsal, scratch: Path, quick: bool, say: Callable[[str], None]) -> int:
    """The crash rehearsal on the prepared copy: how many rows did not hold."""
    from artigov.rehearse import crash

    say("crash rehearsal: index writers killed at each fault point" + (" (quick)" if quick else ""))
    rows = crash.fault_matrix(run.ws, scratch / "matrix", quick=quick, say=say)
    kills = QUICK_KILLS if quick else 100
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
