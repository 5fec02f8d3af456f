"""Every platform verifies: a clone made with `core.autocrlf=true` (Git for Windows' default) checks
out the record and the artifacts byte-exact, because `artigov init` (and `migrate-record` for an
existing repository) writes `-text` attributes; where they are missing, a file whose only
difference is CRLF is named as converted, never as edited."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from artigov.core.testing import GIT_ENV, git
from artigov.core.testkeys import gnupg_home, make_key

CHECKS = (("validate",), ("index", "verify"), ("verify", "--all"), ("audit", "verify"), ("status",))


@dataclass
class Repo:
    path: Path
    env: dict[str, str]

    def art(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "artigov.cli", *args],
            cwd=cwd or self.path,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    """`artigov init --key`, the plan approved (unsigned), a promotion, all committed."""
    base = tmp_path_factory.mktemp("crlf")
    with gnupg_home() as home:
        key = make_key(home, "maintainer")
        r = Repo(base / "repo", {"GNUPGHOME": str(home), "ARTIGOV_ACTOR": "owner@example.org", **GIT_ENV})
        assert r.art("init", str(r.path), "--framework", "fw", "--key", key, cwd=base).returncode == 0
        assert r.art("index", "rebuild").returncode == 0
        assert r.art("review", "frameworks/fw/plans/technical/technical-plan-0.1.0.md").returncode == 0
        git(r.path, "init", "-q")
        git(r.path, "add", "-A")
        git(r.path, "commit", "-q", "-m", "init")
        promoted = r.art("promote", "-f", "fw", "-g", "draft", "--commit")
        assert promoted.returncode == 0, promoted.stderr
        yield r


def _windows_clone(repo: Repo, where: Path) -> Path:
    git(where.parent, "-c", "core.autocrlf=true", "clone", "-q", str(repo.path), str(where))
    git(where, "config", "core.autocrlf", "true")
    return where


def test_a_windows_style_clone_of_an_init_repository_verifies(repo: Repo, tmp_path: Path) -> None:
    clone = _windows_clone(repo, tmp_path / "win")
    attributes = (clone / ".gitattributes").read_text()
    assert "governance/** -text" in attributes and "frameworks/** -text" in attributes
    for command in CHECKS:
        done = repo.art(*command, cwd=clone)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert b"\r\n" not in (clone / "governance/fw/decisions.jsonl").read_bytes()


def test_without_the_attributes_a_converted_file_is_named_converted_and_migrate_record_fixes_it(
    repo: Repo, tmp_path: Path
) -> None:
    old = tmp_path / "old"
    git(tmp_path, "clone", "-q", str(repo.path), str(old))
    # An older repository: no -text lines (what artigov init wrote before)
    for path in (old / ".gitattributes", old / "governance/.gitattributes"):
        kept = [line for line in path.read_text().splitlines() if "-text" not in line]
        path.write_text("\n".join(kept) + "\n")
    git(old, "commit", "-q", "-am", "an older repository's attributes")
    win = _windows_clone(Repo(old, repo.env), tmp_path / "win")
    assert b"\r\n" in (win / "governance/fw/decisions.jsonl").read_bytes()  # git converted it
    audit = repo.art("audit", "verify", cwd=win)
    assert audit.returncode == 1 and "line endings converted by git (CRLF)" in audit.stdout
    assert "edited" not in audit.stdout.replace("not edited", "")
    validate = repo.art("validate", cwd=win)
    assert "line endings converted by git" in validate.stdout or validate.returncode == 0
    # The fix, in the repository: migrate-record writes the attributes; a new Windows clone verifies.
    migrated = repo.art("migrate-record", cwd=old)
    assert migrated.returncode == 0 and "byte-exact" in migrated.stdout, migrated.stdout + migrated.stderr
    git(old, "add", "-A")
    git(old, "commit", "-q", "-m", "keep the record byte-exact")
    again = _windows_clone(Repo(old, repo.env), tmp_path / "win2")
    for command in CHECKS:
        done = repo.art(*command, cwd=again)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
