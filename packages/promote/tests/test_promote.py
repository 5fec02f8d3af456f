from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from artigov.core.testkeys import gnupg_home, make_key, revoke_key
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
    attributes = (ws.record_dir / ".gitattributes").read_text()
    assert "objects/** binary" in attributes and "*/snapshots/** binary" in attributes
    assert store.dir == ws.record_dir / "f" and (store.dir / "snapshots" / "000001").is_dir()
    assert (ws.keys_dir / f"{p.signer}.asc").read_bytes().startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK")
    assert manifest["format_version"] == 2 and manifest["git"]["commit"] is None
    assert manifest["decisions"]["lines"] == sum(1 for _ in store.decisions_path.open("rb"))
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


def test_promote_refuses_to_sign_with_an_untrusted_key_and_writes_nothing(ws: Workspace, keys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PromotionError, match=r"not in signing\.trusted"):
        promote(ws, "f", "design", key=keys.other)
    assert not ws.record_dir.exists()


def _forge(ws: Workspace, key: str, home: Path) -> None:
    """Re-sign snapshot 1 with ``key`` (a valid signature by another key in the same keyring)."""
    from artigov.core.gpg import sign_detached

    store = SnapshotStore(ws, "f")
    sig = store.seq_dir(1) / "manifest.json.asc"
    sig.chmod(0o644)
    sig.write_bytes(sign_detached(store.manifest_bytes(1), key, home))


def test_valid_signature_by_an_untrusted_key_in_the_same_keyring_is_rejected(ws: Workspace, keys) -> None:  # type: ignore[no-untyped-def]
    promote(ws, "f", "design")
    _forge(ws, keys.other, keys.home)  # `other` is in the keyring, but not in signing.trusted
    assert _code(ws) == "V011"


def test_empty_trust_list_verifies_nothing(tmp_path: Path, keys, ws_factory) -> None:  # type: ignore[no-untyped-def]
    ws = ws_factory(tmp_path / "w", keys.home, keys.good, [keys.good])
    promote(ws, "f", "design")
    config = ws.config_path.read_text().replace(f"trusted: [{keys.good}]", "trusted: []")
    ws.config_path.write_text(config)
    from artigov.core.workspace import load_workspace

    assert _code(load_workspace(ws.root)) == "V014"


def test_a_trusted_key_with_no_public_key_anywhere_says_where_to_add_it(tmp_path: Path, keys, ws_factory) -> None:  # type: ignore[no-untyped-def]
    """A second maintainer's clone: the trusted key is in neither governance/keys/ nor the keyring."""
    ws = ws_factory(tmp_path / "w", keys.home, keys.good, [keys.good])
    promote(ws, "f", "design")
    (ws.keys_dir / f"{keys.good}.asc").unlink()
    with gnupg_home() as empty:
        config = ws.config_path.read_text().replace(f"gnupghome: {keys.home}", f"gnupghome: {empty}")
        ws.config_path.write_text(config)
        from artigov.core.workspace import load_workspace

        with pytest.raises(VerificationError) as info:
            verify_snapshot(load_workspace(ws.root), "f")
    assert info.value.code == "V018"
    assert f"governance/keys/{keys.good}.asc" in str(info.value)


def test_replayed_older_head_is_rejected(ws: Workspace) -> None:
    first = promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    from artigov.core.atomic import write_atomic
    from artigov.core.canonical import canonical_json

    write_atomic(store.head_path, canonical_json({"sequence": 1, "digest": first.digest}))
    assert _code(ws) == "V007"


def test_replay_is_caught_through_the_decision_log_even_when_newer_folders_are_deleted(ws: Workspace) -> None:
    import shutil

    first = promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    shutil.rmtree(store.seq_dir(2))  # the attacker removes the newer folder: the decision log remembers
    from artigov.core.atomic import write_atomic
    from artigov.promote.store import Head

    write_atomic(store.head_path, Head(1, first.digest).with_gate("design", 1, first.digest).to_bytes())
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


