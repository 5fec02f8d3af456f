"""A leftover snapshot folder (``snapshots/.NNNNNN.tmp``) is evidence, not an instruction: it never
rewrites committed history. Planted, or left by a crashed promote and then joined by a prune pulled
from another clone, it is set aside (kept, reported in one line) and the decision log keeps every
line, whichever command meets it first."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from artigov.core import Workspace, canonical_json, load_workspace
from artigov.promote import RollbackOptions, check_decision_logs, promote, prune, repair_head, rollback, verify_all
from artigov.promote._store import SnapshotStore

from .conftest import edit_plan


def _three_snapshots(ws: Workspace) -> SnapshotStore:
    for text in ("# Plan v2\n", "# Plan v3\n", None):
        promote(ws, "f", "design")
        if text:
            edit_plan(ws, text)
    return SnapshotStore(ws, "f")


def _plant(store: SnapshotStore, sequence_in_manifest: int | None) -> Path:
    """Copy snapshot 1 into the temp folder of HEAD + 1 (its manifest's sequence rewritten, if asked)."""
    head = store.head()
    assert head is not None
    tmp = store.tmp_dir(head.sequence + 1)
    shutil.copytree(store.seq_dir(1), tmp)
    if sequence_in_manifest is not None:
        path = tmp / "manifest.json"
        value = json.loads(path.read_bytes())
        value["sequence"] = sequence_in_manifest
        path.chmod(0o644)
        path.write_bytes(canonical_json(value))
    return tmp


COMMANDS: dict[str, Callable[[Workspace], object]] = {
    "repair-head": lambda ws: repair_head(ws, "f"),
    "promote": lambda ws: promote(ws, "f", "design"),
    "prune --apply": lambda ws: prune(ws, "f", apply=True),
    "rollback": lambda ws: rollback(ws, "f", reason="leftover test", options=RollbackOptions(to=1)),
}


@pytest.mark.parametrize("forged", [False, True], ids=["copied", "renumbered"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_planted_leftover_never_cuts_the_log(ws: Workspace, command: str, forged: bool) -> None:
    store = _three_snapshots(ws)
    before = store.decisions_path.read_bytes()
    tmp = _plant(store, 4 if forged else None)
    COMMANDS[command](ws)
    after = store.decisions_path.read_bytes()
    assert after.startswith(before), f"{command} cut committed lines out of the decision log"
    assert not tmp.exists()  # moved out of the record...
    kept = list((ws.state_dir / "set-aside" / "f").iterdir())
    assert len(kept) == 1 and (kept[0] / "manifest.json").is_file()  # ...and kept as evidence
    assert all(r.ok for r in verify_all(ws)), verify_all(ws)
    assert all(c.ok for c in check_decision_logs(ws))


def _crash_promote(ws: Workspace, point: str) -> None:
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core._workspace import load_workspace
        from artigov.promote import promote
        promote(load_workspace(Path({str(ws.root)!r})), "f", "design")
        """)
    env = {**os.environ, "ARTIGOV_FAULT": point}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 70, done.stderr


def test_a_crashed_promotion_joined_by_a_pulled_prune_is_set_aside_and_the_prune_lines_stay(
    ws: Workspace, tmp_path: Path
) -> None:
    store = _three_snapshots(ws)
    # Another clone (a copy of this one) prunes and "pushes": its record is what a pull brings.
    other = tmp_path / "other"
    shutil.copytree(ws.root, other, symlinks=True)
    pruned = prune(load_workspace(other), "f", apply=True)
    assert pruned.deleted, "the other clone pruned something"
    # Here, a promotion crashes before its commit point: its temp folder stays.
    edit_plan(ws, "# Plan v4\n")
    _crash_promote(ws, "after-signature")
    assert store.unfinished() == [4]
    # The pull: the other clone's record replaces ours (a fast-forward; temp folders are git-ignored).
    theirs = SnapshotStore(load_workspace(other), "f")
    for name in ("decisions.jsonl", "HEAD", "pruned.json"):
        (store.dir / name).unlink(missing_ok=True)
        shutil.copy2(theirs.dir / name, store.dir / name)
    for seq in pruned.deleted:
        shutil.rmtree(store.seq_dir(seq))
    pulled = store.decisions_path.read_bytes()
    done = promote(ws, "f", "design")
    assert store.decisions_path.read_bytes().startswith(pulled), "the pulled prune lines were cut"
    assert done.sequence == 4 and not store.unfinished()
    assert [p.name for p in (ws.state_dir / "set-aside" / "f").iterdir()] == ["000004.tmp-1"]
    assert all(r.ok for r in verify_all(ws)) and all(c.ok for c in check_decision_logs(ws))


@pytest.mark.parametrize("point", ["after-signature", "mid-decisions-append"])
def test_an_own_unfinished_promotion_is_still_discarded_and_its_partial_batch_removed(
    ws: Workspace, point: str
) -> None:
    store = _three_snapshots(ws)
    before = store.decisions_path.read_bytes()
    edit_plan(ws, "# Plan v4\n")
    _crash_promote(ws, point)
    assert promote(ws, "f", "design").sequence == 4
    assert store.decisions_path.read_bytes().startswith(before)
    assert not (ws.state_dir / "set-aside").exists()  # provably its own: nothing to keep
    assert all(r.ok for r in verify_all(ws))


def test_audit_verify_checks_every_snapshots_pin_not_only_the_heads(ws: Workspace) -> None:
    """The log cut back to snapshot 2's pin and HEAD moved back with it (what a bad roll-forward did):
    the head's pin holds, snapshot 3's does not, and audit verify says so."""
    from artigov.core import digest_bytes, write_atomic
    from artigov.promote._store import Head

    store = _three_snapshots(ws)
    pin2 = json.loads(store.manifest_bytes(2))["decisions"]["lines"]
    lines = store.decisions_path.read_bytes().splitlines(keepends=True)
    store.decisions_path.write_bytes(b"".join(lines[:pin2]))
    second = digest_bytes(store.manifest_bytes(2))
    write_atomic(store.head_path, Head(2, second).with_gate("design", 2, second).to_bytes())
    check = check_decision_logs(ws)[0]
    assert not check.ok and "snapshot 3" in str(check.problem)
    assert not all(r.ok for r in verify_all(ws))
