"""The fork server (core/_forkserver.py): one warm process forks a child per command. Real
processes, real signals."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from artigov.core import ForkServer

SLOW = "import time; print('started', flush=True); time.sleep(30)"


def test_a_command_killed_at_any_moment_after_its_fork_ends_with_minus_nine_and_what_it_printed(
    tmp_path: Path,
) -> None:
    """A crash rehearsal SIGKILLs a forked command at random moments, some before the child has set
    up its output files: its outcome is still -9 with the output it printed (none), never a missing
    file (the fault that failed CI: ``…/45.out: No such file or directory``)."""
    with ForkServer(["artigov.core"]) as runner:
        for _ in range(20):  # killed at once: before the child has opened its output, most times
            forked = runner.start([], tmp_path, os.environ, code=SLOW)
            os.kill(forked.pid, signal.SIGKILL)
            done = forked.result([])
            assert done.returncode == -9
            # what it printed before the kill: a prefix of its line (with PYTHONUNBUFFERED, as CI
            # sets it, print writes "started" and "\n" apart, and the kill can fall between them)
            assert "started\n".startswith(done.stdout)
            assert done.stderr == ""


def test_a_command_whose_folder_is_gone_says_so_in_its_own_error_output(tmp_path: Path) -> None:
    """The child sets up its output before it enters the request's folder: a folder that is gone
    is the command's error (exit 1, said on its stderr), not text on the server's own streams."""
    with ForkServer(["artigov.core"]) as runner:
        done = runner.run([], tmp_path / "gone", os.environ, code="print('never')")
        assert done.returncode == 1
        assert "FileNotFoundError" in done.stderr
        assert str(tmp_path / "gone") in done.stderr
        assert runner.run([], tmp_path, os.environ, code="print('next')").stdout == "next\n"
