"""The committed documents are read through their types: a manifest's and HEAD's bytes come back
from ``from_bytes`` and go out through ``to_bytes`` unchanged, and a document that is not one is
refused with the code verify uses."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_promoted_manifest_is_verified_without_loading_jsonschema(ws: Workspace) -> None:
    """The manifest schema's ``if``/``then``/``else`` and ``allOf`` are decided by the fast check, so
    a valid manifest never costs a process the ~65 ms jsonschema import; a manifest the fast check
    is unsure of still goes to jsonschema, which has the last word."""
    import subprocess
    import sys

    promote(ws, "f", "design")
    edit = ws.root / "frameworks" / "tp.md"
    edit.write_text(edit.read_text().replace("# Plan v1", "# Plan v2"))
    code = (
        "import sys; from pathlib import Path\n"
        "from artigov.core import load_workspace\n"
        "from artigov.promote import verify_snapshot\n"
        f"verify_snapshot(load_workspace(Path({str(ws.root)!r})), 'f')\n"
        "print('jsonschema' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_manifest_fast_check_never_says_valid_where_jsonschema_does_not(data: st.DataObject) -> None:
    """Real manifests of each format version, with keys dropped, added and changed: whenever the fast
    check says "certainly valid", jsonschema agrees."""
    from jsonschema import Draft202012Validator

    from artigov.core import format_checker
    from artigov.promote._manifest import _certainly_valid, _schema

    base = data.draw(st.sampled_from(_MANIFESTS))
    value = dict(base)
    for key in data.draw(st.lists(st.sampled_from([*sorted(base), "audit_head", "trust_version"]), max_size=3)):
        value[key] = data.draw(st.sampled_from([None, 1, 2, 3, "x", [], {}, base.get(key)]))
    for key in data.draw(st.lists(st.sampled_from(sorted(base)), max_size=2)):
        value.pop(key, None)
    validator = Draft202012Validator(_schema(), format_checker=format_checker())
    assert validator.is_valid(base), list(validator.iter_errors(base))[:1]
    if _certainly_valid()(value):
        assert validator.is_valid(value), value
    if value == base:
        assert _certainly_valid()(value)  # the fast check answers for the manifests written


_DIGEST = "sha256:" + "0" * 64
_V3 = {
    "format_version": 3,
    "framework": "f",
    "gate": "design",
    "sequence": 2,
    "parent": _DIGEST,
    "index_digest": _DIGEST,
    "plan_digest": _DIGEST,
    "inputs": [
        {
            "checksum": _DIGEST,
            "id": "tp",
            "kind": "technical-plan",
            "object": _DIGEST,
            "path": "frameworks/tp.md",
            "status": "approved",
            "version": "1.0.0",
        }
    ],
    "signer": "A" * 40,
    "tool_version": "0.2.0",
    "created_at": "2026-01-01T00:00:00Z",
    "created_at_source": "clock",
    "decisions": {"from": {"head": _DIGEST, "lines": 23}, "head": _DIGEST, "lines": 24},
    "git": {"allow_dirty": True, "commit": "b" * 40, "dirty": [], "inputs_committed": True},
    "trust_version": 1,
}
_MANIFESTS = [
    _V3,
    {k: v for k, v in _V3.items() if k != "trust_version"} | {"format_version": 2},
    {k: v for k, v in _V3.items() if k not in ("trust_version", "decisions", "git")}
    | {"format_version": 1, "audit_head": _DIGEST},
]
