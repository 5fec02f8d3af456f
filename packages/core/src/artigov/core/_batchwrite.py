"""Replace many files durably with one file-system sync: the batch seam (used by ``adopt --apply``).

:func:`artigov.core.write_atomic` makes each file durable on its own (fsync the temp file, rename,
fsync the folder): a command that rewrites a thousand files pays a thousand syncs. :func:`write_batch`
keeps the same promise for every file (a reader, or a crash, finds the old bytes or the new, never
a torn file) with one sync for all of them:

1. every temp file is written (``.NAME.tmp.PID`` beside its target, as ``write_atomic`` names it),
   none renamed yet;
2. one ``syncfs`` of the file system that holds them (Linux), or an fsync of each temp file where
   ``syncfs`` is missing, so every new byte is on disk before any target changes;
3. each temp file is renamed over its target, in the order given;
4. one more ``syncfs`` makes the renames durable (or an fsync of each folder, once).

A failure before step 3 removes the temp files and leaves every target as it was. A crash during
step 3 leaves some targets new and the others old, each whole (as ``write_atomic`` called once per
file would), and a temp file per target not yet renamed, named after the dead writer's pid.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

from artigov.core._atomic import Chunks, fsync_dir, temp_path_for, write_all
from artigov.core._faults import fault_point, fs_step
from artigov.core.errors import DiskError

__all__ = ["write_batch"]


@cache
def _syncfs() -> Any:
    """libc's ``syncfs``, or None where there is none (it is Linux's)."""
    with suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).syncfs
    return None


def _sync_devices(folders: dict[int, Path]) -> None:
    """``syncfs`` once per file system (``folders``: a folder on each, by device number)."""
    syncfs = _syncfs()
    for folder in folders.values():
        fs_step("batch-sync")
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if syncfs(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err), str(folder))
        finally:
            os.close(fd)


def write_batch(files: Sequence[tuple[Path, Chunks]], *, mode: int = 0o644) -> None:
    """Replace each ``path`` with its ``data``, atomically and durably, with one sync for the batch.

    The caller holds whatever lock guards the files. Folders must exist.

    Raises:
        DiskError: a write or sync failed (no target changed, no temp file left), or a rename or a
            folder's sync failed (the error names the file; the files before it are new).
        ValueError: a path is given twice (its two temp files would be one); nothing is written.
    """
    if not files:
        return
    if len({path for path, _ in files}) != len(files):
        raise ValueError("write_batch: a path is given twice")
    temps = [temp_path_for(path) for path, _ in files]
    per_file = _syncfs() is None  # no syncfs: each temp file is fsynced as write_atomic does
    devices: dict[int, Path] = {}
    written = 0
    current = files[0][0]
    try:
        for (path, data), tmp in zip(files, temps, strict=True):
            current = path
            fs_step("temp-open")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            written += 1
            try:
                fs_step("temp-write")
                write_all(fd, data)
                if per_file:
                    fs_step("temp-fsync")
                    os.fsync(fd)
                else:
                    devices.setdefault(os.fstat(fd).st_dev, path.parent)
            finally:
                os.close(fd)
        if devices:
            _sync_devices(devices)
    except OSError as e:
        _remove(temps[:written])
        raise DiskError(current, e) from e
    fault_point("after-temp-fsync")
    for index, ((path, _), tmp) in enumerate(zip(files, temps, strict=True)):
        try:
            fs_step("rename")
            tmp.replace(path)
        except OSError as e:
            _remove(temps[index:])
            raise DiskError(path, e) from e
    fault_point("after-rename")
    _sync_folders(sorted({path.parent for path, _ in files}), devices)


def _sync_folders(folders: list[Path], devices: dict[int, Path]) -> None:
    """Make the renames durable: the same ``syncfs`` again, or an fsync of each folder."""
    try:
        if devices:
            _sync_devices(devices)
            return
        for folder in folders:
            fsync_dir(folder)
    except OSError as e:
        raise DiskError(folders[0], e, replaced=True) from e


def _remove(temps: Sequence[Path]) -> None:
    for tmp in temps:
        with suppress(OSError):
            tmp.unlink()