def test_expires_days_counts_from_now_and_an_expired_snapshot_is_rejected(ws: Workspace) -> None:
    import time

    promote(ws, "f", "design", expires_days=1)  # created_at is SOURCE_DATE_EPOCH, a year ago
    assert verify_snapshot(ws, "f").sequence == 1  # not born expired
    manifest = SnapshotStore(ws, "f").manifest(1)
    assert manifest["created_at"] < "2026" and manifest["expires"] > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with pytest.raises(VerificationError) as info:
        verify_snapshot(ws, "f", now=time.time() + 2 * 86400)
    assert info.value.code == "V015"


def test_a_revoked_signer_key_is_a_trust_problem_never_a_content_rollback(tmp_path: Path, ws_factory) -> None:  # type: ignore[no-untyped-def]
    with gnupg_home() as home:
        key = make_key(home, "soon revoked")
        ws = ws_factory(tmp_path / "w", home, key, [key])
        promote(ws, "f", "design")
        before = {p: (ws.root / p).read_bytes() for p in ("frameworks/tp.md", "frameworks/rr.md")}
        revoke_key(home, key)
        report = triggers(ws, "f", auto_rollback=True)  # the contract rolls back on verify_failed
        assert [(t["on"], t["action"]) for t in report.fired] == [("signer_key_revoked", "rotate-key")]
        assert "content is unchanged" in report.fired[0]["detail"] and "--key" in report.fired[0]["detail"]
        assert report.rolled_back is None and SnapshotStore(ws, "f").sequences() == [1]
        assert {p: (ws.root / p).read_bytes() for p in before} == before


def test_snapshot_whose_decision_log_is_truncated_or_edited_is_rejected(ws: Workspace) -> None:
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    assert verify_snapshot(ws, "f").sequence == 1
    whole = store.decisions_path.read_bytes()
    store.decisions_path.write_bytes(b"".join(whole.splitlines(keepends=True)[:-1]))
    with pytest.raises(VerificationError, match=r"lines .* are missing") as info:
        verify_snapshot(ws, "f")
    assert info.value.code == "V017"
    store.decisions_path.write_bytes(whole.replace(b'"outcome":"won"', b'"outcome":"lost"', 1))
    assert _code(ws) == "V017"
    store.decisions_path.unlink()
    assert _code(ws) == "V017"


def test_the_manifest_pins_its_own_decisions_and_the_log_says_who_lost_by_which_rule(ws: Workspace) -> None:
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    events = [json.loads(line) for line in store.decisions_path.read_bytes().splitlines()]
    assert events[0]["event"] == "gate_checked" and events[-1]["event"] == "snapshot_promoted"
    assert {e["data"]["sequence"] for e in events} == {1}
    promoted = events[-1]["data"]
    assert promoted["signer"] == store.manifest(1)["signer"] and promoted["inputs_committed"] is False
    assert {i["path"]: i["approved_by"] for i in promoted["inputs"]}["frameworks/tp.md"] == ["alice@example.org"]
    # a second technical plan at a higher version: the old one loses by "version"
    (ws.root / "frameworks/tp2.md").write_text(
        (ws.root / "frameworks/tp.md").read_text().replace('version: "1.0.0"', 'version: "2.0.0"')
    )
    rebuild(ws)
    promote(ws, "f", "design")
    lost = [json.loads(x) for x in store.decisions_path.read_bytes().splitlines() if b"candidate_lost" in x]
    assert [(e["subject"], e["data"]["lost_to"], e["data"]["rule"]) for e in lost] == [
        ("frameworks/tp.md", "frameworks/tp2.md", "version")
    ]


def test_rollback_restores_bytes_and_appends_a_new_signed_snapshot(ws: Workspace) -> None:
    promote(ws, "f", "design")
    original = (ws.root / "frameworks/tp.md").read_bytes()
    _edit_plan(ws, "# Plan v2 (bad)\n")
    promote(ws, "f", "design")
    with pytest.raises(PromotionError, match="needs a reason"):
        rollback(ws, "f", reason=" ")
    r = rollback(ws, "f", reason="plan v2 was not reviewed")
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
    assert statuses == {1: "superseded", 2: "rolled back", 3: "current"}


def test_rollback_refuses_paths_that_escape(ws: Workspace) -> None:
    from artigov.promote.rollback import _restore

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


