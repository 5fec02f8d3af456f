from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from artigov.core.workspace import Workspace
from artigov.index import rebuild
from artigov.index import verify as index_verify
from artigov.promote import (
    GateFailedError,
    PromotionError,
    VerificationError,
    history,
    promote,
    prune,
    rollback,
    triggers,
)
from artigov.promote.store import ObjectStore, SnapshotStore
from artigov.promote.testing import gnupg_home, make_key, revoke_key
from artigov.promote.verify import verify_snapshot


def _code(ws: Workspace, sequence: int | None = None) -> str:
    with pytest.raises(VerificationError) as info:
        verify_snapshot(ws, "f", sequence)
    return info.value.code


def _flip(path: Path, offset: int = 40) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _edit_plan(ws: Workspace, text: str) -> None:
    path = ws.root / "frameworks/tp.md"
    path.write_text(path.read_text().replace("# Plan v1\n", text))
    rebuild(ws)


def test_promote_writes_a_verifiable_signed_snapshot(ws: Workspace) -> None:
    p = promote(ws, "f", "design")
    assert p.sequence == 1 and p.inputs == 2
    store = SnapshotStore(ws, "f")
    manifest = store.manifest(1)
    assert manifest["parent"] is None and manifest["signer"] == p.signer
    assert manifest["created_at"] == "2025-11-24T16:00:00Z" and manifest["created_at_source"] == "SOURCE_DATE_EPOCH"
    assert store.head() is not None and store.head().digest == p.digest  # type: ignore[union-attr]
    assert (ws.state_dir / "snapshots" / ".gitattributes").read_text().strip().endswith("* binary")
    assert b"BEGIN PGP SIGNATURE" in store.signature_bytes(1)
    v = verify_snapshot(ws, "f")
    assert v.sequence == 1 and v.signer == p.signer
    for item in manifest["inputs"]:
        assert ObjectStore(ws).get(item["object"]) == (ws.root / item["path"]).read_bytes()


def test_second_promotion_chains_to_the_first(ws: Workspace) -> None:
    first = promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    second = promote(ws, "f", "design")
    assert second.sequence == 2
    assert SnapshotStore(ws, "f").manifest(2)["parent"] == first.digest
    assert verify_snapshot(ws, "f").sequence == 2
    assert verify_snapshot(ws, "f", 1).sequence == 1


def test_failing_gate_promotes_nothing(ws: Workspace) -> None:
    path = ws.root / "frameworks/tp.md"
    path.write_text(path.read_text().replace("status: approved", "status: review"))
    rebuild(ws)
    with pytest.raises(GateFailedError) as info:
        promote(ws, "f", "design")
    assert info.value.findings[0].code == "C004"
    assert SnapshotStore(ws, "f").head() is None
    assert not (ws.state_dir / "objects").exists()


def test_index_drift_refuses_promotion(ws: Workspace) -> None:
    (ws.root / "frameworks/tp.md").write_text((ws.root / "frameworks/tp.md").read_text() + "drift\n")
    with pytest.raises(PromotionError, match="index update"):
        promote(ws, "f", "design")


def test_valid_signature_by_an_untrusted_key_in_the_same_keyring_is_rejected(ws: Workspace, keys) -> None:  # type: ignore[no-untyped-def]
    promote(ws, "f", "design", key=keys.other)  # `other` is in the keyring, but not in signing.trusted
    assert _code(ws) == "V011"


def test_empty_trust_list_verifies_nothing(tmp_path: Path, keys, ws_factory) -> None:  # type: ignore[no-untyped-def]
    ws = ws_factory(tmp_path / "w", keys.home, keys.good, [])
    promote(ws, "f", "design")
    assert _code(ws) == "V014"


def test_replayed_older_head_is_rejected(ws: Workspace) -> None:
    first = promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    from artigov.core.atomic import write_atomic
    from artigov.core.canonical import canonical_json

    write_atomic(store.head_path, canonical_json({"sequence": 1, "digest": first.digest}))
    assert _code(ws) == "V007"


