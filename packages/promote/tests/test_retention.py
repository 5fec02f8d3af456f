"""Retention: prune never removes what a gate or its rollback needs, and an interrupted prune is finished."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from artigov.core import Workspace
from artigov.index import rebuild
from artigov.promote import (
    VerifyOptions,
    history,
    promote,
    prune,
)
from artigov.promote._store import SnapshotStore
from artigov.promote._verify import verify_snapshot

from .conftest import edit_plan, fault_runs


def test_prune_keeps_head_and_previous_good_and_is_dry_run_by_default(ws: Workspace) -> None:
    for i in range(4):
        if i:
            edit_plan(ws, f"# Plan v{i + 1}\n")
            ws.root.joinpath("frameworks/tp.md").write_text(
                ws.root.joinpath("frameworks/tp.md").read_text().replace(f"# Plan v{i}\n", f"# Plan v{i + 1}\n")
            )
            rebuild(ws)
        promote(ws, "f", "design")
    dry = prune(ws, "f")
    assert dry.deleted == [1, 2] and dry.kept == [3, 4] and SnapshotStore(ws, "f").sequences() == [1, 2, 3, 4]
    done = prune(ws, "f", apply=True)
    assert done.deleted == [1, 2] and SnapshotStore(ws, "f").sequences() == [3, 4]
    assert done.objects_deleted
    assert verify_snapshot(ws, "f").sequence == 4
    assert {r.sequence: r.status for r in history(ws, "f")}[1] == "pruned"


def test_prune_across_gates_keeps_every_gate_current_and_every_chain_verifiable(ws: Workspace) -> None:
    contract = ws.contracts_dir / "f.yaml"
    contract.write_text(
        contract.read_text()
        .replace("retention:\n  keep_last: 2", "retention:\n  keep_last: 1")
        .replace("retention:", "  - name: review\n    requires:\n      technical-plan: approved\nretention:")
    )
    promote(ws, "f", "design")  # 1
    promote(ws, "f", "review")  # 2: review's current
    for n in (3, 4):
        edit_plan(ws, f"# Plan v{n}\n")
        promote(ws, "f", "design")
    result = prune(ws, "f", apply=True)
    assert result.deleted == [1] and result.kept == [2, 3, 4]
    for gate, sequence in (("review", 2), ("design", 4)):
        assert verify_snapshot(ws, "f", options=VerifyOptions(gate=gate)).sequence == sequence
    assert verify_snapshot(ws, "f", 3).sequence == 3
    events = [json.loads(x) for x in SnapshotStore(ws, "f").decisions_path.read_bytes().splitlines()]
    assert [e["data"]["sequence"] for e in events if e["event"] == "snapshot_pruned"] == [1]


@pytest.mark.slow
def test_every_file_system_step_of_prune_leaves_a_history_that_verifies_and_a_rerun_finishes_it(
    ws: Workspace, tmp_path: Path
) -> None:
    import shutil

    from artigov.core import load_workspace

    promote(ws, "f", "design")
    for n in (2, 3, 4):
        edit_plan(ws, f"# Plan v{n}\n")
        promote(ws, "f", "design")
    template = tmp_path / "template"
    shutil.copytree(ws.root, template, symlinks=True)
    call = 'prune(ws, "f", apply=True)'
    for run, _, _, where in fault_runs(template, tmp_path, call, lambda w: prune(w, "f", apply=True)):
        rws = load_workspace(run)
        assert verify_snapshot(rws, "f").sequence == 4, where
        prune(rws, "f", apply=True)
        store = SnapshotStore(rws, "f")
        assert store.sequences() == [3, 4] and sorted(store.pruned()) == [1, 2], where
        events = [json.loads(x) for x in store.decisions_path.read_bytes().splitlines()]
        assert sorted(e["data"]["sequence"] for e in events if e["event"] == "snapshot_pruned") == [1, 2], where
        assert verify_snapshot(rws, "f", 3).sequence == 3, where
