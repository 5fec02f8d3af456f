"""Promote: a signed snapshot of a gate's inputs, refused whole when anything is wrong, finished when interrupted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from artigov.core import Workspace
from artigov.index import rebuild
from artigov.promote import (
    GateFailedError,
    PromoteOptions,
    PromotionError,
    VerificationError,
    promote,
    rollback,
)
from artigov.promote._store import ObjectStore, SnapshotStore
from artigov.promote._verify import verify_snapshot

from .conftest import FAULT_MODES, edit_plan, fault_runs, verify_code


def test_promote_writes_a_verifiable_signed_snapshot(ws: Workspace) -> None:
    p = promote(ws, "f", "design")
    assert p.sequence == 1 and p.inputs == 2
    store = SnapshotStore(ws, "f")
    manifest = json.loads(store.manifest_bytes(1))
    assert manifest["parent"] is None and manifest["signer"] == p.signer
    assert manifest["created_at"] == "2025-11-24T16:00:00Z" and manifest["created_at_source"] == "SOURCE_DATE_EPOCH"
    assert store.head() is not None and store.head().digest == p.digest  # type: ignore[union-attr]
    attributes = (ws.record_dir / ".gitattributes").read_text()
    assert "objects/** binary" in attributes and "*/snapshots/** binary" in attributes
    assert store.dir == ws.record_dir / "f" and (store.dir / "snapshots" / "000001").is_dir()
    assert (ws.keys_dir / f"{p.signer}.asc").read_bytes().startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK")
    assert manifest["format_version"] == 3 and manifest["git"]["commit"] is None
    assert manifest["trust_version"] == 1
    assert manifest["decisions"]["lines"] == sum(1 for _ in store.decisions_path.open("rb"))
    assert b"BEGIN PGP SIGNATURE" in store.signature_bytes(1)
    v = verify_snapshot(ws, "f")
    assert v.sequence == 1 and v.signer == p.signer
    for item in manifest["inputs"]:
        assert ObjectStore(ws).get(item["object"]) == (ws.root / item["path"]).read_bytes()


def test_second_promotion_chains_to_the_first(ws: Workspace) -> None:
    first = promote(ws, "f", "design")
    edit_plan(ws, "# Plan v2\n")
    second = promote(ws, "f", "design")
    assert second.sequence == 2
    assert json.loads(SnapshotStore(ws, "f").manifest_bytes(2))["parent"] == first.digest
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


def test_a_committed_index_that_drifted_refuses_promotion(ws: Workspace) -> None:
    from artigov.core import load_workspace

    ws.config_path.write_text(ws.config_path.read_text() + "index_committed: true\n")
    ws = load_workspace(ws.root)
    (ws.root / "frameworks/tp.md").write_text((ws.root / "frameworks/tp.md").read_text() + "drift\n")
    with pytest.raises(PromotionError, match="index update"):
        promote(ws, "f", "design")


@pytest.mark.parametrize("cache", ["stat cache", "no stat cache"])
def test_a_committed_index_refuses_promotion_when_a_file_that_is_no_input_drifted(ws: Workspace, cache: str) -> None:
    """The index check is ``index verify``'s: by file stats where the stat cache proves them, else
    every file re-hashed; either way a drift outside the inputs (re-read anyway) refuses."""
    from artigov.core import load_workspace
    from artigov.core.testing import make_artifact
    from artigov.index._walk import cache_path

    ws.config_path.write_text(ws.config_path.read_text() + "index_committed: true\n")
    ws = load_workspace(ws.root)
    (ws.root / "frameworks/other.md").write_text(make_artifact("other", framework="g", body="# Other\n"))
    rebuild(ws)
    (ws.root / "frameworks/other.md").write_text(make_artifact("other", framework="g", body="# Other, edited\n"))
    if cache == "no stat cache":
        cache_path(ws).unlink()
    head = (ws.root / "governance/f/HEAD").read_bytes() if (ws.root / "governance/f/HEAD").exists() else None
    with pytest.raises(PromotionError, match=r"the index differs from the files in 1 path\(s\)"):
        promote(ws, "f", "design")
    assert ((ws.root / "governance/f/HEAD").read_bytes() if (ws.root / "governance/f/HEAD").exists() else None) == head


def test_a_local_index_is_brought_up_to_date_and_the_manifest_names_the_fresh_one(ws: Workspace) -> None:
    from artigov.index import read_index

    (ws.root / "frameworks/tp.md").write_text((ws.root / "frameworks/tp.md").read_text() + "drift\n")
    ws.index_path.unlink()  # a fresh clone: the local index is not there at all
    done = promote(ws, "f", "design")
    manifest = json.loads(SnapshotStore(ws, "f").manifest_bytes(done.sequence))
    assert manifest["index_digest"] == read_index(ws).digest


def test_promote_refuses_to_sign_with_an_untrusted_key_and_writes_nothing(ws: Workspace, keys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PromotionError, match=r"trust version 1 does not let it sign gate 'design'"):
        promote(ws, "f", "design", PromoteOptions(key=keys.other))
    assert not (ws.record_dir / "f").exists()


def test_the_manifest_pins_its_own_decisions_and_the_log_says_who_lost_by_which_rule(ws: Workspace) -> None:
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    events = [json.loads(line) for line in store.decisions_path.read_bytes().splitlines()]
    trusted = events.pop(0)  # the trust version in force is recorded before the snapshot signed under it
    assert trusted["event"] == "trust_version_recorded" and trusted["data"]["version"] == 1
    assert trusted["data"]["signers"] == {"*": [json.loads(store.manifest_bytes(1))["signer"]]}
    assert events[0]["event"] == "gate_checked" and events[-1]["event"] == "snapshot_promoted"
    assert {e["data"]["sequence"] for e in events} == {1}
    promoted = events[-1]["data"]
    assert promoted["signer"] == json.loads(store.manifest_bytes(1))["signer"] and promoted["inputs_committed"] is False
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


@pytest.mark.parametrize(
    "point", ["after-objects", "after-manifest", "after-signature", "mid-decisions-append", "after-decisions"]
)
def test_crash_before_the_head_moves_never_leaves_a_head_on_an_incomplete_snapshot(ws: Workspace, point: str) -> None:
    first = promote(ws, "f", "design")
    edit_plan(ws, "# Plan v2\n")
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core._workspace import load_workspace
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
        assert verify_code(ws) == "V020"
    else:
        assert verify_snapshot(ws, "f").sequence == 1
    again = promote(ws, "f", "design")
    assert again.sequence == 2 and verify_snapshot(ws, "f").sequence == 2  # finished, never made twice
    store = SnapshotStore(ws, "f")
    assert store.unfinished() == [] and store.sequences() == [1, 2]
    assert sum(b"snapshot_promoted" in x for x in store.decisions_path.read_bytes().splitlines()) == 2


@pytest.mark.parametrize("point", ["before-head-move", "before-publish"])
def test_a_recorded_promotion_is_finished_by_repair_head(ws: Workspace, point: str) -> None:
    from artigov.promote._migrate import repair_head

    promote(ws, "f", "design")
    edit_plan(ws, "# Plan v2\n")
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core._workspace import load_workspace
        from artigov.promote import promote
        promote(load_workspace(Path({str(ws.root)!r})), "f", "design")
        """)
    env = {**os.environ, "ARTIGOV_FAULT": point}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=False).returncode == 70
    assert verify_code(ws) == "V020"
    repaired = repair_head(ws, "f")
    assert repaired.head == 2 and "snapshot 2" in repaired.note
    assert verify_snapshot(ws, "f").sequence == 2