@pytest.mark.parametrize(
    "point", ["after-objects", "after-manifest", "after-signature", "mid-decisions-append", "after-decisions"]
)
def test_crash_before_the_head_moves_never_leaves_a_head_on_an_incomplete_snapshot(ws: Workspace, point: str) -> None:
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
    if point == "after-decisions":  # past the commit point: recorded, so verify says how to finish it
        assert _code(ws) == "V020"
    else:
        assert verify_snapshot(ws, "f").sequence == 1
    again = promote(ws, "f", "design")
    assert again.sequence == 2 and verify_snapshot(ws, "f").sequence == 2  # finished, never made twice
    store = SnapshotStore(ws, "f")
    assert store.unfinished() == [] and store.sequences() == [1, 2]
    assert sum(b"snapshot_promoted" in x for x in store.decisions_path.read_bytes().splitlines()) == 2


@pytest.mark.parametrize("point", ["before-head-move", "before-publish"])
def test_a_recorded_promotion_is_finished_by_repair_head(ws: Workspace, point: str) -> None:
    from artigov.promote.migrate import repair_head

    promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core.workspace import load_workspace
        from artigov.promote import promote
        promote(load_workspace(Path({str(ws.root)!r})), "f", "design")
        """)
    env = {**os.environ, "ARTIGOV_FAULT": point}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=False).returncode == 70
    assert _code(ws) == "V020"
    sequence, note = repair_head(ws, "f")
    assert sequence == 2 and "snapshot 2" in note
    assert verify_snapshot(ws, "f").sequence == 2


def test_a_missing_head_is_refused_and_never_deletes_snapshots(ws: Workspace) -> None:
    from artigov.promote.migrate import repair_head

    promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    second = promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    store.head_path.unlink()
    assert _code(ws) == "V002"
    with pytest.raises(PromotionError, match="repair-head"):
        promote(ws, "f", "design")
    with pytest.raises(PromotionError, match="repair-head"):
        rollback(ws, "f", reason="x")
    assert store.sequences() == [1, 2]
    assert repair_head(ws, "f")[0] == 2
    assert verify_snapshot(ws, "f").digest == second.digest


def test_gates_have_their_own_current_snapshot_and_roll_back_alone(ws: Workspace) -> None:
    contract = ws.contracts_dir / "f.yaml"
    contract.write_text(
        contract.read_text().replace(
            "retention:", "  - name: review\n    requires:\n      technical-plan: approved\nretention:"
        )
    )
    design1 = promote(ws, "f", "design")
    review = promote(ws, "f", "review")
    _edit_plan(ws, "# Plan v2\n")
    design2 = promote(ws, "f", "design")
    head = SnapshotStore(ws, "f").head()
    assert head is not None and {g: h.sequence for g, h in head.gates.items()} == {"design": 3, "review": 2}
    assert verify_snapshot(ws, "f", gate="review").sequence == review.sequence == 2
    back = rollback(ws, "f", gate="design", reason="v2 was wrong")
    assert back.rollback_of == design1.sequence and back.gate == "design"
    head = SnapshotStore(ws, "f").head()
    assert head is not None and {g: h.sequence for g, h in head.gates.items()} == {"design": 4, "review": 2}
    assert design2.sequence == 3
    # a hand-edited gate list is caught
    from artigov.core.atomic import write_atomic
    from artigov.promote.store import GateHead, Head

    forged = Head(head.sequence, head.digest, {**head.gates, "design": GateHead(1, design1.digest)})
    write_atomic(SnapshotStore(ws, "f").head_path, forged.to_bytes())
    assert _code(ws) == "V019"


def test_old_local_layout_is_refused_until_migrated(ws: Workspace, keys) -> None:  # type: ignore[no-untyped-def]
    """Snapshots under state_dir (the old layout) are moved into the record, verified before and after."""
    import shutil

    from artigov.core.canonical import canonical_json, digest_bytes
    from artigov.core.gpg import sign_detached
    from artigov.promote.migrate import migrate_record

    promote(ws, "f", "design")
    # Build the old layout: a format-1 manifest (audit_head, no decisions or git), signed, under state_dir.
    store = SnapshotStore(ws, "f")
    body = {k: v for k, v in store.manifest(1).items() if k not in ("decisions", "git")}
    body.update(format_version=1, audit_head=None)
    data = canonical_json(body)
    old = ws.state_dir / "snapshots" / "f"
    (old / "000001").mkdir(parents=True)
    (old / "000001" / "manifest.json").write_bytes(data)
    (old / "000001" / "manifest.json.asc").write_bytes(sign_detached(data, keys.good, keys.home))
    (old / "HEAD").write_bytes(json.dumps({"digest": digest_bytes(data), "sequence": 1}).encode())
    first_digest = digest_bytes(data)
    shutil.copytree(ws.record_dir / "objects", ws.state_dir / "objects")
    shutil.rmtree(ws.record_dir)
    with pytest.raises(PromotionError, match="migrate-record"):
        promote(ws, "f", "design")
    with pytest.raises(PromotionError, match="migrate-record"):
        verify_snapshot(ws, "f")
    result = migrate_record(ws)
    assert result.frameworks == {"f": 1} and result.objects == 2
    assert not (ws.state_dir / "snapshots").exists() and not (ws.state_dir / "objects").exists()
    assert verify_snapshot(ws, "f").digest == first_digest
    events = [json.loads(x) for x in store.decisions_path.read_bytes().splitlines()]
    assert [(e["event"], e["data"]["sequence"]) for e in events] == [("snapshot_migrated", 1)]
    _edit_plan(ws, "# Plan v2\n")
    assert promote(ws, "f", "design").sequence == 2


def test_manifest_is_canonical_json(ws: Workspace) -> None:
    from artigov.core.canonical import canonical_json

    promote(ws, "f", "design")
    data = SnapshotStore(ws, "f").manifest_bytes(1)
    assert canonical_json(json.loads(data)) == data


def test_a_replayed_head_makes_promote_and_rollback_refuse_and_delete_nothing(ws: Workspace) -> None:
    first = promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    from artigov.core.atomic import write_atomic
    from artigov.promote.store import Head

    write_atomic(store.head_path, Head(1, first.digest).with_gate("design", 1, first.digest).to_bytes())
    before = sorted(p.relative_to(ws.record_dir).as_posix() for p in ws.record_dir.rglob("*"))
    for attempt in (lambda: promote(ws, "f", "design"), lambda: rollback(ws, "f", reason="x")):
        with pytest.raises(VerificationError) as info:
            attempt()
        assert info.value.code == "V007"
    assert sorted(p.relative_to(ws.record_dir).as_posix() for p in ws.record_dir.rglob("*")) == before


def test_a_corrupt_object_left_in_the_store_is_rewritten_not_signed(ws: Workspace) -> None:
    from artigov.core.canonical import digest_bytes

    data = (ws.root / "frameworks/tp.md").read_bytes()
    path = ObjectStore(ws).path_for(digest_bytes(data))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not the bytes of tp.md")
    path.chmod(0o444)
    promote(ws, "f", "design")
    assert path.read_bytes() == data
    assert verify_snapshot(ws, "f").sequence == 1


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
    from artigov.core.atomic import write_atomic
    from artigov.core.canonical import canonical_json, digest_bytes
    from artigov.core.gpg import sign_detached
    from artigov.promote.store import Head

    (ws.root / "elsewhere").mkdir()
    (ws.root / "frameworks" / "linked").symlink_to(ws.root / "elsewhere")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    forged = store.manifest(1)
    forged["inputs"][0]["path"] = target
    data = canonical_json(forged)
    for name, content in (("manifest.json", data), ("manifest.json.asc", sign_detached(data, keys.good, keys.home))):
        (store.seq_dir(1) / name).chmod(0o644)
        (store.seq_dir(1) / name).write_bytes(content)
    digest = digest_bytes(data)
    write_atomic(store.head_path, Head(1, digest).with_gate("design", 1, digest).to_bytes())
    assert verify_snapshot(ws, "f").sequence == 1  # the forgery verifies: it is signed by a trusted key
    _edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    victim = ws.root / target
    existed = victim.read_bytes() if victim.is_file() else None
    with pytest.raises(PromotionError, match="refusing to restore"):
        rollback(ws, "f", to=1, reason="replay a forged manifest")
    assert (victim.read_bytes() if victim.is_file() else None) == existed
    assert not (ws.root / "elsewhere" / "tp.md").exists()
    assert SnapshotStore(ws, "f").head().sequence == 2  # type: ignore[union-attr]


def test_a_decision_log_that_cannot_grow_fails_the_promotion_and_leaves_the_record_as_it_was(ws: Workspace) -> None:
    """A file-size limit (like a full disk) hits the decision-log append, the commit point: the
    append is rolled back to whole lines, nothing is recorded, the command fails, a re-run works."""
    promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    store = SnapshotStore(ws, "f")
    log_size = store.decisions_path.stat().st_size
    limit = log_size + 200  # the next batch is far longer; every other file written is far shorter
    assert len(store.manifest_bytes(1)) < limit
    before = {p: p.read_bytes() for p in ws.record_dir.rglob("*") if p.is_file()}
    code = textwrap.dedent(f"""
        import resource, signal, sys
        from pathlib import Path
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        from artigov.core.errors import ArtigovError
        from artigov.core.workspace import load_workspace
        from artigov.promote import promote
        try:
            promote(load_workspace(Path({str(ws.root)!r})), "f", "design")
        except ArtigovError as e:
            print(e)
            sys.exit(e.exit_code)
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "decisions.jsonl" in done.stdout and "Traceback" not in done.stderr
    after = {p: p.read_bytes() for p in ws.record_dir.rglob("*") if p.is_file()}
    new_objects = {p for p in after if p not in before and "objects" in p.parts}
    assert {p: b for p, b in after.items() if p not in new_objects} == before  # only add-only objects were added
    assert store.unfinished() == [] and verify_snapshot(ws, "f").sequence == 1
    assert promote(ws, "f", "design").sequence == 2


