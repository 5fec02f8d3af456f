"""What a continuity check went through (``verify --since``'s "the record only grew (...)")."""

from __future__ import annotations

import shutil
from pathlib import Path

from artigov.core import FsTree, RecordLayout, Workspace
from artigov.promote import RecordAt, check_continuity, promote
from artigov.promote._decisions import DecisionLog

from .conftest import edit_plan


def test_the_counts_are_what_the_earlier_record_holds(ws: Workspace, tmp_path: Path) -> None:
    promote(ws, "f", "design")
    before = tmp_path / "before"
    shutil.copytree(ws.root, before, symlinks=True)
    edit_plan(ws, "# Plan v2\n")
    promote(ws, "f", "design")
    base = ws.rel(ws.record_dir)
    lines = DecisionLog(before / base / RecordLayout("f").decisions).state().lines
    grew = check_continuity(RecordAt(FsTree(before), base), RecordAt(FsTree(ws.root), base), since="before")
    assert grew.ok, [v.one_line() for v in grew.violations]
    expected = {"frameworks": 1, "snapshots": 1, "log_lines": lines, "trust_versions": 1, "approvals": 0}
    assert grew.compared.to_dict() == expected and lines > 0
    assert grew.to_dict()["compared"] == expected
    shrank = check_continuity(RecordAt(FsTree(ws.root), base), RecordAt(FsTree(before), base), since="after")
    assert not shrank.ok and shrank.compared.snapshots == 2
