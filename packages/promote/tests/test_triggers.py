"""Rollback triggers: what fires, and what a fired trigger does (or, for a key problem, does not)."""

from __future__ import annotations

from pathlib import Path

from artigov.core import Workspace
from artigov.core.testkeys import gnupg_home, make_key, revoke_key
from artigov.promote import (
    Recording,
    promote,
    triggers,
)
from artigov.promote._store import SnapshotStore


def test_a_revoked_signer_key_is_a_trust_problem_never_a_content_rollback(tmp_path: Path, ws_factory) -> None:  # type: ignore[no-untyped-def]
    with gnupg_home() as home:
        key = make_key(home, "soon revoked")
        ws = ws_factory(tmp_path / "w", home, key, [key])
        promote(ws, "f", "design")
        before = {p: (ws.root / p).read_bytes() for p in ("frameworks/tp.md", "frameworks/rr.md")}
        revoke_key(home, key)
        report = triggers(ws, "f", auto_rollback=Recording())  # the contract rolls back on verify_failed
        assert [(t["on"], t["action"]) for t in report.fired] == [("signer_key_revoked", "rotate-key")]
        assert "content is unchanged" in report.fired[0]["detail"] and "--key" in report.fired[0]["detail"]
        assert report.rolled_back is None and SnapshotStore(ws, "f").sequences() == [1]
        assert {p: (ws.root / p).read_bytes() for p in before} == before


def test_triggers_fire_on_checksum_drift_and_auto_rollback_restores(ws: Workspace) -> None:
    promote(ws, "f", "design")
    original = (ws.root / "frameworks/tp.md").read_bytes()
    (ws.root / "frameworks/tp.md").write_bytes(original + b"unreviewed change\n")
    report = triggers(ws, "f")
    assert [t["on"] for t in report.fired] == ["checksum_drift"]
    auto = triggers(ws, "f", auto_rollback=Recording())
    assert auto.rolled_back is not None and auto.rolled_back.rollback_of == 1
    assert (ws.root / "frameworks/tp.md").read_bytes() == original
    assert triggers(ws, "f").ok


def test_checksum_drift_names_the_snapshot_and_gate_it_is_measured_against(ws: Workspace) -> None:
    contract = ws.root / "contracts" / "f.yaml"
    release = "  - name: release\n    requires:\n      technical-plan: approved\n"
    contract.write_text(contract.read_text().replace("retention:", release + "retention:"))
    promote(ws, "f", "design")
    promote(ws, "f", "release")  # the head: snapshot 2, of gate release; design's current is still 1
    path = ws.root / "frameworks/tp.md"
    path.write_bytes(path.read_bytes() + b"unreviewed change\n")
    head = triggers(ws, "f")
    lower = triggers(ws, "f", gate="design")
    assert [t["detail"] for t in head.fired if t["on"] == "checksum_drift"] == [
        "changed since the head snapshot 2 (gate release): frameworks/tp.md"
    ]
    assert [t["detail"] for t in lower.fired if t["on"] == "checksum_drift"] == [
        "changed since snapshot 1 (gate design): frameworks/tp.md"
    ]