def test_verify_refuses_a_snapshot_whose_stored_bytes_say_something_else(ws: Workspace, keys) -> None:  # type: ignore[no-untyped-def]
    """A manifest that claims `approved` over stored bytes that say `draft` (what an unchecked read
    once signed) does not verify, even correctly signed and with intact objects."""
    from artigov.core.atomic import write_atomic
    from artigov.core.canonical import canonical_json, digest_bytes
    from artigov.core.gpg import sign_detached
    from artigov.promote.store import Head

    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    manifest = store.manifest(1)
    item = next(i for i in manifest["inputs"] if i["path"] == "frameworks/tp.md")
    drafted = (ws.root / "frameworks/tp.md").read_bytes().replace(b"status: approved", b"status: draft")
    item["object"] = ObjectStore(ws).put(drafted)
    data = canonical_json(manifest)
    for name, content in (("manifest.json", data), ("manifest.json.asc", sign_detached(data, keys.good, keys.home))):
        (store.seq_dir(1) / name).chmod(0o644)
        (store.seq_dir(1) / name).write_bytes(content)
    digest = digest_bytes(data)
    write_atomic(store.head_path, Head(1, digest).with_gate("design", 1, digest).to_bytes())
    with pytest.raises(VerificationError, match="status is 'draft', the manifest says 'approved'") as info:
        verify_snapshot(ws, "f")
    assert info.value.code == "V009"


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
        _edit_plan(ws, f"# Plan v{n}\n")
        promote(ws, "f", "design")
    result = prune(ws, "f", apply=True)
    assert result.deleted == [1] and result.kept == [2, 3, 4]
    for gate, sequence in (("review", 2), ("design", 4)):
        assert verify_snapshot(ws, "f", gate=gate).sequence == sequence
    assert verify_snapshot(ws, "f", 3).sequence == 3
    events = [json.loads(x) for x in SnapshotStore(ws, "f").decisions_path.read_bytes().splitlines()]
    assert [e["data"]["sequence"] for e in events if e["event"] == "snapshot_pruned"] == [1]


