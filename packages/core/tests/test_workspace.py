from __future__ import annotations

import os
from pathlib import Path

import pytest

from artigov.core._workspace import find_root, load_workspace, resolve_inside
from artigov.core.errors import ConfigError, PathEscapeError, WorkspaceNotFoundError
from artigov.core.testing import make_workspace

FPR = "0123456789ABCDEF0123456789ABCDEF01234567"


def test_discovery_walks_up_from_a_subdirectory(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    deep = root / "frameworks" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_root(deep) == root.resolve()
    assert load_workspace(start=deep).root == root.resolve()


def test_root_overrides_discovery(tmp_path: Path) -> None:
    outer = make_workspace(tmp_path / "outer")
    inner = make_workspace(outer / "inner")
    assert load_workspace(inner).root == inner.resolve()


def test_no_workspace_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceNotFoundError) as info:
        find_root(tmp_path)
    assert "artigov.yaml" in str(info.value) and "--root" in str(info.value)
    assert info.value.exit_code == 2


def test_defaults_are_filled_in(tmp_path: Path) -> None:
    ws = load_workspace(make_workspace(tmp_path, "artifacts: [docs/**]\n"))
    assert ws.artifacts == ("docs/**",)
    assert ws.index_path == tmp_path.resolve() / "artifacts_index.json"
    assert ws.audit_path == tmp_path.resolve() / ".artigov" / "audit.jsonl"
    assert ws.signing.trusted == ()


def test_signing_fingerprints_are_normalised(tmp_path: Path) -> None:
    config = f"signing:\n  key: {FPR.lower()}\n  trusted: [{FPR.lower()}]\n"
    ws = load_workspace(make_workspace(tmp_path, config))
    assert ws.signing.key == FPR
    assert ws.signing.trusted == (FPR,)


@pytest.mark.parametrize(
    ("config", "field", "hint"),
    [
        ("artifacts: frameworks/**\n", "artifacts", "README"),
        ("artifacts: []\n", "artifacts", "README"),
        ("index: 3\n", "index", "README"),
        ("unknown_field: 1\n", None, "remove or rename"),
        ("signing:\n  trusted: [ABCD]\n", "signing.trusted[0]", "40-hex-digit"),
    ],
)
def test_invalid_config_names_file_and_field(tmp_path: Path, config: str, field: str | None, hint: str) -> None:
    make_workspace(tmp_path, config)
    with pytest.raises(ConfigError) as info:
        load_workspace(tmp_path)
    message = str(info.value)
    assert "artigov.yaml" in message
    if field:
        assert f"`{field}`" in message
    assert hint in message
    assert "\n" not in message


@pytest.mark.parametrize("text", ["a: [unclosed\n", "a: &x 1\nb: *x\n", "- a list\n", "a: 1\na: 2\n"])
def test_malformed_config_yaml_is_a_config_error(tmp_path: Path, text: str) -> None:
    make_workspace(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_workspace(tmp_path)
    assert "artigov.yaml" in str(info.value)


def test_config_not_utf8(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    (tmp_path / "artigov.yaml").write_bytes(b"index: caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_workspace(tmp_path)


@pytest.mark.parametrize("config", ["index: ../outside.json\n", "state_dir: /tmp/x\n", "artifacts: [../**]\n"])
def test_config_paths_may_not_escape(tmp_path: Path, config: str) -> None:
    make_workspace(tmp_path / "ws", config)
    with pytest.raises(PathEscapeError) as info:
        load_workspace(tmp_path / "ws")
    assert "escapes the workspace" in str(info.value)


def test_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", "state_dir: state\n")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "state")
    with pytest.raises(PathEscapeError):
        load_workspace(root)


def test_resolve_inside_accepts_normal_paths(tmp_path: Path) -> None:
    assert resolve_inside(tmp_path, "a/b.json") == tmp_path / "a" / "b.json"


def test_missing_root_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such directory"):
        load_workspace(tmp_path / "nope")


def test_directory_without_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_workspace(tmp_path)


def test_rel_refuses_paths_outside(tmp_path: Path) -> None:
    ws = load_workspace(make_workspace(tmp_path / "ws"))
    assert ws.rel(ws.root / "frameworks" / "x.md") == "frameworks/x.md"
    with pytest.raises(PathEscapeError):
        ws.rel(tmp_path / "other.md")


def test_a_valid_config_loads_without_jsonschema_and_a_bad_one_is_still_explained(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "artigov.yaml").write_text(
        "artifacts: [frameworks/**]\nstate_dir: .state\nsigning:\n  key: null\n  trusted: []\n"
    )
    code = (
        "import sys\nfrom pathlib import Path\nfrom artigov.core._workspace import load_workspace\n"
        f"load_workspace(Path({str(tmp_path)!r}))\nprint('jsonschema' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    (tmp_path / "artigov.yaml").write_text("artifacts: [frameworks/**]\nstate_dri: .state\n")
    with pytest.raises(ConfigError) as info:
        load_workspace(tmp_path)
    assert "state_dri" in str(info.value) and "known:" in str(info.value)
