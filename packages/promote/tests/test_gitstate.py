"""Which promoted inputs are not the bytes of the commit promoted (the manifest's ``dirty``), told
without reading git's index (which holds every file of the repository), in real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from artigov.promote._gitstate import _differ_from_head, _status_dirty, git_state


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def _repo(root: Path, files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=a@example.org", "-c", "user.name=a", "commit", "-qm", "one")
    return root


FILES = {
    "ws/f/a/one.md": b"one\n",
    "ws/f/two.md": b"two\n",
    "ws/f/sp ace [x]*.md": b"odd name\n",
    "ws/f/crlf.md": b"committed\r\nwith CRLF\r\n",
    "ws/f/\u00fcber.md": b"non-ASCII name\n",
}


def test_edits_new_files_and_odd_names_are_told_from_head_as_git_status_tells_them(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r", FILES)
    ws = root / "ws"  # the workspace is a folder of the repository
    paths = ["f/a/one.md", "f/two.md", "f/sp ace [x]*.md", "f/crlf.md", "f/\u00fcber.md", "f/new.md"]
    (ws / "f/two.md").write_bytes(b"two, edited\n")
    (ws / "f/new.md").write_bytes(b"never committed\n")
    (ws / "f/sp ace [x]*.md").write_bytes(b"odd name, edited\n")
    expected = ("f/new.md", "f/sp ace [x]*.md", "f/two.md")
    assert _status_dirty(ws, paths) == expected
    assert _differ_from_head(ws, paths) == expected
    assert git_state(ws, paths).dirty == expected
    (ws / "f/two.md").write_bytes(b"two\n")  # put back: the bytes of the commit again
    assert "f/two.md" not in git_state(ws, paths).dirty


def test_git_s_index_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With git's index unreadable, ``git status`` fails; the comparison with HEAD answers (it
    never loads the index, whose size grows with the repository)."""
    root = _repo(tmp_path / "r", FILES)
    (root / "ws/f/two.md").write_bytes(b"edited\n")
    bad = tmp_path / "not-an-index"
    bad.write_bytes(b"DIRC garbage")
    monkeypatch.setenv("GIT_INDEX_FILE", str(bad))
    assert subprocess.run(["git", "status"], cwd=root, capture_output=True, check=False).returncode != 0
    assert _differ_from_head(root / "ws", ["f/a/one.md", "f/two.md"]) == ("f/two.md",)


def test_a_crlf_checkout_is_the_commit_and_an_edit_in_it_is_not(tmp_path: Path) -> None:
    """A ``core.autocrlf=true`` clone (a Windows-style checkout): an LF blob checked out with CRLF
    and a blob committed with CRLF are both the commit's bytes; an edit is not."""
    origin = _repo(tmp_path / "origin", FILES)
    clone = tmp_path / "clone"
    _git(tmp_path, "-c", "core.autocrlf=true", "clone", "-q", str(origin), str(clone))
    _git(clone, "config", "core.autocrlf", "true")
    ws = clone / "ws"
    assert (ws / "f/a/one.md").read_bytes() == b"one\r\n"
    paths = ["f/a/one.md", "f/crlf.md", "f/two.md"]
    assert _differ_from_head(ws, paths) == () == _status_dirty(ws, paths)
    (ws / "f/a/one.md").write_bytes(b"one\r\nmore\r\n")
    assert _differ_from_head(ws, paths) == ("f/a/one.md",) == _status_dirty(ws, paths)


def test_an_ignored_input_is_not_committed(tmp_path: Path) -> None:
    """An input in an ignored folder is in no commit: ``git status`` does not list it (it hides
    ignored files), the comparison with HEAD does."""
    root = _repo(tmp_path / "r", {**FILES, "ws/.gitignore": b"drafts/\n"})
    (root / "ws/drafts").mkdir()
    (root / "ws/drafts/plan.md").write_bytes(b"ignored\n")
    assert _status_dirty(root / "ws", ["drafts/plan.md"]) == ()
    assert git_state(root / "ws", ["drafts/plan.md"]).dirty == ("drafts/plan.md",)


def test_what_git_cannot_hash_is_left_to_git_status(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r", FILES)
    (root / "ws/f/two.md").unlink()  # deleted since the commit: nothing to hash
    assert _differ_from_head(root / "ws", ["f/two.md"]) is None
    assert git_state(root / "ws", ["f/two.md", "f/a/one.md"]).dirty == ("f/two.md",)  # status: deleted