@pytest.mark.slow
def test_an_input_flipped_every_50_ms_never_yields_a_snapshot_that_signed_other_bytes(ws: Workspace) -> None:
    """The race an attacker (or a busy editor) runs: tp.md flips between the indexed, approved text
    and a draft every 50 ms while 40 promotions run past the index check. Each either refuses or
    records bytes that say exactly what its manifest says (a run here: 13 promoted, 27 refused as
    changed while promoting, none inconsistent)."""
    import threading

    from artigov.core.errors import ArtigovError

    path = ws.root / "frameworks/tp.md"
    approved = path.read_bytes()
    drafted = approved.replace(b"status: approved", b"status: draft")
    stop = threading.Event()

    outcomes: list[str] = []

    def flipper() -> None:
        # Bursts of flips every 50 ms; between bursts a pause (doubling, up to 8 s, while nothing was
        # promoted yet), so that on a loaded machine, where one promotion outlasts 50 ms, some
        # promotions still run between flips: both outcomes are met, whatever the machine's speed.
        state, flips, pause = False, 0, 0.5
        while not stop.is_set():
            path.write_bytes(drafted if state else approved)
            state, flips = not state, flips + 1
            if flips % 10 == 1:  # the file was just set back to the indexed, approved text
                if "promoted" not in outcomes:
                    pause = min(pause * 2, 8.0)
                stop.wait(pause)
            else:
                stop.wait(0.05)

    thread = threading.Thread(target=flipper, daemon=True)
    thread.start()
    try:
        # 40 promotions that got past the index check (a drifted index refuses at once, and is retried),
        # and until both outcomes were met.
        def enough() -> bool:
            past = sum(o != "index drift" for o in outcomes)
            return past >= 40 and "promoted" in outcomes and "changed while promoting" in outcomes

        while not enough() and len(outcomes) < 3000:
            try:
                promote(ws, "f", "design")
                outcomes.append("promoted")
            except ArtigovError as e:
                kind = "index drift" if "the index differs" in e.message else type(e).__name__
                outcomes.append("changed while promoting" if "changed while" in e.message else kind)
    finally:
        stop.set()
        thread.join()
        path.write_bytes(approved)
    assert "promoted" in outcomes and "changed while promoting" in outcomes, outcomes
    store = SnapshotStore(ws, "f")
    assert store.sequences() == list(range(1, outcomes.count("promoted") + 1))
    for sequence in store.sequences():
        assert verify_snapshot(ws, "f", sequence).sequence == sequence  # V009 if stored bytes differ from claims
        for item in store.manifest(sequence)["inputs"]:
            stored = ObjectStore(ws).get(item["object"])
            assert b"status: " + item["status"].encode() in stored