def test_a_missing_head_is_refused_and_never_deletes_snapshots(ws: Workspace) -> None:
    from artigov.promote._migrate import repair_head

    promote(ws, "f", "design")
    edit_plan(ws, "# Plan v2\n")
    second = promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    store.head_path.unlink()
    assert verify_code(ws) == "V002"
    with pytest.raises(PromotionError, match="repair-head"):
        promote(ws, "f", "design")
    with pytest.raises(PromotionError, match="repair-head"):
        rollback(ws, "f", reason="x")
    assert store.sequences() == [1, 2]
    assert repair_head(ws, "f").head == 2
    assert verify_snapshot(ws, "f").digest == second.digest


def test_old_local_layout_is_refused_until_migrated(ws: Workspace, keys) -> None:  # type: ignore[no-untyped-def]
    """Snapshots under state_dir (the old layout) are moved into the record, verified before and after."""
    import shutil

    from artigov.core import canonical_json, digest_bytes, sign_detached
    from artigov.promote._migrate import migrate_record

    promote(ws, "f", "design")
    # Build the old layout: a format-1 manifest (audit_head, no decisions or git), signed, under state_dir.
    store = SnapshotStore(ws, "f")
    body = {k: v for k, v in json.loads(store.manifest_bytes(1)).items() if k not in ("decisions", "git")}
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
    assert result.trust is not None and result.trust.state == "accepted"  # version 1 from signing.key/trusted
    assert not (ws.state_dir / "snapshots").exists() and not (ws.state_dir / "objects").exists()
    assert verify_snapshot(ws, "f").digest == first_digest
    events = [json.loads(x) for x in store.decisions_path.read_bytes().splitlines()]
    assert [(e["event"], e["data"]["sequence"]) for e in events] == [("snapshot_migrated", 1)]
    edit_plan(ws, "# Plan v2\n")
    assert promote(ws, "f", "design").sequence == 2


