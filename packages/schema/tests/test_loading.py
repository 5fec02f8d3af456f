from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.core import load_workspace
from artigov.core.testing import make_artifact, make_workspace
from artigov.schema._loader import load_frontmatter_artifact, load_sidecar_artifact, sidecar_target
from artigov.schema.errors import ArtifactLoadError


def test_frontmatter_checksum_covers_the_body_only(tmp_path: Path) -> None:
    body = "# Title\n\nline two\n"
    (tmp_path / "a.md").write_text(make_artifact("a", body=body))
    art = load_frontmatter_artifact(tmp_path, "a.md")
    assert art.checksum == "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    assert art.metadata["version"] == "1.0.0"
    assert art.size == (tmp_path / "a.md").stat().st_size


def test_crlf_frontmatter_is_understood(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes(b'---\r\nid: a\r\nversion: "1"\r\n---\r\nbody\r\n')
    art = load_frontmatter_artifact(tmp_path, "a.md")
    assert art.metadata == {"id": "a", "version": "1"}
    assert art.checksum == "sha256:" + hashlib.sha256(b"body\r\n").hexdigest()


def test_dots_close_frontmatter_too(tmp_path: Path) -> None:
    (tmp_path / "a.mdc").write_text("---\nid: a\n...\nrest\n")
    assert load_frontmatter_artifact(tmp_path, "a.mdc").metadata == {"id": "a"}


def test_sidecar_checksum_covers_the_whole_file(tmp_path: Path) -> None:
    (tmp_path / "data.bin").write_bytes(b"\x00\x01binary")
    (tmp_path / "data.bin.meta.json").write_text('{"id": "d", "version": "1"}')
    art = load_sidecar_artifact(tmp_path, "data.bin", "data.bin.meta.json")
    assert art.checksum == "sha256:" + hashlib.sha256(b"\x00\x01binary").hexdigest()
    assert art.source == "data.bin.meta.json"


@pytest.mark.parametrize(
    ("rel", "target"),
    [
        ("a/x.csv.meta.yaml", "a/x.csv"),
        ("x.json.meta.json", "x.json"),
        ("x.meta.yml", "x"),
        ("a/.meta.yaml", None),
        ("plain.md", None),
    ],
)
def test_sidecar_target(rel: str, target: str | None) -> None:
    assert sidecar_target(rel) == target


def test_json_sidecar_nan_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x")
    (tmp_path / "x.meta.json").write_text('{"id": NaN}')
    with pytest.raises(ArtifactLoadError) as info:
        load_sidecar_artifact(tmp_path, "x", "x.meta.json")
    assert info.value.code == "J001"


def test_errors_are_one_line_with_code_and_fix(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\nid: a\nid: b\n---\n")
    with pytest.raises(ArtifactLoadError) as info:
        load_frontmatter_artifact(tmp_path, "a.md")
    text = str(info.value)
    assert text.startswith("a.md:3: Y004 duplicate key 'id'")
    assert "(fix: " in text and "\n" not in text


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "d.md").mkdir()
    with pytest.raises(ArtifactLoadError) as info:
        load_frontmatter_artifact(tmp_path, "d.md")
    assert info.value.code == "S001"


# YAML forbids raw C0/C1 controls, surrogates, line/paragraph separators and BOMs inside scalars.
safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"), max_size=40
)


@settings(max_examples=60, deadline=None)
@given(
    title=safe_text,
    body=st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=200),
    version=st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True),
)
def test_frontmatter_round_trip(tmp_path_factory: pytest.TempPathFactory, title: str, body: str, version: str) -> None:
    import json

    root = tmp_path_factory.mktemp("rt")
    text = make_artifact("rt", version=version, extra=f"title: {json.dumps(title, ensure_ascii=False)}\n", body=body)
    (root / "a.md").write_bytes(text.encode("utf-8"))
    art = load_frontmatter_artifact(root, "a.md")
    assert art.metadata["title"] == title
    assert art.version == version
    assert art.checksum == "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()


def test_kind_schema_from_workspace_overrides_packaged(tmp_path: Path) -> None:
    from artigov.schema._validator import SchemaSet

    root = make_workspace(
        tmp_path,
        files={
            "schemas/kinds/technical-plan.schema.json": '{"type": "object", "required": ["owner"]}',
            "frameworks/a.md": make_artifact("a"),
        },
    )
    ws = load_workspace(root)
    art = load_frontmatter_artifact(root, "frameworks/a.md")
    findings = SchemaSet(ws.kind_schemas_dir).check(art)
    assert [f.message for f in findings] == ["'owner' is a required property"]
