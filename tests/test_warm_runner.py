"""The rehearsal's warm runner (artigov/rehearse/_warm.py): each forked command behaves as a new
process would: its own working folder, environment (fault settings re-read), output, exit status
and pid; a hung one is killed at its timeout and the runner goes on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from artigov.rehearse._warm import active, run_cli, warm


def test_forked_commands_behave_as_new_processes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIGOV_FAULT")}
    with warm() as runner:
        assert active() is runner
        version = run_cli(["--version"], tmp_path, env)
        assert version.returncode == 0 and "artigov" in version.stdout
        code = "import os, sys; print(os.getcwd(), os.environ['X'], os.getpid(), *sys.argv[1:]); sys.exit(3)"
        first = run_cli(["a", "b"], tmp_path, {**env, "X": "y"}, code=code)
        second = run_cli(["a", "b"], tmp_path, {**env, "X": "z"}, code=code)
        assert first.returncode == 3 and first.stdout.split()[:2] == [str(tmp_path), "y"]
        assert first.stdout.split()[3:] == ["a", "b"] and second.stdout.split()[1] == "z"
        assert first.stdout.split()[2] != second.stdout.split()[2]  # each its own process
        trace = tmp_path / "trace"
        traced = run_cli(
            [],
            tmp_path,
            {**env, "ARTIGOV_FAULT_TRACE": str(trace)},
            code="from artigov.core import fs_step; fs_step('x')",
        )
        assert traced.returncode == 0 and trace.read_text() == "1 x\n"  # the fault settings were read again
        crashed = run_cli([], tmp_path, env, code="raise ValueError('boom')")
        assert crashed.returncode == 1 and "ValueError: boom" in crashed.stderr
        with pytest.raises(subprocess.TimeoutExpired):
            run_cli([], tmp_path, env, code="import time; time.sleep(60)", timeout=1)
        assert run_cli(["--version"], tmp_path, env).returncode == 0  # the runner goes on
        # The full command line runs the command tree the server built once: same as a new process.
        warm_runs = [run_cli(args, tmp_path, env) for args in (["rehearse", "--help"], ["promote", "-f"], ["nope"])]
    assert active() is None
    cold_runs = [run_cli(args, tmp_path, env) for args in (["rehearse", "--help"], ["promote", "-f"], ["nope"])]
    cold = "python -m artigov.cli"  # a new interpreter's name for itself; the console script's is artigov
    assert [(r.returncode, r.stdout, r.stderr) for r in warm_runs] == [
        (r.returncode, r.stdout.replace(cold, "artigov"), r.stderr.replace(cold, "artigov")) for r in cold_runs
    ]
    assert [r.returncode for r in cold_runs] == [0, 2, 2] and "--quick" in cold_runs[0].stdout


def test_a_rehearsals_commands_are_given_a_door_for_the_determinism_rerun(tmp_path: Path) -> None:
    """Each forked command is told (ARTIGOV_DETERMINISM_DOOR) of a door whose server hashes with the
    seed a promotion's rerun asks for; it answers while the rehearsal lasts and is gone after."""
    from artigov.core import call_door
    from artigov.hydrate import DETERMINISM_DOOR_ENV, RERUN_SEED

    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIGOV_FAULT") and k != DETERMINISM_DOOR_ENV}
    with warm():
        named = run_cli([], tmp_path, env, code=f"import os; print(os.environ[{DETERMINISM_DOOR_ENV!r}])")
        seed, _, path = named.stdout.strip().partition(":")
        assert named.returncode == 0 and seed == RERUN_SEED and Path(path).is_socket()
        rerun = call_door(path, ["artigov.hydrate._selfcheck", str(tmp_path), "f", "s"], tmp_path, env)
        assert rerun is not None and rerun.returncode == 1  # the rerun ran (no workspace there to plan)
    assert call_door(path, ["x"], tmp_path, env) is None and not Path(path).exists()
    assert DETERMINISM_DOOR_ENV not in run_cli([], tmp_path, env, code="import os; print(*os.environ)").stdout