def _script(call: str) -> str:
    """A subprocess that runs one record command as a library call, an ArtigovError as one line."""
    return textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from artigov.core.errors import ArtigovError
        from artigov.core.logconfig import configure_logging
        from artigov.core.workspace import load_workspace
        from artigov.promote import promote, prune, rollback
        configure_logging("console", "error")
        ws = load_workspace(Path(sys.argv[1]))
        try:
            {call}
        except ArtigovError as e:
            print(e)
            sys.exit(e.exit_code)
        """)


def _fault_runs(template: Path, tmp_path: Path, call: str, probe: Any) -> Iterator[tuple[Path, Any, str, str]]:
    """Every file-system step of ``call`` (counted by running ``probe`` on a copy), crashed, failed
    with ENOSPC and with EIO, each on a fresh copy of ``template``: yields (copy, result, mode, where)."""
    import shutil

    from artigov.core.faults import steps_taken
    from artigov.core.workspace import load_workspace

    counted = tmp_path / "probe"
    shutil.copytree(template, counted, symlinks=True)
    before = steps_taken()
    probe(load_workspace(counted))
    total = steps_taken() - before
    assert total >= 10
    for step in range(1, total + 1):
        for mode in ("crash", "enospc", "eio"):
            run = tmp_path / f"run-{step}-{mode}"
            shutil.copytree(template, run, symlinks=True)
            env = {**os.environ, "ARTIGOV_FAULT_STEP": str(step), "ARTIGOV_FAULT_MODE": mode}
            done = subprocess.run(
                [sys.executable, "-c", _script(call), str(run)], env=env, capture_output=True, text=True, check=False
            )
            where = f"step {step} {mode}: {done.stdout}{done.stderr}"
            assert "Traceback" not in done.stderr, where
            assert done.returncode in ((70,) if mode == "crash" else (0, 1)), where
            yield run, done, mode, where
            shutil.rmtree(run)


@pytest.mark.slow
def test_every_file_system_step_of_promote_crashed_or_failed_leaves_a_record_that_verifies(
    ws: Workspace, tmp_path: Path
) -> None:
    """SQLite-style: number every file-system step of a promotion; at each, crash (exit), fail with
    ENOSPC, fail with EIO. After each: the record verifies (the old head, or a recorded promotion
    that verify says how to finish), an error is one true line, and a re-run promotes."""
    import shutil

    from artigov.core.workspace import load_workspace
    from artigov.promote.migrate import repair_head

    promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    template = tmp_path / "template"
    shutil.copytree(ws.root, template, symlinks=True)
    seen: set[str] = set()
    call = 'promote(ws, "f", "design")'
    for run, done, mode, where in _fault_runs(template, tmp_path, call, lambda w: promote(w, "f", "design")):
        recorded = None  # what the error says about the record
        if mode != "crash" and done.returncode == 1:
            assert done.stdout.count("\n") == 1, where
            recorded = "is recorded in the decision log" in done.stdout
            assert recorded or "write failed" in done.stdout, where
            seen.add("recorded" if recorded else "not recorded")
        rws = load_workspace(run)
        try:
            head = verify_snapshot(rws, "f").sequence
            assert recorded is not True or head == 2, where  # "recorded" is true
        except VerificationError as e:
            assert e.code == "V020" and recorded is not False, where + str(e)  # the message was true
            head = repair_head(rws, "f")[0]
        assert head in (1, 2) and (recorded is not False or head == 1), where
        again = promote(rws, "f", "design")
        assert again.sequence in (2, 3) and verify_snapshot(rws, "f").sequence == again.sequence, where
    assert seen == {"recorded", "not recorded"}  # failures on both sides of the commit point were met


def _two_file_history(ws: Workspace) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Snapshot 1 and 2 differ in both inputs; returns (files of 1, files of 2)."""
    names = ("frameworks/tp.md", "frameworks/rr.md")
    promote(ws, "f", "design")
    old = {n: (ws.root / n).read_bytes() for n in names}
    rr = ws.root / "frameworks/rr.md"
    rr.write_text(rr.read_text().replace("# Risks\n", "# Risks, revised\n"))
    _edit_plan(ws, "# Plan v2\n")  # rebuilds the index
    promote(ws, "f", "design")
    return old, {n: (ws.root / n).read_bytes() for n in names}


