"""Rollback: an earlier snapshot's files restored, recorded as a new signed snapshot of its gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from artigov.core import Workspace
from artigov.index import verify as index_verify
from artigov.promote import (
    PromotionError,
    RollbackOptions,
    VerificationError,
    VerifyOptions,
    history,
    promote,
    rollback,
)
from artigov.promote._decisions import DecisionLog
from artigov.promote._store import SnapshotStore
from artigov.promote._verify import verify_snapshot

from .conftest import FAULT_MODES, edit_plan, fault_runs, mid_switch, two_file_history, verify_code


def test_rollback_restores_bytes_and_appends_a_new_signed_snapshot(ws: Workspace) -> None:
    promote(ws, "f", "design")
    original = (ws.root / "frameworks/tp.md").read_bytes()
    edit_plan(ws, "# Plan v2 (bad)\n")
    promote(ws, "f", "design")
    with pytest.raises(PromotionError, match="needs a reason"):
        rollback(ws, "f", reason=" ")
    r = rollback(ws, "f", reason="plan v2 was not reviewed")
    assert r.sequence == 3 and r.rollback_of == 1
    assert (ws.root / "frameworks/tp.md").read_bytes() == original
    assert index_verify(ws).ok
    assert sorted(p.name for p in (ws.root / "frameworks").iterdir()) == ["rr.md", "tp.md"]  # no stray lock/temp files
    store = SnapshotStore(ws, "f")
    from artigov.core import digest_bytes

    third = store.manifest(3)
    assert third.parent == digest_bytes(store.manifest_bytes(2))
    assert third.rollback_of == 1 and third.inputs == store.manifest(1).inputs
    assert verify_snapshot(ws, "f").sequence == 3
    statuses = {row.sequence: row.status for row in history(ws, "f")}
    assert statuses == {1: "superseded", 2: "rolled back", 3: "current"}


def test_rollback_refuses_paths_that_escape(ws: Workspace) -> None:
    from artigov.promote import Manifest
    from artigov.promote._rollback import _planned

    promote(ws, "f", "design")
    manifest = json.loads(SnapshotStore(ws, "f").manifest_bytes(1))
    for bad in ("../outside.md", "/etc/passwd"):
        evil = {**manifest, "inputs": [{**manifest["inputs"][0], "path": bad}]}
        with pytest.raises(PromotionError, match="refusing to restore"):
            _planned(SnapshotStore(ws, "f"), Manifest.from_dict(evil))
    os.symlink("/tmp", ws.root / "frameworks" / "link")
    evil = {**manifest, "inputs": [{**manifest["inputs"][0], "path": "frameworks/link/x.md"}]}
    with pytest.raises(PromotionError):
        _planned(SnapshotStore(ws, "f"), Manifest.from_dict(evil))


def test_gates_have_their_own_current_snapshot_and_roll_back_alone(ws: Workspace) -> None:
    contract = ws.contracts_dir / "f.yaml"
    contract.write_text(
        contract.read_text().replace(
            "retention:", "  - name: review\n    requires:\n      technical-plan: approved\nretention:"
        )
    )
    design1 = promote(ws, "f", "design")
    review = promote(ws, "f", "review")
    edit_plan(ws, "# Plan v2\n")
    design2 = promote(ws, "f", "design")
    head = SnapshotStore(ws, "f").head()
    assert head is not None and {g: h.sequence for g, h in head.gates.items()} == {"design": 3, "review": 2}
    assert verify_snapshot(ws, "f", options=VerifyOptions(gate="review")).sequence == review.sequence == 2
    back = rollback(ws, "f", reason="v2 was wrong", options=RollbackOptions(gate="design"))
    assert back.rollback_of == design1.sequence and back.gate == "design"
    head = SnapshotStore(ws, "f").head()
    assert head is not None and {g: h.sequence for g, h in head.gates.items()} == {"design": 4, "review": 2}
    assert design2.sequence == 3
    # a hand-edited gate list is caught
    from artigov.core import write_atomic
    from artigov.promote._store import GateHead, Head

    forged = Head(head.sequence, head.digest, {**head.gates, "design": GateHead(1, design1.digest)})
    write_atomic(SnapshotStore(ws, "f").head_path, forged.to_bytes())
    assert verify_code(ws) == "V019"


@pytest.mark.parametrize(
    "target",
    [
        "artigov.yaml",
        "contracts/f.yaml",
        ".git/hooks/pre-commit",
        "governance/f/HEAD",
        ".artigov/audit.jsonl",
        "notes/outside-the-globs.md",
        "frameworks/linked/tp.md",
    ],
)
def test_a_forged_but_validly_signed_manifest_restores_nothing_outside_the_artifact_set(
    ws: Workspace,
    keys,
    target: str,  # type: ignore[no-untyped-def]
) -> None:
    from artigov.core import canonical_json, digest_bytes, sign_detached, write_atomic
    from artigov.promote._store import Head

    (ws.root / "elsewhere").mkdir()
    (ws.root / "frameworks" / "linked").symlink_to(ws.root / "elsewhere")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    forged = json.loads(store.manifest_bytes(1))
    forged["inputs"][0]["path"] = target
    data = canonical_json(forged)
    for name, content in (("manifest.json", data), ("manifest.json.asc", sign_detached(data, keys.good, keys.home))):
        (store.seq_dir(1) / name).chmod(0o644)
        (store.seq_dir(1) / name).write_bytes(content)
    digest = digest_bytes(data)
    write_atomic(store.head_path, Head(1, digest).with_gate("design", 1, digest).to_bytes())
    assert verify_snapshot(ws, "f").sequence == 1  # the forgery verifies: it is signed by a trusted key
    edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    victim = ws.root / target
    existed = victim.read_bytes() if victim.is_file() else None
    with pytest.raises(PromotionError, match="refusing to restore"):
        rollback(ws, "f", reason="replay a forged manifest", options=RollbackOptions(to=1))
    assert (victim.read_bytes() if victim.is_file() else None) == existed
    assert not (ws.root / "elsewhere" / "tp.md").exists()
    assert SnapshotStore(ws, "f").head().sequence == 2  # type: ignore[union-attr]


@pytest.mark.slow
@pytest.mark.parametrize("mode", FAULT_MODES)
def test_every_file_system_step_of_rollback_leaves_the_old_tree_or_the_new_one(
    ws: Workspace, tmp_path: Path, mode: str
) -> None:
    import shutil

    from artigov.core import load_workspace
    from artigov.index import verify as index_verify_
    from artigov.promote._migrate import repair_head

    v1, v2 = two_file_history(ws)
    template = tmp_path / "template"
    shutil.copytree(ws.root, template, symlinks=True)
    call = 'rollback(ws, "f", reason="sweep", options=RollbackOptions(to=1))'
    probe = lambda w: rollback(w, "f", reason="probe", options=RollbackOptions(to=1))  # noqa: E731
    for run, _, _, where in fault_runs(template, tmp_path, call, probe, (mode,)):
        files = {n: (run / n).read_bytes() for n in v1}
        assert files in (v1, v2) or mid_switch(run), where  # never half, unless the next command finishes it
        rws = load_workspace(run)
        try:
            head = verify_snapshot(rws, "f").sequence
        except VerificationError as e:
            assert e.code == "V020", where + str(e)
            head = repair_head(rws, "f").head
        assert head in (2, 3), where
        again = rollback(rws, "f", reason="again", options=RollbackOptions(to=1))
        assert {n: (run / n).read_bytes() for n in v1} == v1, where
        assert verify_snapshot(rws, "f").sequence == again.sequence and index_verify_(rws).ok, where
        assert not list(run.rglob("*.restore-tmp")), where


@pytest.mark.parametrize(
    ("point", "tree"),
    [
        ("restore-staged", "old"),  # before the commit point: the old tree and the old record
        ("after-decisions", "new"),  # recorded, not yet switched: the next command switches the files in
        ("before-publish", "new"),
        ("restore-switching", "new"),
    ],
)
def test_an_interrupted_rollback_leaves_the_old_tree_or_is_rolled_forward(ws: Workspace, point: str, tree: str) -> None:
    v1, v2 = two_file_history(ws)
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core._workspace import load_workspace
        from artigov.promote import RollbackOptions, rollback
        rollback(load_workspace(Path({str(ws.root)!r})), "f", reason="interrupted", options=RollbackOptions(to=1))
        """)
    env = {**os.environ, "ARTIGOV_FAULT": point}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=False).returncode == 70
    with SnapshotStore(ws, "f").writing(5.0):  # what the next command does first: recovery
        pass
    files = {n: (ws.root / n).read_bytes() for n in v1}
    assert files == (v1 if tree == "new" else v2)
    assert not list(ws.root.rglob("*.restore-tmp")) and not (ws.state_dir / "restore-f.journal").exists()
    assert index_verify(ws).ok
    recorded = 3 in DecisionLog(SnapshotStore(ws, "f").decisions_path).recorded()
    assert recorded == (tree == "new")  # never a restored tree that nobody recorded


