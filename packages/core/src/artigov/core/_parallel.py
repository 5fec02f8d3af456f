"""Splitting one job over the machine's cores with plain ``fork``.

:func:`fork_map` runs ``func`` on each item, the last one in this process and
the others in forked children, and returns the results in order. It is for
short, CPU- or syscall-bound jobs on data the parent already holds (checking
stat stamps, verifying the audit chain): a fork costs about a millisecond and
nothing but the result is pickled, where a process pool would pay tens of
milliseconds to start. Each child first drops the parent's inherited locks and
asks to die with the parent, so a killed writer never leaves a worker holding
its lock. Where ``fork`` is unavailable, the items run one after another here.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TypeVar

from artigov.core._atomic import release_inherited_locks, write_all

__all__ = ["bulk_results", "cores", "die_with_parent", "fork_map"]

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """The cores this process may use (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@contextmanager
def bulk_results() -> Iterator[None]:
    """Build or collect many small objects without Python's cyclic garbage collector scanning them
    again and again as they pile up (a speed seam: index entries, results and events are plain
    tuples, dicts and strings, no cycles, freed by reference counting). The collector is restored
    afterwards, whatever happens; nested uses leave it to the outermost."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def die_with_parent(parent: int) -> None:
    """In a forked child: drop inherited locks and ask the kernel to kill us when ``parent`` dies."""
    release_inherited_locks()
    with suppress(OSError, AttributeError):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the signal was armed


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def fork_map(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[func(item) for item in items]``, the items but the last in forked children.

    An exception in a child is raised here as a ``RuntimeError`` naming it (the
    child's own exception object does not cross the process boundary).
    """
    if len(items) < 2 or not hasattr(os, "fork"):
        return [func(item) for item in items]
    parent = os.getpid()
    children: list[tuple[int, int]] = []
    try:
        for item in items[:-1]:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                code = 0
                try:
                    os.close(read_end)
                    die_with_parent(parent)
                    try:
                        payload = pickle.dumps((True, func(item)), protocol=pickle.HIGHEST_PROTOCOL)
                    except BaseException as e:  # noqa: BLE001 - reported to the parent
                        payload = pickle.dumps((False, f"{type(e).__name__}: {e}"))
                    write_all(write_end, payload)
                except BaseException:  # noqa: BLE001
                    code = 1
                finally:
                    os._exit(code)
            os.close(write_end)
            children.append((pid, read_end))
        last = func(items[-1])
        results: list[R] = []
        for pid, read_end in children:
            data = _read_all(read_end)
            os.close(read_end)
            os.waitpid(pid, 0)
            if not data:
                raise RuntimeError("a worker process died without an answer")
            ok, value = pickle.loads(data)
            if not ok:
                raise RuntimeError(f"a worker process failed: {value}")
            results.append(value)
        children.clear()
        results.append(last)
        return results
    finally:
        for pid, read_end in children:  # on an error here: never leave children behind
            with suppress(OSError):
                os.close(read_end)
            with suppress(OSError):
                os.kill(pid, 9)
            with suppress(OSError):
                os.waitpid(pid, 0)
