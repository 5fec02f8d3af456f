"""Locks and atomic writes: the only way artigov puts bytes on disk.

``write_atomic`` takes the lock ``<path>.lock``, writes a temp file in the same
directory, fsyncs it, ``os.replace``s it over the target and fsyncs the
directory, so a reader sees the old file or the new one, never a torn one.
Every step goes through :func:`artigov.core._faults.fs_step` so crash tests can
stop or fail the writer at each one.

Locks are ``flock`` locks: the kernel releases them when the holder dies, so a
killed writer never leaves a stale lock. The holder writes ``pid=<pid>
host=<host>`` into the lock file for the error message. Limits: flock is
local-only (NFS is not supported) and a forked child inherits the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from artigov.core._faults import fault_point, fault_requested, fs_step
from artigov.core.errors import DiskError, LockTimeoutError

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "Chunks",
    "FileLock",
    "flock_exclusive",
    "fsync_dir",
    "lock_path_for",
    "release_inherited_locks",
    "temp_path_for",
    "write_all",
    "write_atomic",
    "write_new",
]

#: File descriptors of the locks this process holds (a forked child must close them).
_HELD: set[int] = set()


def release_inherited_locks() -> None:
    """In a forked child: close the parent's lock descriptors.

    An flock belongs to the open file description, so a child that kept the descriptor would keep
    the lock after its parent died; worker processes call this first so a lock never outlives the
    writer that took it.
    """
    for fd in list(_HELD):
        with suppress(OSError):
            os.close(fd)
    _HELD.clear()


DEFAULT_LOCK_TIMEOUT = 30.0
_POLL = 0.02


def lock_path_for(path: Path) -> Path:
    """The lock file guarding ``path``."""
    return path.with_name(path.name + ".lock")


class FileLock:
    """An exclusive ``flock`` on a lock file, waited for up to ``timeout`` seconds."""

    def __init__(self, path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout``; stamp the lock file with this pid and host."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fs_step("lock-open")
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise DiskError(self.path, e) from e
        try:
            flock_exclusive(fd, self.path, self.timeout, stamped=True)
            stamp = f"pid={os.getpid()} host={os.uname().nodename}\n".encode()
            with suppress(OSError):  # the stamp only improves the error message of a waiting writer
                os.ftruncate(fd, 0)
                os.pwrite(fd, stamp, 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD.add(fd)

    def release(self) -> None:
        """Release the lock (closing the file releases the flock); a second call does nothing."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _HELD.discard(fd)
        with suppress(OSError):  # the lock is released by close below either way
            os.ftruncate(fd, 0)
        os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def flock_exclusive(fd: int, path: Path, timeout: float, *, stamped: bool = False) -> None:
    """Take an exclusive ``flock`` on the open file ``fd``, waiting up to ``timeout`` seconds: the one
    lock loop of artigov (lock files and append-only logs alike).

    Raises:
        LockTimeoutError: still held after ``timeout``; for a ``stamped`` lock file the message names
            the holder's pid and host.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeoutError(path, timeout, _read_holder(fd) if stamped else None) from None
            time.sleep(_POLL)


def _read_holder(fd: int) -> str | None:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return None
    return text or None


#: What a writer may hand over: one buffer, or pieces written in order (no join: no copy; an
#: iterable may read them as they are written).
Chunks = bytes | memoryview | Iterable[bytes | memoryview]


def write_all(fd: int, data: Chunks) -> None:
    """Write every byte of ``data`` (one buffer, or pieces in order) to ``fd`` (``os.write`` may write fewer)."""
    for piece in (data,) if isinstance(data, (bytes, memoryview)) else data:
        view = memoryview(piece)
        while view:
            view = view[os.write(fd, view) :]


def fsync_dir(directory: Path) -> None:
    """fsync a directory so a rename or create in it is durable."""
    fs_step("dir-open")
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fs_step("dir-fsync")
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _maybe_lock(path: Path, lock: bool, timeout: float) -> Iterator[None]:
    if not lock:
        yield
        return
    with FileLock(lock_path_for(path), timeout):
        yield


def temp_path_for(path: Path) -> Path:
    """The temp file this process writes ``path``'s new bytes to: ``.<name>.tmp.<pid>`` beside it
    (:func:`dead_writer_temps` finds those a dead writer left)."""
    return path.parent / f".{path.name}.tmp.{os.getpid()}"


def write_atomic(
    path: Path,
    data: Chunks,
    *,
    lock: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    mode: int = 0o644,
) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    Args:
        path: the file to write.
        data: its complete new content (or its pieces, in order).
        lock: take ``<path>.lock`` for the write; pass False when the caller
            already holds the lock that guards ``path``.
        lock_timeout: seconds to wait for the lock.
        mode: permission bits of the new file.

    Raises:
        LockTimeoutError: the lock stayed held past ``lock_timeout``.
        DiskError: a write, fsync or rename failed; ``path`` is unchanged and
            no temp file is left behind.
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    with _maybe_lock(path, lock, lock_timeout):
        tmp = temp_path_for(path)
        try:
            fs_step("temp-open")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            try:
                if fault_requested("mid-temp-write"):
                    whole = bytes(data) if isinstance(data, (bytes, memoryview)) else b"".join(data)
                    os.write(fd, whole[: len(whole) // 2])
                    os.fsync(fd)
                    fault_point("mid-temp-write")
                fs_step("temp-write")
                write_all(fd, data)
                fs_step("temp-fsync")
                os.fsync(fd)
            finally:
                os.close(fd)
            fault_point("after-temp-fsync")
            fs_step("rename")
            os.replace(tmp, path)
        except OSError as e:
            _unlink_quietly(tmp)
            raise DiskError(path, e) from e
        fault_point("after-rename")
        try:
            fsync_dir(directory)
        except OSError as e:
            raise DiskError(path, e, replaced=True) from e


def write_new(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Create ``path`` with ``data`` durably, never replacing an existing file (add-only records).

    The bytes are written to a temp file, fsynced, and linked to ``path``: the link fails if
    ``path`` exists, so two writers can never overwrite each other's file, and a reader sees the
    whole file or none.

    Raises:
        FileExistsError: ``path`` already exists (nothing was written).
        DiskError: a write, fsync or link failed; no temp file is left behind.
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(tmp, path)
    except FileExistsError:
        _unlink_quietly(tmp)
        raise
    except OSError as e:
        _unlink_quietly(tmp)
        raise DiskError(path, e) from e
    _unlink_quietly(tmp)
    try:
        fsync_dir(directory)
    except OSError as e:
        raise DiskError(path, e, replaced=True) from e


def _unlink_quietly(path: Path) -> None:
    # Best effort: a leftover temp file is harmless, hidden and named after its pid.
    with suppress(OSError):
        os.unlink(path)


def writer_gone(temp: Path) -> bool:
    """True when the writer whose pid ends the temp file's name (``….<pid>``) is no longer running
    (never this process, nor a live one of another user)."""
    pid = temp.name.rsplit(".", 1)[-1]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's live process
        return False
    return False


def dead_writer_temps(path: Path) -> list[Path]:
    """The temp files :func:`write_atomic` left beside ``path`` (``.<name>.tmp.<pid>``) whose writer
    is no longer running: leftovers of a crash, safe to remove (a live writer's are kept)."""
    return sorted(t for t in path.parent.glob(f".{path.name}.tmp.*") if writer_gone(t) and t.is_file())
