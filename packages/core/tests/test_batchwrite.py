"""write_batch: many files replaced with one sync, each still old or new and never torn, killed at any step."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from artigov.core import write_batch
from artigov.core._batchwrite import _syncfs
from artigov.core._faults import FAULT_EXIT_CODE

NAMES = ["a.md", "deep/b.md", "deep/er/c.md"]


def _tree(root: Path) -> list[Path]:
    paths = [root / name for name in NAMES]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"old " + path.name.encode() + b"\n")
    return paths


def _new(path: Path) -> bytes:
    return b"---\nid: x\n---\nnew " + path.name.encode() + b"\n" * 50


def _run_batch(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from artigov.core import write_batch
        from artigov.core.errors import ArtigovError
        root = Path({str(root)!r})
        names = {NAMES!r}
        try:
            new = b"---\\nid: x\\n---\\nnew "
            write_batch([(root / n, new + (root / n).name.encode() + b"\\n" * 50) for n in names])
        except ArtigovError as e:
            print(e)
            raise SystemExit(e.exit_code)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file() and ".tmp." in p.name)


def test_every_file_is_replaced_and_no_temp_is_left(tmp_path: Path) -> None:
    paths = _tree(tmp_path)
    write_batch([(p, _new(p)) for p in paths])
    assert [p.read_bytes() for p in paths] == [_new(p) for p in paths]
    assert _leftovers(tmp_path) == []


def test_pieces_are_written_in_order_and_an_empty_batch_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "x.md"
    write_batch([(target, [b"one ", memoryview(b"two")])])
    assert target.read_bytes() == b"one two"
    write_batch([])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.md"]


def test_a_path_given_twice_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    target = tmp_path / "x.md"
    target.write_bytes(b"old")
    with pytest.raises(ValueError, match="twice"):
        write_batch([(target, b"one"), (tmp_path / "y.md", b"y"), (target, b"two")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.md"]
    assert target.read_bytes() == b"old"


def test_linux_has_syncfs() -> None:
    """The one-sync path is the one CI runs (Linux); elsewhere each temp file is fsynced."""
    if not sys.platform.startswith("linux"):
        pytest.skip("syncfs is Linux's")
    assert _syncfs() is not None


def _steps(root: Path) -> int:
    trace = root.parent / f"{root.name}.trace"
    _tree(root)
    assert _run_batch(root, {"ARTIGOV_FAULT_TRACE": str(trace)}).returncode == 0
    return len(trace.read_text().splitlines())


def test_killed_at_any_step_each_file_is_old_or_new_and_none_changes_before_the_sync(tmp_path: Path) -> None:
    total = _steps(tmp_path / "count")
    assert total >= 3 * 3  # three temp opens, writes and renames at least
    for step in range(1, total + 1):
        root = tmp_path / f"step{step}"
        paths = _tree(root)
        result = _run_batch(root, {"ARTIGOV_FAULT_STEP": str(step)})
        assert result.returncode == FAULT_EXIT_CODE, (step, result.stdout, result.stderr)
        contents = [p.read_bytes() for p in paths]
        olds = [b"old " + p.name.encode() + b"\n" for p in paths]
        assert all(c in (old, _new(p)) for c, old, p in zip(contents, olds, paths, strict=True)), step
        renamed = sum(c == _new(p) for c, p in zip(contents, paths, strict=True))
        assert contents[:renamed] == [_new(p) for p in paths[:renamed]], step  # renamed in order
        # A temp file left by the dead writer is evidence, and only ever beside a file still old.
        unchanged = {p.name for p, c, old in zip(paths, contents, olds, strict=True) if c == old}
        assert {name[1:].split(".tmp.")[0] for name in _leftovers(root)} <= unchanged, step
        if step <= 2 * len(NAMES) + 1:  # killed before the first rename: nothing has changed
            assert renamed == 0, step


@pytest.mark.parametrize("mode", ["enospc", "eio"])
def test_a_failed_write_or_sync_leaves_every_file_as_it_was_and_no_temp(tmp_path: Path, mode: str) -> None:
    total = _steps(tmp_path / "count")
    renames_start = total - len(NAMES) - 1  # the last steps: three renames, then the final sync
    for step in range(1, renames_start + 1):
        root = tmp_path / f"{mode}{step}"
        paths = _tree(root)
        result = _run_batch(root, {"ARTIGOV_FAULT_STEP": str(step), "ARTIGOV_FAULT_MODE": mode})
        assert result.returncode == 1, (step, result.stdout, result.stderr)
        assert "write failed" in result.stdout and "previous version is left in place" in result.stdout
        assert [p.read_bytes() for p in paths] == [b"old " + p.name.encode() + b"\n" for p in paths], step
        assert _leftovers(root) == [], step
