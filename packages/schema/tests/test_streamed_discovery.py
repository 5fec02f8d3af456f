"""The streamed walk (:class:`artigov.schema.Streamed`) against the walk it replaced: every file
listed, filtered and sorted as a whole, then paired (:func:`group_units`). The streamed one never
holds every path; the two must give the same units in the same order and the same findings."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artigov.core import load_workspace
from artigov.core.testing import make_workspace
from artigov.schema import Streamed, discover, group_units
from artigov.schema._discovery import _any_of, _skipped, utf8_name, walk_files

# Names whose byte order and walk order differ unless a folder sorts as "name/": "a-b" < "a/…" < "a0".
_NAMES = st.sampled_from(["a", "a-b", "a.b", "a0", "b", "é", "A", "x.md", "x.md.meta.yaml", "x.md.meta.json", "y"])
_TREES = st.lists(st.lists(_NAMES, min_size=1, max_size=4).map("/".join), min_size=1, max_size=25)


def _collected(root: Path) -> tuple[list[tuple[str, str | None]], list[tuple[str, str, str]]]:
    """The walk before streaming: every file, filtered, sorted whole, then paired."""
    ws = load_workspace(root)
    include, exclude = _any_of(ws.artifacts), _any_of(ws.exclude)
    files = walk_files(root, "frameworks")
    skip = set(_skipped(ws))
    matched = sorted(f for f in files if utf8_name(f) and include(f) and not exclude(f) and f not in skip)
    found = group_units(matched)
    return [(u.path, u.meta_path) for u in found.units], [(f.code, f.file, f.message) for f in found.findings]


def _plant(root: Path, paths: list[str]) -> None:
    """Files at ``paths`` (a path under another one's file, or over a folder, is passed by)."""
    for rel in paths:
        target = root / "frameworks" / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.write_text(f"{rel}\n")
        except (NotADirectoryError, FileExistsError, IsADirectoryError):
            continue


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paths=_TREES)
def test_the_streamed_walk_gives_the_sorted_walks_units_and_findings(tmp_path: Path, paths: list[str]) -> None:
    root = tmp_path / "ws"
    shutil.rmtree(root, ignore_errors=True)
    make_workspace(root)
    _plant(root, paths)
    units, findings = _collected(root)
    streamed = Streamed(load_workspace(root))
    got = [(u.path, u.meta_path) for u in streamed.units()]
    assert got == units
    assert got == sorted(got, key=lambda u: u[0].encode())
    assert [(f.code, f.file, f.message) for f in streamed.findings] == findings
    assert [(u.path, u.meta_path) for u in discover(load_workspace(root)).units] == units


def test_the_streamed_walk_lists_every_folder_and_reports_odd_names(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, files={"frameworks/a/x.md": "x\n", "frameworks/a-b/y.md": "y\n"})
    (root / "frameworks" / "a" / "line\nbreak.md").write_text("z\n")
    os.symlink("/etc", root / "frameworks" / "out")
    streamed = Streamed(load_workspace(root))
    units = [u.path for u in streamed.units()]
    assert units == ["frameworks/a-b/y.md", "frameworks/a/x.md"]  # "-" sorts before "/"
    assert set(streamed.dirs) == {"frameworks", "frameworks/a", "frameworks/a-b"}
    codes = sorted((f.code, f.file) for f in streamed.findings)
    assert codes == [("S019", "frameworks/out"), ("S021", "frameworks/a/line\\nbreak.md")]