@pytest.mark.slow
def test_every_file_system_step_of_rollback_leaves_the_old_tree_or_the_new_one(ws: Workspace, tmp_path: Path) -> None:
    import shutil

    from artigov.core.workspace import load_workspace
    from artigov.index import verify as index_verify_
    from artigov.promote.migrate import repair_head

    v1, v2 = _two_file_history(ws)
    template = tmp_path / "template"
    shutil.copytree(ws.root, template, symlinks=True)
    call = 'rollback(ws, "f", to=1, reason="sweep")'
    probe = lambda w: rollback(w, "f", to=1, reason="probe")  # noqa: E731
    for run, _, _, where in _fault_runs(template, tmp_path, call, probe):
        files = {n: (run / n).read_bytes() for n in v1}
        assert files in (v1, v2) or _mid_switch(run), where  # never half, unless the next command finishes it
        rws = load_workspace(run)
        try:
            head = verify_snapshot(rws, "f").sequence
        except VerificationError as e:
            assert e.code == "V020", where + str(e)
            head = repair_head(rws, "f")[0]
        assert head in (2, 3), where
        again = rollback(rws, "f", to=1, reason="again")
        assert {n: (run / n).read_bytes() for n in v1} == v1, where
        assert verify_snapshot(rws, "f").sequence == again.sequence and index_verify_(rws).ok, where
        assert not list(run.rglob("*.restore-tmp")), where


def _mid_switch(root: Path) -> bool:
    """A crash between the renames of a switch: the journal says switching, so the next command finishes it."""
    journal = root / ".artigov" / "restore-f.journal"
    return journal.is_file() and b'"switching"' in journal.read_bytes()


