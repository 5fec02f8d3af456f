"""Restoring a snapshot's files as one switch: the old tree or the new one, never half of each.

A rollback writes every file it restores as a staged copy beside its target
(``.<name>.restore-tmp``), records the rollback snapshot (the decision log append is the commit
point of the rollback, tree included), then switches the files in with one rename each. A journal
in the local state folder (``restore-<framework>.journal``; :class:`RestoreJournal`, the store's
``restore``) says where it stands:

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
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from pathlib import Path

from artigov.core import DiskError, fault_point, fs_step, fsync_dir, get_logger, shown_path, write_all, write_atomic
from artigov.promote.errors import PromotionError

__all__ = ["RestoreJournal"]

log = get_logger(__name__)


def _staged(target: Path) -> Path:
    return target.with_name(f".{target.name}.restore-tmp")


def _why(e: OSError | DiskError) -> str:
    return e.message if isinstance(e, DiskError) else (e.strerror or str(e))


@dataclass(frozen=True)
class RestoreJournal:
    """A framework's restore journal (``state_dir/restore-<framework>.journal``) and the tree it
    restores into: the steps of a rollback's switch, and their recovery (see the module doc).

    It holds paths only (the journal, the workspace root its entries are relative to): the
    snapshot store holds one, and every step's caller holds the framework lock."""

    path: Path
    root: Path
    framework: str

    def _write(self, state: str, targets: Sequence[Path], sequence: int) -> None:
        files = [t.relative_to(self.root).as_posix() for t in targets]
        body = {"state": state, "files": files, "sequence": sequence}
        write_atomic(self.path, (json.dumps(body, sort_keys=True) + "\n").encode(), lock=False)

    def stage(self, planned: Sequence[tuple[Path, bytes]], sequence: int) -> list[Path]:
        """Stage ``planned`` (target, bytes) beside their targets for the rollback snapshot
        ``sequence``; return the targets. Nothing of the tree changes yet (every target path checked
        by the caller).

        Raises:
            PromotionError: a copy could not be staged (the staged ones are removed: nothing changed).
        """
        targets = [t for t, _ in planned]
        self._write("staging", targets, sequence)
        try:
            for target, data in planned:
                _stage(target, data)
                fault_point("restore-staged")
        except (OSError, DiskError) as e:
            self.unstage(targets)
            raise PromotionError(f"could not stage the files to restore ({_why(e)}); nothing was restored") from e
        return targets

    def unstage(self, targets: Sequence[Path]) -> None:
        """Remove the staged copies and the journal: the rollback was not recorded, the tree stays."""
        for target in targets:
            _staged(target).unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)

    def switch(self, targets: Sequence[Path], sequence: int) -> None:
        """After the rollback snapshot ``sequence`` is recorded: switch the staged copies in.

        Raises:
            PromotionError: a rename failed (the next command finishes the switch: it is recorded).
        """
        try:
            self._write("switching", targets, sequence)
            fault_point("restore-switching")
            _switch(targets)
        except (OSError, DiskError) as e:
            raise PromotionError(
                f"the rollback is recorded but its files were not all switched in ({_why(e)})",
                fix="free the disk and run any promote, rollback or repair-head: it finishes the switch first",
            ) from e

    def finish(self) -> None:
        """The restored files are in place and indexed: the journal goes."""
        try:
            fs_step("restore-journal-unlink")
            self.path.unlink(missing_ok=True)
        except OSError as e:
            raise PromotionError(
                f"the restored files are in place, but the restore journal could not be removed ({e.strerror or e})",
                fix="run the command again",
            ) from e

    def recover(self, recorded: Callable[[], Container[int]], reindex: Callable[[list[Path]], object]) -> str | None:
        """Finish or undo an interrupted restore: rolled forward (its files switched in and given to
        ``reindex``) when it was switching or its rollback snapshot is in ``recorded()`` (the
        snapshots the decision log records, read only when there is a journal), else undone.
        Returns the line that says what was done, or None when there was nothing to recover."""
        try:
            body = json.loads(self.path.read_bytes())
            state = str(body["state"])
            files = [str(f) for f in body["files"]]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            self.path.unlink(missing_ok=True)  # a torn journal was written before anything was staged
            return None
        targets = [self.root / f for f in files]
        if state == "switching" or body.get("sequence") in recorded():
            _switch(targets)
            reindex([t for t in targets if t.exists()])
            outcome = "rolled forward: the restored files are in place"
        else:
            for target in targets:
                _staged(target).unlink(missing_ok=True)
            outcome = "undone: the files were left as they were"
        self.path.unlink(missing_ok=True)
        subject = shown_path(self.path, self.root)
        log.info(
            "restore_recovered",
            audit=True,
            framework=self.framework,
            subject=subject,
            outcome=outcome,
            files=len(files),
        )
        return f"the interrupted restore of {len(files)} file(s) was {outcome}"


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