def test_replay_is_caught_through_the_audit_log_even_when_newer_folders_are_deleted(ws: Workspace) -> None:
    import shutil

    from artigov.core.logconfig import flush_audit, set_audit_path

    set_audit_path(ws.audit_path)
    try:
        first = promote(ws, "f", "design")
        _edit_plan(ws, "# Plan v2\n")
        promote(ws, "f", "design")
        flush_audit()
    finally:
        set_audit_path(None)
    store = SnapshotStore(ws, "f")
    shutil.rmtree(store.seq_dir(2))
    store.reflog_path.unlink()  # the attacker also removes the reflog: the audit log still remembers
    from artigov.core.atomic import write_atomic
    from artigov.core.canonical import canonical_json

    write_atomic(store.head_path, canonical_json({"sequence": 1, "digest": first.digest}))
    assert _code(ws) == "V007"


def test_missing_object(ws: Workspace) -> None:
    promote(ws, "f", "design")
    item = SnapshotStore(ws, "f").manifest(1)["inputs"][0]
    ObjectStore(ws).path_for(item["object"]).unlink()
    assert _code(ws) == "V008"


@pytest.mark.parametrize("target", ["manifest.json", "manifest.json.asc", "object"])
def test_a_flipped_byte_is_detected(ws: Workspace, target: str) -> None:
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    if target == "object":
        _flip(ObjectStore(ws).path_for(store.manifest(1)["inputs"][0]["object"]), 5)
        expected = "V009"
    elif target == "manifest.json":
        _flip(store.seq_dir(1) / target, 30)
        expected = "V004"
    else:
        sig = store.seq_dir(1) / target
        lines = sig.read_text().splitlines()
        body = next(i for i, line in enumerate(lines) if line and not line.startswith(("-----", "Version", "Comment")))
        row = list(lines[body])
        row[8] = "A" if row[8] != "A" else "B"
        lines[body] = "".join(row)
        sig.chmod(0o644)
        sig.write_text("\n".join(lines) + "\n")
        expected = "V010"
    assert _code(ws) == expected


def test_signature_by_an_expired_key_is_rejected(ws: Workspace, keys) -> None:  # type: ignore[no-untyped-def]
    expired = make_key(keys.home, "expired signer", expire="1d", faked_time="20200101T000000")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    sig = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(keys.home),
            "--batch",
            "--faked-system-time",
            "20200101T120000",
            "--armor",
            "--detach-sign",
            "--local-user",
            expired,
        ],
        input=store.manifest_bytes(1),
        capture_output=True,
        check=True,
    ).stdout
    (store.seq_dir(1) / "manifest.json.asc").chmod(0o644)
    (store.seq_dir(1) / "manifest.json.asc").write_bytes(sig)
    (ws.root / "artigov.yaml").write_text(
        (ws.root / "artigov.yaml").read_text().replace(f"trusted: [{keys.good}]", f"trusted: [{keys.good}, {expired}]")
    )
    from artigov.core.workspace import load_workspace

    assert _code(load_workspace(ws.root)) == "V012"


def test_signature_by_a_revoked_key_is_rejected(tmp_path: Path, ws_factory) -> None:  # type: ignore[no-untyped-def]
    with gnupg_home() as home:
        key = make_key(home, "soon revoked")
        ws = ws_factory(tmp_path / "w", home, key, [key])
        promote(ws, "f", "design")
        assert verify_snapshot(ws, "f").sequence == 1
        revoke_key(home, key)
        assert _code(ws) == "V013"


def test_expired_snapshot_is_rejected(ws: Workspace) -> None:
    promote(ws, "f", "design", expires_days=1)  # created_at is SOURCE_DATE_EPOCH, a year ago
    assert _code(ws) == "V015"


def test_snapshot_whose_audit_pin_is_gone_is_rejected(ws: Workspace) -> None:
    from artigov.core.audit import AuditLog

    AuditLog(ws.audit_path).append([{"event": "x"}])
    promote(ws, "f", "design")
    assert verify_snapshot(ws, "f").sequence == 1
    ws.audit_path.write_bytes(b'{"event":"edited"}\n')
    assert _code(ws) == "V017"