@pytest.mark.parametrize(("point", "tree"), [("restore-staged", "old"), ("restore-switching", "new")])
def test_an_interrupted_rollback_leaves_the_old_tree_or_is_rolled_forward(ws: Workspace, point: str, tree: str) -> None:
    v1, v2 = _two_file_history(ws)
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core.workspace import load_workspace
        from artigov.promote import rollback
        rollback(load_workspace(Path({str(ws.root)!r})), "f", to=1, reason="interrupted")
        """)
    env = {**os.environ, "ARTIGOV_FAULT": point}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=False).returncode == 70
    from artigov.promote.restore import recover_restore

    recover_restore(ws, "f")
    files = {n: (ws.root / n).read_bytes() for n in v1}
    assert files == (v1 if tree == "new" else v2)
    assert not list(ws.root.rglob("*.restore-tmp")) and not (ws.state_dir / "restore-f.journal").exists()
    assert index_verify(ws).ok


@pytest.mark.slow
def test_every_file_system_step_of_prune_leaves_a_history_that_verifies_and_a_rerun_finishes_it(
    ws: Workspace, tmp_path: Path
) -> None:
    import shutil

    from artigov.core.workspace import load_workspace

    promote(ws, "f", "design")
    for n in (2, 3, 4):
        _edit_plan(ws, f"# Plan v{n}\n")
        promote(ws, "f", "design")
    template = tmp_path / "template"
    shutil.copytree(ws.root, template, symlinks=True)
    call = 'prune(ws, "f", apply=True)'
    for run, _, _, where in _fault_runs(template, tmp_path, call, lambda w: prune(w, "f", apply=True)):
        rws = load_workspace(run)
        assert verify_snapshot(rws, "f").sequence == 4, where
        prune(rws, "f", apply=True)
        store = SnapshotStore(rws, "f")
        assert store.sequences() == [3, 4] and sorted(store.pruned()) == [1, 2], where
        events = [json.loads(x) for x in store.decisions_path.read_bytes().splitlines()]
        assert sorted(e["data"]["sequence"] for e in events if e["event"] == "snapshot_pruned") == [1, 2], where
        assert verify_snapshot(rws, "f", 3).sequence == 3, where


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        ("pruned", "V006"),  # a pruned.json that is not JSON
        ("manifest", "V004"),  # a manifest that is not JSON but whose digest HEAD names
    ],
)
def test_hostile_record_files_are_one_verification_error(ws: Workspace, damage: str, code: str) -> None:
    from artigov.core.atomic import write_atomic
    from artigov.core.canonical import digest_bytes
    from artigov.promote.store import Head

    promote(ws, "f", "design")
    _edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    if damage == "pruned":
        store.pruned_path.write_text("{not json")
        with pytest.raises(VerificationError) as info:
            verify_snapshot(ws, "f", 1)
    else:
        junk = b"\x00 not a manifest \xff"
        (store.seq_dir(2) / "manifest.json").chmod(0o644)
        (store.seq_dir(2) / "manifest.json").write_bytes(junk)
        write_atomic(store.head_path, Head(2, digest_bytes(junk)).with_gate("design", 2, digest_bytes(junk)).to_bytes())
        with pytest.raises(VerificationError) as info:
            verify_snapshot(ws, "f")
    assert info.value.code == code


@pytest.mark.slow
def test_a_huge_sparse_input_is_streamed_into_the_store_in_bounded_memory(ws: Workspace) -> None:
    """A 600 MB sidecar artifact (sparse: no disk needed to make it) is hashed and stored by
    streaming: the promotion's peak memory stays far below the file's size."""
    (ws.root / "frameworks/rr.md").unlink()
    big = ws.root / "frameworks/big.bin"
    with open(big, "wb") as f:
        f.truncate(600 << 20)
    (ws.root / "frameworks/big.bin.meta.yaml").write_text(
        'id: rr\nversion: "1.0.0"\nstatus: review\nframework: f\nkind: risk-register\nrisks: [R-001]\n'
    )
    rebuild(ws)
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core.logconfig import configure_logging
        from artigov.core.workspace import load_workspace
        from artigov.promote import promote
        configure_logging("console", "error")
        promote(load_workspace(Path({str(ws.root)!r})), "f", "design")
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest) across exec
        hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
        print(int(hwm.split()[1]) // 1024)
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) < 400, done.stdout  # MB: the file is 600 MB, a promote needs ~150-260
    item = next(i for i in SnapshotStore(ws, "f").manifest(1)["inputs"] if i["path"] == "frameworks/big.bin")
    assert ObjectStore(ws).path_for(item["object"]).stat().st_size == 600 << 20
    assert verify_snapshot(ws, "f").sequence == 1
