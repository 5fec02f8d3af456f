"""Restoring a snapshot's files as one switch: the old tree or the new one, never half of each.

A rollback writes every file it restores as a staged copy beside its target
(``.<name>.restore-tmp``), records the rollback snapshot (the decision log append is the commit
point of the rollback, tree included), then switches the files in with one rename each. A journal
in the local state folder (``restore-<framework>.journal``, ``SnapshotStore.restore_journal``) says where it stands:

1. ``staging`` (written first, listing every target, its staged copy and the rollback snapshot's
   sequence): a crash now is rolled forward by the next command if the decision log records that
   snapshot (the rollback reached its commit point), else undone: the staged copies are removed
   and the tree stays the old one. So a killed rollback leaves the old tree and the old record,
   or the new tree and the new record, never a restored tree nobody recorded;
2. ``switching`` (written once the snapshot is recorded): a crash now is rolled forward;
3. the journal is removed once the renames and the index update are done.

Every step counts as a file-system step for the fault sweep (:func:`artigov.core._faults.fs_step`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Container, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from artigov.core import DiskError, fault_point, fs_step, fsync_dir, get_logger, write_all, write_atomic
from artigov.promote.errors import PromotionError

if TYPE_CHECKING:
    from artigov.promote._store import SnapshotStore

__all__ = ["finish_restore", "recover_restore", "stage_files", "switch_staged", "unstage"]

log = get_logger(__name__)


def _staged(target: Path) -> Path:
    return target.with_name(f".{target.name}.restore-tmp")


def _write_journal(store: SnapshotStore, state: str, targets: Sequence[Path], sequence: int) -> None:
    body = {"state": state, "files": [store.ws.rel(t) for t in targets], "sequence": sequence}
    write_atomic(store.restore_journal, (json.dumps(body, sort_keys=True) + "\n").encode(), lock=False)


def stage_files(store: SnapshotStore, planned: Sequence[tuple[Path, bytes]], sequence: int) -> list[Path]:
    """Stage ``planned`` (target, bytes) beside their targets for the rollback snapshot ``sequence``
    (see the module doc); return the targets. Nothing of the tree changes yet.

    The caller holds the framework lock and has checked every target path.

    Raises:
        PromotionError: a copy could not be staged (the staged ones are removed: nothing changed).
    """
    targets = [t for t, _ in planned]
    _write_journal(store, "staging", targets, sequence)
    try:
        for target, data in planned:
            _stage(target, data)
            fault_point("restore-staged")
    except (OSError, DiskError) as e:
        unstage(store, targets)
        why = e.message if isinstance(e, DiskError) else (e.strerror or str(e))
        raise PromotionError(f"could not stage the files to restore ({why}); nothing was restored") from e
    return targets


def unstage(store: SnapshotStore, targets: Sequence[Path]) -> None:
    """Remove the staged copies and the journal: the rollback was not recorded, the tree stays."""
    for target in targets:
        _staged(target).unlink(missing_ok=True)
    store.restore_journal.unlink(missing_ok=True)


def switch_staged(store: SnapshotStore, targets: Sequence[Path], sequence: int) -> None:
    """After the rollback snapshot ``sequence`` is recorded: switch the staged copies in.

    Raises:
        PromotionError: a rename failed (the next command finishes the switch: it is recorded).
    """
    try:
        _write_journal(store, "switching", targets, sequence)
        fault_point("restore-switching")
        _switch(targets)
    except (OSError, DiskError) as e:
        why = e.message if isinstance(e, DiskError) else (e.strerror or str(e))
        raise PromotionError(
            f"the rollback is recorded but its files were not all switched in ({why})",
            fix="free the disk and run any promote, rollback or repair-head: it finishes the switch first",
        ) from e


def _stage(target: Path, data: bytes) -> None:
    staged = _staged(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fs_step("restore-stage-open")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        fs_step("restore-stage-write")
        write_all(fd, data)
        fs_step("restore-stage-fsync")
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch(targets: Sequence[Path]) -> None:
    folders = set()
    for target in targets:
        staged = _staged(target)
        if staged.exists():
            fs_step("restore-rename")
            staged.replace(target)
            folders.add(target.parent)
    for folder in sorted(folders):
        fsync_dir(folder)


def _recorded(store: SnapshotStore) -> Container[int]:
    """The snapshots the framework's decision log records."""
    from artigov.promote._decisions import DecisionLog

    return DecisionLog(store.decisions_path).recorded()


def finish_restore(store: SnapshotStore) -> None:
    """The restored files are in place and indexed: the journal goes."""
    try:
        fs_step("restore-journal-unlink")
        store.restore_journal.unlink(missing_ok=True)
    except OSError as e:
        raise PromotionError(
            f"the restored files are in place, but the restore journal could not be removed ({e.strerror or e})",
            fix="run the command again",
        ) from e


def recover_restore(store: SnapshotStore) -> list[str]:
    """Finish or undo an interrupted restore of ``store``'s framework; return the files it touched:
    rolled forward when it was switching or its rollback snapshot is recorded in the decision log,
    else undone.

    The caller holds the framework lock."""
    ws, framework = store.ws, store.framework
    path = store.restore_journal
    try:
        body = json.loads(path.read_bytes())
        state = str(body["state"])
        files = [str(f) for f in body["files"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        path.unlink(missing_ok=True)  # a torn journal was written before anything was staged
        return []
    targets = [ws.root / f for f in files]
    if state == "switching" or body.get("sequence") in _recorded(store):
        _switch(targets)
        from artigov.index import add as index_add

        index_add(ws, [t for t in targets if t.exists()])
        outcome = "rolled forward: the restored files are in place"
    else:
        for target in targets:
            _staged(target).unlink(missing_ok=True)
        outcome = "undone: the files were left as they were"
    path.unlink(missing_ok=True)
    log.info(
        "restore_recovered", audit=True, framework=framework, subject=ws.rel(path), outcome=outcome, files=len(files)
    )
    return files