def test_migrate_record_makes_trust_version_1_from_the_settings_so_an_old_record_keeps_verifying(
    tmp_path: Path, keys
) -> None:  # type: ignore[no-untyped-def]
    """A record made before trust versions (signing.trusted in artigov.yaml, people: in the contract)
    verifies again once migrate-record wrote version 1 from those settings, approvals included."""
    import shutil

    from artigov.contract import Signoff, transition
    from artigov.core import TrustError, load_trust
    from artigov.promote._migrate import migrate_record

    from .conftest import ALICE, CAROL, build_signed_approvals_ws

    ws = build_signed_approvals_ws(tmp_path / "ws", keys)
    plan = ws.root / "frameworks/tp.md"
    transition(ws, plan, "review", Signoff(who=CAROL))
    transition(ws, plan, "approve", Signoff(who=ALICE))
    promote(ws, "f", "design")
    shutil.rmtree(ws.record_dir / "trust")  # as before trust versions existed
    with pytest.raises(TrustError) as info:
        verify_snapshot(ws, "f")
    assert info.value.code == "T001" and "migrate-record" in str(info.value)
    result = migrate_record(ws)
    assert result.frameworks == {} and result.trust is not None and result.trust.state == "accepted"
    doc = load_trust(ws).newest
    assert doc.root_keys == (keys.good,) and doc.signers_for("f", "design") == (keys.good,)
    assert doc.keys_of("f", ALICE) == (keys.alice,) and doc.keys_of("f", CAROL) == (keys.carol,)
    assert verify_snapshot(ws, "f").sequence == 1  # the approvals re-checked against version 1's people
    with pytest.raises(PromotionError, match="nothing to migrate"):
        migrate_record(ws)


def test_manifest_is_canonical_json(ws: Workspace) -> None:
    from artigov.core import canonical_json

    promote(ws, "f", "design")
    data = SnapshotStore(ws, "f").manifest_bytes(1)
    assert canonical_json(json.loads(data)) == data


def test_a_replayed_head_makes_promote_and_rollback_refuse_and_delete_nothing(ws: Workspace) -> None:
    first = promote(ws, "f", "design")
    edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    from artigov.core import write_atomic
    from artigov.promote._store import Head

    write_atomic(store.head_path, Head(1, first.digest).with_gate("design", 1, first.digest).to_bytes())
    before = sorted(p.relative_to(ws.record_dir).as_posix() for p in ws.record_dir.rglob("*"))
    for attempt in (lambda: promote(ws, "f", "design"), lambda: rollback(ws, "f", reason="x")):
        with pytest.raises(VerificationError) as info:
            attempt()
        assert info.value.code == "V007"
    assert sorted(p.relative_to(ws.record_dir).as_posix() for p in ws.record_dir.rglob("*")) == before