def test_rollback_restores_bytes_and_appends_a_new_signed_snapshot(ws: Workspace) -> None:
    promote(ws, "f", "design")
    original = (ws.root / "frameworks/tp.md").read_bytes()
    _edit_plan(ws, "# Plan v2 (bad)\n")
    promote(ws, "f", "design")
    r = rollback(ws, "f")
    assert r.sequence == 3 and r.rollback_of == 1
    assert (ws.root / "frameworks/tp.md").read_bytes() == original
    assert index_verify(ws).ok
    assert sorted(p.name for p in (ws.root / "frameworks").iterdir()) == ["rr.md", "tp.md"]  # no stray lock/temp files
    store = SnapshotStore(ws, "f")
    from artigov.core.canonical import digest_bytes

    assert store.manifest(3)["parent"] == digest_bytes(store.manifest_bytes(2))
    assert store.manifest(3)["rollback_of"] == 1 and store.manifest(3)["inputs"] == store.manifest(1)["inputs"]
    assert verify_snapshot(ws, "f").sequence == 3
    statuses = {row["sequence"]: row["status"] for row in history(ws, "f")}
    assert statuses == {1: "superseded", 2: "rolled back", 3: "head"}


def test_rollback_refuses_paths_that_escape(ws: Workspace) -> None:
    from artigov.promote.ops import _restore

    promote(ws, "f", "design")
    manifest = SnapshotStore(ws, "f").manifest(1)
    for bad in ("../outside.md", "/etc/passwd"):
        evil = {**manifest, "inputs": [{**manifest["inputs"][0], "path": bad}]}
        with pytest.raises(PromotionError, match="refusing to restore"):
            _restore(ws, evil)
    os.symlink("/tmp", ws.root / "frameworks" / "link")
    evil = {**manifest, "inputs": [{**manifest["inputs"][0], "path": "frameworks/link/x.md"}]}
    with pytest.raises(PromotionError):
        _restore(ws, evil)


def test_prune_keeps_head_and_previous_good_and_is_dry_run_by_default(ws: Workspace) -> None:
    for i in range(4):
        if i:
            _edit_plan(ws, f"# Plan v{i + 1}\n")
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
    assert {r["sequence"]: r["status"] for r in history(ws, "f")}[1] == "pruned"


def test_triggers_fire_on_checksum_drift_and_auto_rollback_restores(ws: Workspace) -> None:
    promote(ws, "f", "design")
    original = (ws.root / "frameworks/tp.md").read_bytes()
    (ws.root / "frameworks/tp.md").write_bytes(original + b"unreviewed change\n")
    report = triggers(ws, "f")
    assert [t["on"] for t in report.fired] == ["checksum_drift"]
    auto = triggers(ws, "f", auto_rollback=True)
    assert auto.rolled_back is not None and auto.rolled_back.rollback_of == 1
    assert (ws.root / "frameworks/tp.md").read_bytes() == original
    assert triggers(ws, "f").ok


@pytest.mark.parametrize("point", ["after-objects", "after-manifest", "after-signature", "before-head-move"])
def test_crash_inside_promote_never_leaves_a_head_on_an_incomplete_snapshot(ws: Workspace, point: str) -> None:
    first = promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core.workspace import load_workspace
        from artigov.promote import promote
        promote(load_workspace(Path({str(ws.root)!r})), "f", "design")
        """)
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "ARTIGOV_FAULT": point},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 70, result.stderr
    head = SnapshotStore(ws, "f").head()
    assert head is not None and head.sequence == 1 and head.digest == first.digest
    assert verify_snapshot(ws, "f").sequence == 1
    again = promote(ws, "f", "design")
    assert again.sequence == 2 and verify_snapshot(ws, "f").sequence == 2
    assert [p.name for p in SnapshotStore(ws, "f").dir.iterdir() if ".tmp." in p.name] == []


def test_manifest_is_canonical_json(ws: Workspace) -> None:
    from artigov.core.canonical import canonical_json

    promote(ws, "f", "design")
    data = SnapshotStore(ws, "f").manifest_bytes(1)
    assert canonical_json(json.loads(data)) == data
