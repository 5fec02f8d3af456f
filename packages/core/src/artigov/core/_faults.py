"""Fault injection for crash rehearsals, inert unless the environment asks.

Two ways to stop a writer on purpose:

* ``ARTIGOV_FAULT=<name>``: the process calls ``os._exit`` at the named point
  (``after-lock``, ``after-journal-append``, ``mid-temp-write``, ...).
* ``ARTIGOV_FAULT_PAUSE=<name>``: the process stops at the named point, creates the file
  ``ARTIGOV_FAULT_PAUSE_FILE`` to say so, and sleeps (up to a minute), so a test can signal it at
  a known place instead of guessing with a timer.
* ``ARTIGOV_FAULT_STEP=<i>``: every file-system call of a writer goes
  through :func:`fs_step`, which numbers the calls; at call ``i`` the process
  exits (``ARTIGOV_FAULT_MODE=crash``, the default) or the call fails with
  ``ENOSPC`` (``ARTIGOV_FAULT_MODE=enospc``) or ``EIO`` (``eio``).
* ``ARTIGOV_FAULT_TRACE=<file>``: every call of :func:`fs_step` appends ``<i> <op>`` to the file,
  so one uninterrupted run tells a rehearsal how many steps a command takes and what each one is.

The environment is read once, at import; with neither variable set each hook
is one comparison.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping

__all__ = [
    "FAULT_EXIT_CODE",
    "configure_faults",
    "fault_pause",
    "fault_point",
    "fault_requested",
    "fs_step",
    "steps_taken",
]

#: Exit status of a process stopped by a fault point (EX_SOFTWARE).
FAULT_EXIT_CODE = 70


class _Settings:
    """What the environment asked for (see the module's docstring)."""

    fault: str | None = None
    step: int | None = None
    mode = "crash"
    pause: str | None = None
    trace: str | None = None


class _Counter:
    value = 0


def configure_faults(environ: Mapping[str, str]) -> None:
    """Read the fault settings from ``environ`` (done once at import; again only by a process that
    was forked to run a new command, such as a rehearsal's warm runner), and restart the step count."""
    _Settings.fault = environ.get("ARTIGOV_FAULT") or None
    raw = environ.get("ARTIGOV_FAULT_STEP") or None
    _Settings.step = int(raw) if raw and raw.isdigit() else None
    _Settings.mode = environ.get("ARTIGOV_FAULT_MODE", "crash")
    _Settings.pause = environ.get("ARTIGOV_FAULT_PAUSE") or None
    _Settings.trace = environ.get("ARTIGOV_FAULT_TRACE") or None
    _Counter.value = 0


configure_faults(os.environ)


def fault_requested(name: str) -> bool:
    """True when ``ARTIGOV_FAULT`` names this point (for points that act themselves)."""
    return name == _Settings.fault


def fault_point(name: str) -> None:
    """Exit the process at once if ``ARTIGOV_FAULT`` names this point."""
    if name == _Settings.fault:
        os._exit(FAULT_EXIT_CODE)


def fault_pause(name: str) -> None:
    """Stop here (announce it with ``ARTIGOV_FAULT_PAUSE_FILE``, then sleep) if ``ARTIGOV_FAULT_PAUSE``
    names this point; a signal ends the sleep the way it would end the work."""
    if name != _Settings.pause:
        return
    import time

    marker = os.environ.get("ARTIGOV_FAULT_PAUSE_FILE")
    if marker:
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
    time.sleep(60)


def fs_step(op: str) -> None:
    """Count one file-system call (``op`` names it); crash or fail at the chosen step."""
    _Counter.value += 1
    step = _Counter.value
    if _Settings.trace is not None:
        with open(_Settings.trace, "a", encoding="utf-8") as f:
            f.write(f"{step} {op}\n")
    if _Settings.step is None or step != _Settings.step:
        return
    if _Settings.mode == "enospc":
        raise OSError(errno.ENOSPC, f"No space left on device (injected at step {step}: {op})")
    if _Settings.mode == "eio":
        raise OSError(errno.EIO, f"Input/output error (injected at step {step}: {op})")
    os._exit(FAULT_EXIT_CODE)


def steps_taken() -> int:
    """How many file-system steps this process has counted."""
    return _Counter.value
