"""Which files adopt leaves alone because git ignores them: what ``git check-ignore`` answers (the
rules, less the files git tracks), in real repositories, from the top and from a folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from artigov.onboard.adopt_rules import _git_ignored


def _git(cwd: Path, *args: str, given: bytes | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, input=given, capture_output=True, check=False).stdout


FILES = [
    "docs/guide.md",
    "docs/_build/page.md",
    "docs/_build/keep.md",
    "docs/drafts/wip.md",
    "docs/drafts/tracked anyway.md",
    "docs/notes.tmp",
    "docs/\u00fcber.tmp",
    "docs/sub/deep/ok.md",
    "docs/sub/deep/local.md",
]


@pytest.mark.parametrize("start", ["", "docs"])
def test_the_ignored_files_are_those_git_check_ignore_names(tmp_path: Path, start: str) -> None:
    repo = tmp_path / "repo"
    for rel in FILES:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(rel + "\n")
    _git(repo, "init", "-q")
    (repo / ".gitignore").write_text("_build/\n!docs/_build/keep.md\ndrafts/\n")
    (repo / "docs/sub/.gitignore").write_text("deep/local.md\n")
    (repo / ".git/info/exclude").write_text("*.tmp\n")
    _git(repo, "add", ".gitignore", "docs/guide.md", "docs/sub/.gitignore")
    _git(repo, "add", "-f", "docs/drafts/tracked anyway.md")  # ignored by the rules, but tracked
    where = repo / start if start else repo
    paths = [rel.removeprefix(f"{start}/") if start else rel for rel in FILES]
    given = b"".join(p.encode() + b"\0" for p in paths)
    expected = sorted(p.decode() for p in _git(where, "check-ignore", "-z", "--stdin", given=given).split(b"\0") if p)
    # a folder (a file in it cannot be re-included), a nested rule, the exclude file; a tracked file kept
    assert len(expected) == 6 and not any("tracked anyway" in p for p in expected)
    assert sorted(_git_ignored(str(where), paths)) == expected


def test_outside_a_repository_nothing_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "a.tmp").write_text("x\n")
    assert _git_ignored(str(tmp_path), ["a.tmp"]) == []