def test_a_rollback_withdraws_what_it_rolled_back_until_it_is_approved_again(ws: Workspace) -> None:
    import json

    from artigov.contract import Signoff, transition
    from artigov.index import rebuild
    from artigov.promote import withdrawn_versions
    from artigov.promote._store import SnapshotStore

    promote(ws, "f", "design")
    newer = ws.root / "frameworks/tp2.md"  # a higher version of the plan: it wins snapshot 2
    newer.write_text((ws.root / "frameworks/tp.md").read_text().replace('version: "1.0.0"', 'version: "2.0.0"'))
    rebuild(ws)
    promote(ws, "f", "design")
    back = rollback(ws, "f", reason="2.0.0 was approved by mistake", options=RollbackOptions(to=1))
    store = SnapshotStore(ws, "f")
    manifest = json.loads(store.manifest_bytes(back.sequence))
    assert manifest["rolled_back"] == 2 and [(w["id"], w["version"]) for w in manifest["withdrawn"]] == [
        ("tp", "2.0.0")
    ]
    event = json.loads(store.decisions_path.read_bytes().splitlines()[-1])
    assert event["event"] == "snapshot_rolled_back" and event["data"]["rolled_back"] == 2
    assert [w["path"] for w in event["data"]["withdrawn"]] == ["frameworks/tp2.md"]
    assert list(withdrawn_versions(ws, "f")) == [("tp", "2.0.0")]
    # The next promotion does not pick the withdrawn version again, and says which rule excluded it.
    again = promote(ws, "f", "design")
    inputs = {i["id"]: i["version"] for i in json.loads(store.manifest_bytes(again.sequence))["inputs"]}
    assert inputs["tp"] == "1.0.0"
    rejected = [json.loads(x) for x in store.decisions_path.read_bytes().splitlines() if b"candidate_rejected" in x]
    assert any(e["subject"] == "frameworks/tp2.md" and e["data"]["rule"] == "withdrawn" for e in rejected)
    # Approved again: it is a candidate again.
    transition(ws, newer, "approve", Signoff(who="alice@example.org", comment="re-checked after the rollback"))
    assert withdrawn_versions(ws, "f") == {}
    last = promote(ws, "f", "design")
    assert {i["id"]: i["version"] for i in json.loads(store.manifest_bytes(last.sequence))["inputs"]}["tp"] == "2.0.0"


@pytest.mark.parametrize("command", ["repair-head", "prune"])
def test_repair_head_and_prune_finish_an_interrupted_rollback_first(ws: Workspace, command: str) -> None:
    """The fix a failed switch prints ("run any promote, rollback or repair-head") holds: every
    writing command opens the record the same way, so repair-head and prune finish the switch too."""
    from artigov.promote import prune, repair_head

    v1, _ = two_file_history(ws)
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core._workspace import load_workspace
        from artigov.promote import RollbackOptions, rollback
        rollback(load_workspace(Path({str(ws.root)!r})), "f", reason="interrupted", options=RollbackOptions(to=1))
        """)
    env = {**os.environ, "ARTIGOV_FAULT": "restore-switching"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=False).returncode == 70
    assert (ws.state_dir / "restore-f.journal").exists()
    if command == "repair-head":
        repair_head(ws, "f")
    else:
        prune(ws, "f", apply=True)
    assert {n: (ws.root / n).read_bytes() for n in v1} == v1  # the recorded rollback's files are in place
    assert not list(ws.root.rglob("*.restore-tmp")) and not (ws.state_dir / "restore-f.journal").exists()
    assert index_verify(ws).ok
