"""The command runner: the action runs with the cyclic garbage collector paused, restored after."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest

from artigov.commands.runner import execute
from artigov.core import Workspace
from artigov.index.errors import IndexMissingError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "workspace"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "ws", ignore=shutil.ignore_patterns(".artigov"))
    return tmp_path / "ws"


@pytest.mark.parametrize("outcome", ["ok", "refused", "crashed"])
def test_the_action_runs_without_the_cyclic_collector_and_it_is_restored(root: Path, outcome: str) -> None:
    seen: list[bool] = []

    def action(ws: Workspace) -> int:
        seen.append(gc.isenabled())
        if outcome == "refused":
            raise IndexMissingError(ws.index_path)
        if outcome == "crashed":
            raise RuntimeError("a bug")
        return 0

    assert gc.isenabled()
    if outcome == "crashed":
        with pytest.raises(RuntimeError):
            execute("test", root, action, audit=False)
    else:
        code = execute("test", root, action, audit=False)
        assert code == (0 if outcome == "ok" else IndexMissingError(root).exit_code)
    assert seen == [False]
    assert gc.isenabled()
    gc.disable()
    try:  # a caller that paused it itself keeps it paused
        execute("test", root, lambda ws: 0, audit=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
