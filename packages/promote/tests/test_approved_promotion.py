"""Promotion carries signed approvals: review -> approve (signed) -> promote -> edit -> refused ->
re-approve -> promote; verify re-checks every recorded approval. Real gpg, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from artigov.contract import Signoff, transition
from artigov.core import Workspace
from artigov.index import update
from artigov.promote import GateFailedError, VerificationError, promote
from artigov.promote._decisions import DecisionEvent, DecisionLog
from artigov.promote._store import SnapshotStore
from artigov.promote._verify import verify_snapshot

from .conftest import ALICE, CAROL, Keys, build_signed_approvals_ws


@pytest.fixture
def ws(tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    return build_signed_approvals_ws(tmp_path / "ws", keys)


def _events(ws: Workspace) -> list[DecisionEvent]:
    return list(DecisionLog(SnapshotStore(ws, "f").decisions_path).events())


def test_review_approve_promote_edit_refuse_reapprove_promote(ws: Workspace, keys: Keys) -> None:
    plan = ws.root / "frameworks/tp.md"
    transition(ws, plan, "review", Signoff(who=CAROL))
    first = transition(ws, plan, "approve", Signoff(who=ALICE, comment="ok"))
    one = promote(ws, "f", "design")
    manifest = verify_snapshot(ws, "f").manifest.to_dict()
    [approval] = manifest["inputs"][0]["approvals"]
    assert approval["approver"] == ALICE and approval["fingerprint"] == keys.alice
    assert approval["statement"] == first.statement and approval["digest"] == first.digest
    recorded = [e for e in _events(ws) if e.name == "approval_recorded"]
    assert {(e.data["approver"], e.outcome) for e in recorded} == {(CAROL, "review"), (ALICE, "approve")}
    promoted = next(e for e in _events(ws) if e.name == "snapshot_promoted")
    assert promoted.data["inputs"][0]["approvals"][0]["approver"] == ALICE

    plan.write_text(plan.read_text().replace("# Plan v1", "# Plan v2"))  # edited after approval
    update(ws)
    with pytest.raises(GateFailedError) as refused:
        promote(ws, "f", "design")
    assert [f.code for f in refused.value.findings] == ["C011"]
    assert SnapshotStore(ws, "f").head().sequence == one.sequence  # type: ignore[union-attr]

    again = transition(ws, plan, "approve", Signoff(who=ALICE, comment="v2 read"))
    two = promote(ws, "f", "design")
    assert two.sequence == 2
    approvals = verify_snapshot(ws, "f").manifest.to_dict()["inputs"][0]["approvals"]
    assert [a["statement"] for a in approvals] == [again.statement]
    # Each approval enters the decision log once.
    digests = [e.data["digest"] for e in _events(ws) if e.name == "approval_recorded"]
    assert len(digests) == len(set(digests)) == 3
    # Snapshot 1 still verifies: its approval statement was never replaced.
    assert verify_snapshot(ws, "f", 1).sequence == 1


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ("delete-statement", "V021"),
        ("edit-statement", "V021"),
        ("delete-signature", "V021"),
        ("swap-signature", "V022"),
    ],
)
def test_verify_rechecks_recorded_approvals(ws: Workspace, keys: Keys, tamper: str, code: str) -> None:
    plan = ws.root / "frameworks/tp.md"
    transition(ws, plan, "review", Signoff(who=CAROL))
    done = transition(ws, plan, "approve", Signoff(who=ALICE))
    promote(ws, "f", "design")
    statement = ws.root / str(done.statement)
    signature = statement.with_name(statement.name + ".asc")
    if tamper == "delete-statement":
        statement.unlink()
    elif tamper == "edit-statement":
        body = json.loads(statement.read_bytes())
        statement.write_text(json.dumps({**body, "comment": "forged"}))
    elif tamper == "delete-signature":
        signature.unlink()
    else:  # carol's signed review statement's signature, put in place of alice's
        review = next((ws.record_dir / "f/approvals/tp/1.0.0").glob(f"{CAROL}*.json.asc"))
        signature.write_bytes(review.read_bytes())
    with pytest.raises(VerificationError) as e:
        verify_snapshot(ws, "f")
    assert e.value.code == code, str(e.value)
