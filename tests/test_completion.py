"""Shell completion knows the workspace: frameworks, gates, kinds and snapshot numbers, in bash and zsh."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Runner = Callable[..., subprocess.CompletedProcess[str]]
ARTIGOV = Path(sys.executable).parent / "artigov"


def _bash(ws: Path, line: str) -> list[str]:
    words = line.split(" ")
    env = {**os.environ, "_ARTIGOV_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    done = subprocess.run([str(ARTIGOV)], cwd=ws, env=env, capture_output=True, text=True, timeout=60, check=False)
    return done.stdout.split()


def _zsh(ws: Path, line: str) -> str:
    env = {**os.environ, "_ARTIGOV_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}
    done = subprocess.run([str(ARTIGOV)], cwd=ws, env=env, capture_output=True, text=True, timeout=60, check=False)
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("completion")
    done = subprocess.run([str(ARTIGOV), "demo", "--dir", str(base / "d")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return base / "d" / "workspace"


@pytest.mark.skipif(not ARTIGOV.exists(), reason="the artigov script is not installed next to this Python")
def test_bash_completes_from_the_workspace(demo: Path) -> None:
    assert _bash(demo, "artigov promote --framework ") == ["fwk-001"]
    assert _bash(demo, "artigov promote --framework fwk-001 --gate ") == ["build", "design", "release"]
    assert _bash(demo, "artigov promote --framework fwk-001 --gate d") == ["design"]
    assert _bash(demo, "artigov hydrate --framework fwk-001 --stage b") == ["build"]
    assert _bash(demo, "artigov verify --framework fwk-001 --snapshot ") == ["3", "2", "1"]  # head first
    assert "risk-register" in _bash(demo, "artigov schema show ")
    # From another folder, --root names the workspace.
    assert _bash(demo.parent, f"artigov contract check --root {demo} --framework f") == ["fwk-001"]
    # Outside any workspace: nothing, and no error.
    assert _bash(Path("/"), "artigov promote --framework ") == []


@pytest.mark.skipif(not ARTIGOV.exists(), reason="the artigov script is not installed next to this Python")
def test_zsh_completes_from_the_workspace(demo: Path) -> None:
    out = _zsh(demo, "artigov diff --framework fwk-001 ")
    assert '"3"' in out and '"1"' in out
    assert '"design"' in _zsh(demo, "artigov rollback --framework fwk-001 --gate d")
    assert '"fwk-001"' in _zsh(demo, "artigov status --framework ")


def test_every_command_help_ends_with_an_example() -> None:
    """`--help` of each command (all 40-odd, groups included) shows a command line to copy."""
    from typer.main import get_command

    from artigov.cli.app import app
    from artigov.cli.examples import EXAMPLES

    missing, seen = [], []

    def walk(command: object, path: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
            return
        seen.append(" ".join(path))
        if "Example: " not in str(getattr(command, "epilog", "") or ""):
            missing.append(" ".join(path))

    walk(get_command(app), [])
    assert len(seen) > 40 and missing == []
    assert sorted(set(EXAMPLES) - set(seen)) == []  # no example for a command that does not exist