def test_a_corrupt_object_left_in_the_store_is_rewritten_not_signed(ws: Workspace) -> None:
    from artigov.core import digest_bytes

    data = (ws.root / "frameworks/tp.md").read_bytes()
    path = ObjectStore(ws).path_for(digest_bytes(data))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not the bytes of tp.md")
    path.chmod(0o444)
    promote(ws, "f", "design")
    assert path.read_bytes() == data
    assert verify_snapshot(ws, "f").sequence == 1


def test_a_decision_log_that_cannot_grow_fails_the_promotion_and_leaves_the_record_as_it_was(ws: Workspace) -> None:
    """A file-size limit (like a full disk) hits the decision-log append, the commit point: the
    append is rolled back to whole lines, nothing is recorded, the command fails, a re-run works."""
    promote(ws, "f", "design")
    edit_plan(ws, "# Plan v2\n")
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
        from artigov.core._workspace import load_workspace
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


@pytest.mark.slow
def test_an_input_flipped_every_50_ms_never_yields_a_snapshot_that_signed_other_bytes(ws: Workspace) -> None:
    """The race an attacker (or a busy editor) runs: tp.md flips between the indexed, approved text
    and a draft every 50 ms while 40 promotions run past the index check. Each either refuses or
    records bytes that say exactly what its manifest says (a run here: 13 promoted, 27 refused as
    changed while promoting, none inconsistent)."""
    import threading

    from artigov.core import ArtigovError

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
        for item in json.loads(store.manifest_bytes(sequence))["inputs"]:
            stored = ObjectStore(ws).get(item["object"])
            assert b"status: " + item["status"].encode() in stored


@pytest.mark.slow
@pytest.mark.parametrize("mode", FAULT_MODES)
def test_every_file_system_step_of_promote_crashed_or_failed_leaves_a_record_that_verifies(
    ws: Workspace, tmp_path: Path, mode: str
) -> None:
    """SQLite-style: number every file-system step of a promotion; at each, crash (exit), fail with
    ENOSPC, fail with EIO. After each: the record verifies (the old head, or a recorded promotion
    that verify says how to finish), an error is one true line, and a re-run promotes."""
    import shutil

    from artigov.core import load_workspace
    from artigov.promote._migrate import repair_head

    promote(ws, "f", "design")
    edit_plan(ws, "# Plan v2\n")
    template = tmp_path / "template"
    shutil.copytree(ws.root, template, symlinks=True)
    seen: set[str] = set()
    call = 'promote(ws, "f", "design")'
    for run, done, _, where in fault_runs(template, tmp_path, call, lambda w: promote(w, "f", "design"), (mode,)):
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
            head = repair_head(rws, "f").head
        assert head in (1, 2) and (recorded is not False or head == 1), where
        again = promote(rws, "f", "design")
        assert again.sequence in (2, 3) and verify_snapshot(rws, "f").sequence == again.sequence, where
    if mode != "crash":  # failures on both sides of the commit point were met
        assert seen == {"recorded", "not recorded"}


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
        from artigov.core._logconfig import configure_logging
        from artigov.core._workspace import load_workspace
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
    item = next(
        i for i in json.loads(SnapshotStore(ws, "f").manifest_bytes(1))["inputs"] if i["path"] == "frameworks/big.bin"
    )
    assert ObjectStore(ws).path_for(item["object"]).stat().st_size == 600 << 20
    assert verify_snapshot(ws, "f").sequence == 1


