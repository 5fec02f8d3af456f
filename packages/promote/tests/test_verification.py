"""Verification beyond the code table (test_verify_codes.py): what its messages say, and subtler damage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from artigov.core import Workspace
from artigov.core.testkeys import gnupg_home
from artigov.promote import (
    PromoteOptions,
    VerificationError,
    VerifyOptions,
    promote,
)
from artigov.promote._store import ObjectStore, SnapshotStore
from artigov.promote._verify import verify_snapshot

from .conftest import edit_plan, flip_byte, verify_code


def test_a_trusted_key_with_no_public_key_anywhere_says_where_to_add_it(tmp_path: Path, keys, ws_factory) -> None:  # type: ignore[no-untyped-def]
    """A second maintainer's clone: the trusted key is in neither governance/keys/ nor the keyring."""
    ws = ws_factory(tmp_path / "w", keys.home, keys.good, [keys.good])
    promote(ws, "f", "design")
    (ws.keys_dir / f"{keys.good}.asc").unlink()
    with gnupg_home() as empty:
        config = ws.config_path.read_text().replace(f"gnupghome: {keys.home}", f"gnupghome: {empty}")
        ws.config_path.write_text(config)
        from artigov.core import load_workspace

        with pytest.raises(VerificationError) as info:
            verify_snapshot(load_workspace(ws.root), "f")
    assert info.value.code == "V018"
    assert f"governance/keys/{keys.good}.asc" in str(info.value)


def test_replay_is_caught_through_the_decision_log_even_when_newer_folders_are_deleted(ws: Workspace) -> None:
    import shutil

    first = promote(ws, "f", "design")
    edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    shutil.rmtree(store.seq_dir(2))  # the attacker removes the newer folder: the decision log remembers
    from artigov.core import write_atomic
    from artigov.promote._store import Head

    write_atomic(store.head_path, Head(1, first.digest).with_gate("design", 1, first.digest).to_bytes())
    assert verify_code(ws) == "V007"


@pytest.mark.parametrize("target", ["manifest.json", "manifest.json.asc", "object"])
def test_a_flipped_byte_is_detected(ws: Workspace, target: str) -> None:
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    if target == "object":
        flip_byte(ObjectStore(ws).path_for(json.loads(store.manifest_bytes(1))["inputs"][0]["object"]), 5)
        expected = "V009"
    elif target == "manifest.json":
        flip_byte(store.seq_dir(1) / target, 30)
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
    assert verify_code(ws) == expected


def test_expires_days_counts_from_now_and_an_expired_snapshot_is_rejected(ws: Workspace) -> None:
    import time

    promote(ws, "f", "design", PromoteOptions(expires_days=1))  # created_at is SOURCE_DATE_EPOCH, a year ago
    assert verify_snapshot(ws, "f").sequence == 1  # not born expired
    manifest = json.loads(SnapshotStore(ws, "f").manifest_bytes(1))
    assert manifest["created_at"] < "2026" and manifest["expires"] > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with pytest.raises(VerificationError) as info:
        verify_snapshot(ws, "f", options=VerifyOptions(now=time.time() + 2 * 86400))
    assert info.value.code == "V015"


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
    assert verify_code(ws) == "V017"
    store.decisions_path.unlink()
    assert verify_code(ws) == "V017"


def test_verify_refuses_a_snapshot_whose_stored_bytes_say_something_else(ws: Workspace, keys) -> None:  # type: ignore[no-untyped-def]
    """A manifest that claims `approved` over stored bytes that say `draft` (what an unchecked read
    once signed) does not verify, even correctly signed and with intact objects."""
    from artigov.core import canonical_json, digest_bytes, sign_detached, write_atomic
    from artigov.promote._store import Head

    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    manifest = json.loads(store.manifest_bytes(1))
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


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        ("pruned", "V006"),  # a pruned.json that is not JSON
        ("manifest", "V004"),  # a manifest that is not JSON but whose digest HEAD names
    ],
)
def test_hostile_record_files_are_one_verification_error(ws: Workspace, damage: str, code: str) -> None:
    from artigov.core import digest_bytes, write_atomic
    from artigov.promote._store import Head

    promote(ws, "f", "design")
    edit_plan(ws, "# Plan v2\n")
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
