"""The committed documents are read through their types: a manifest's and HEAD's bytes come back
from ``from_bytes`` and go out through ``to_bytes`` unchanged, and a document that is not one is
refused with the code verify uses."""

from __future__ import annotations

import json

import pytest

from artigov.core import Workspace, canonical_json
from artigov.promote import Head, Manifest, ManifestError, SnapshotStore, VerificationError, promote


def test_a_manifest_and_head_read_back_through_their_types_byte_for_byte(ws: Workspace) -> None:
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    data = store.manifest_bytes(1)
    manifest = Manifest.from_bytes(data)
    assert manifest.to_bytes() == data
    assert store.manifest(1) == manifest
    assert [i.path for i in manifest.inputs] == [i["path"] for i in json.loads(data)["inputs"]]
    assert all(i.objects == (i.object,) for i in manifest.inputs if i.meta is None)
    head = store.head_path.read_bytes()
    assert Head.from_bytes(head).to_bytes() == head


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda m: b"[1, 2]", "V004"),
        (lambda m: b"{not json", "V004"),
        (lambda m: canonical_json({**m, "sequence": "1"}), "V016"),
        (lambda m: canonical_json({k: v for k, v in m.items() if k != "signer"}), "V016"),
        (lambda m: canonical_json({**m, "inputs": [{**m["inputs"][0], "status": "final"}]}), "V016"),
    ],
)
def test_bytes_that_are_not_a_manifest_are_refused_with_verifys_code(ws: Workspace, change: object, code: str) -> None:
    promote(ws, "f", "design")
    store = SnapshotStore(ws, "f")
    bad = change(json.loads(store.manifest_bytes(1)))  # type: ignore[operator]
    with pytest.raises(ManifestError) as raised:
        Manifest.from_bytes(bad)
    assert raised.value.code == code
    path = store.seq_dir(1) / "manifest.json"
    path.chmod(0o644)
    path.write_bytes(bad)
    with pytest.raises(VerificationError) as seen:
        store.manifest(1)
    assert seen.value.code == code and "snapshot 1" in str(seen.value)


def test_a_head_that_is_not_one_says_why() -> None:
    for bad in (b"{}", b"[]", b'{"sequence": "x", "digest": "d"}', b"not json"):
        with pytest.raises(ValueError):
            Head.from_bytes(bad)