def test_objects_stored_in_a_batch_are_the_ones_put_stores(ws: Workspace) -> None:
    """put_all: every blob stored intact under its digest (duplicates once), an intact copy kept
    as it is, a corrupt leftover rewritten, no temp file left; the digests in the blobs' order."""
    from artigov.core import digest_bytes

    objects = ObjectStore(ws)
    blobs = [f"blob {i % 40}\n".encode() * (i % 7 + 1) for i in range(120)]  # duplicates among them
    kept = objects.put(blobs[0])
    kept_inode = objects.path_for(kept).stat().st_ino
    corrupt = objects.path_for(digest_bytes(blobs[1]))
    corrupt.parent.mkdir(parents=True, exist_ok=True)
    corrupt.write_bytes(b"a leftover of a killed write")
    corrupt.chmod(0o444)
    digests = objects.put_all(blobs)
    assert digests == [digest_bytes(b) for b in blobs]
    for blob, digest in zip(blobs, digests, strict=True):
        assert objects.check(digest) is None and objects.get(digest) == blob
        assert objects.path_for(digest).stat().st_mode & 0o777 == 0o444
    assert objects.path_for(kept).stat().st_ino == kept_inode  # an intact copy is never rewritten
    assert sorted(objects.all()) == sorted(set(digests))
    assert not [p for p in objects.root.rglob(".*")]  # no temp files
    assert objects.put_all([]) == []


def test_read_checked_gives_the_bytes_it_hashed_only_when_intact_and_small(ws: Workspace) -> None:
    """What the verifier loads is what it hashed: an intact object's bytes up to ``keep`` (larger
    ones hashed in chunks, not held); a corrupt or missing one gives its problem and no bytes."""
    from artigov.core import digest_bytes

    objects = ObjectStore(ws)
    small, big = b"small object\n", b"x" * (3 << 20)  # big: several of read_checked's 1 MiB chunks
    for blob in (small, big):
        objects.put(blob)
    assert objects.read_checked(digest_bytes(small), keep=1 << 20) == (None, small)
    assert objects.read_checked(digest_bytes(big), keep=4 << 20) == (None, big)
    assert objects.read_checked(digest_bytes(big), keep=1 << 20) == (None, None)
    path = objects.path_for(digest_bytes(small))
    path.chmod(0o644)
    path.write_bytes(b"tampered\n")
    problem, data = objects.read_checked(digest_bytes(small), keep=1 << 20)
    assert problem == f"content hashes to {digest_bytes(b'tampered' + bytes([10]))}" and data is None
    assert objects.check(digest_bytes(small)) == problem
    assert objects.read_checked(digest_bytes(b"never stored"), keep=1 << 20) == ("missing", None)


def test_a_promotion_stats_the_files_once_and_reads_only_its_inputs(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index check proves the files by stats (one pass: the gate and the hydration take the
    slice it read, not a refresh each); the artifacts read are the inputs, not the workspace."""
    import time

    import artigov.index._statcache as statcache
    import artigov.schema._loader as loader
    from artigov.core.testing import make_artifact
    from artigov.index import update

    for i in range(20):  # artifacts of another framework: never read by this promotion
        (ws.root / f"frameworks/other-{i}.md").write_text(make_artifact(f"o{i}", framework="g", body="# O\n"))
    past = time.time() - 100
    for path in (ws.root / "frameworks").iterdir():
        os.utime(path, (past, past))  # older than the stat cache's racy window
    update(ws)
    update(ws)  # the stat cache now proves every file
    passes: list[int] = []
    reads: list[str] = []
    real_stat, real_open = statcache._stat_files, loader._open_regular

    def counted(*args: object) -> object:
        passes.append(1)
        return real_stat(*args)  # type: ignore[arg-type]

    def opened(path: Path | str, rel: str, **kw: object) -> object:
        reads.append(rel)
        return real_open(path, rel, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(statcache, "_stat_files", counted)
    monkeypatch.setattr(loader, "_open_regular", opened)
    done = promote(ws, "f", "design")
    assert done.inputs == 2 and len(passes) == 1
    assert "frameworks/tp.md" in reads and not [r for r in reads if "other-" in r]
