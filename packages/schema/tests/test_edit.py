"""Metadata edits in place: only the named keys change; comments, order, quoting and the body stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from artigov.schema._edit import EditError, edit_metadata, edit_yaml_text
from artigov.schema._loader import load_frontmatter_artifact, load_sidecar_artifact


def test_only_the_named_keys_change() -> None:
    text = "# owner: carol\nid: x  # stable\nstatus: review\napproved_by: [bob@x.org]\ntags:\n  - a\n  - b\n"
    out = edit_yaml_text(text, {"status": "approved", "approved_by": ["bob@x.org", "al@x.org"], "updated_at": "T"})
    assert out == (
        "# owner: carol\nid: x  # stable\nstatus: approved\napproved_by:\n- bob@x.org\n- al@x.org\ntags:\n  - a\n"
        "  - b\nupdated_at: T\n"
    )


def test_crlf_files_stay_crlf() -> None:
    out = edit_yaml_text("id: x\r\nstatus: draft\r\n", {"status": "review"})
    assert out == "id: x\r\nstatus: review\r\n"


def test_a_block_list_value_is_replaced_whole() -> None:
    out = edit_yaml_text("approved_by:\n  - a@x.org\n\n  - b@x.org\ntitle: T\n", {"approved_by": []})
    assert out == "approved_by: []\ntitle: T\n"


def test_frontmatter_edit_keeps_the_body_and_is_proved(tmp_path: Path) -> None:
    body = "# Plan\n\n---\nnot frontmatter\n"
    (tmp_path / "a.md").write_text(f'---\nid: a\nversion: "1.0.0"\nstatus: draft\n---\n{body}')
    artifact = load_frontmatter_artifact(tmp_path, "a.md")
    source, new = edit_metadata(tmp_path, artifact, {"status": "review"})
    assert source == "a.md" and new.decode().endswith(body) and b"status: review\n" in new
    assert load_frontmatter_artifact(tmp_path, "a.md", data=new).checksum == artifact.checksum


@pytest.mark.parametrize("suffix", [".meta.yaml", ".meta.json"])
def test_sidecars_are_edited_too(tmp_path: Path, suffix: str) -> None:
    (tmp_path / "model.bin").write_bytes(b"\x00\x01binary")
    meta = (
        '{"id": "m", "version": "1.0.0", "status": "review"}'
        if suffix.endswith("json")
        else 'id: m\nversion: "1.0.0"\nstatus: review\n'
    )
    (tmp_path / f"model.bin{suffix}").write_text(meta)
    artifact = load_sidecar_artifact(tmp_path, "model.bin", f"model.bin{suffix}")
    source, new = edit_metadata(tmp_path, artifact, {"status": "approved", "approved_by": ["al@x.org"]})
    again = load_sidecar_artifact(tmp_path, "model.bin", source, meta_data=new)
    assert again.metadata["status"] == "approved" and again.metadata["approved_by"] == ["al@x.org"]


def test_an_edit_that_would_not_load_as_intended_is_refused(tmp_path: Path) -> None:
    # A flow mapping spanning lines: replacing one top-level line cannot be proved right.
    (tmp_path / "a.md").write_text('---\n{id: a, version: "1.0.0",\n status: draft}\n---\n# A\n')
    artifact = load_frontmatter_artifact(tmp_path, "a.md")
    with pytest.raises(EditError):
        edit_metadata(tmp_path, artifact, {"status": "review"})
