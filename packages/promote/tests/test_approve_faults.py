"""`approve` crashed at every file-system step, then run again: the document, its statement and the
index end up in line (no stale index, no `.tmp.<pid>` file left in the user's tree), and the gate
passes with exactly the approval that was given."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

from artigov.contract import Signoff, check_contract, transition
from artigov.core import ForkServer, load_workspace, steps_taken
from artigov.index import verify as index_verify

from .conftest import ALICE, CAROL, FAULT_PRELOAD, Keys, build_signed_approvals_ws

APPROVE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from artigov.core.errors import ArtigovError
    from artigov.core._logconfig import configure_logging
    from artigov.core._workspace import load_workspace
    from artigov.contract import Signoff, transition
    configure_logging("console", "error")
    ws = load_workspace(Path(sys.argv[1]))
    try:
        transition(ws, ws.root / "frameworks/tp.md", "approve", Signoff(who="alice@example.org"))
    except ArtigovError as e:
        print(e)
        sys.exit(e.exit_code)
    """)


def test_approve_crashed_at_every_step_then_run_again_leaves_everything_in_line(tmp_path: Path, keys: Keys) -> None:
    template = build_signed_approvals_ws(tmp_path / "template", keys)
    transition(template, template.root / "frameworks/tp.md", "review", Signoff(who=CAROL))
    probe = tmp_path / "probe"
    shutil.copytree(template.root, probe, symlinks=True)
    before = steps_taken()
    transition(load_workspace(probe), probe / "frameworks/tp.md", "approve", Signoff(who=ALICE))
    total = steps_taken() - before
    assert total >= 5
    base = {**os.environ, "TMPDIR": str(tmp_path)}  # what a crashed step leaves in the temporary folder
    with ForkServer(FAULT_PRELOAD) as server:  # each run a process of its own, forked from one warm one
        for step in range(1, total + 1):
            run = tmp_path / f"run-{step}"
            shutil.copytree(template.root, run, symlinks=True)
            env = {**base, "ARTIGOV_FAULT_STEP": str(step), "ARTIGOV_FAULT_MODE": "crash"}
            crashed = server.run([str(run)], tmp_path, env, code=APPROVE)
            assert crashed.returncode == 70, (step, crashed.stdout, crashed.stderr)
            again = server.run([str(run)], tmp_path, base, code=APPROVE)
            assert again.returncode == 0, (step, again.stdout, again.stderr)
            _in_line(run, step)
            shutil.rmtree(run)


def _in_line(run: Path, step: int) -> None:
    """The document, its statement and the index agree, the gate passes, no temp file is left."""
    ws = load_workspace(run)
    leftovers = [p for p in run.rglob("*") if ".tmp." in p.name and ".artigov" not in p.parts]
    assert leftovers == [], (step, leftovers)
    assert index_verify(ws).ok, step
    assert check_contract(ws, "f", "design").ok, (step, check_contract(ws, "f", "design").findings)
