"""The fault-point catalogue (``artigov.core.FAULT_POINTS``) is the one list: every point a writer
calls is in it, every point in it is called, and the crash rehearsal reads its index points from it."""

from __future__ import annotations

import ast
from pathlib import Path

from artigov.core import FAULT_POINTS, PAUSE_POINTS

REPO = Path(__file__).resolve().parents[1]


def _called(functions: set[str]) -> set[str]:
    """The string literals passed to ``functions`` anywhere in the product code."""
    names: set[str] = set()
    for path in [*REPO.glob("packages/*/src/**/*.py"), *REPO.glob("src/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0]
            if func in functions and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
    return names


def test_every_fault_point_called_is_in_the_catalogue_and_every_one_listed_is_called() -> None:
    listed = [p.name for p in FAULT_POINTS]
    assert len(listed) == len(set(listed))
    assert _called({"fault_point", "fault_requested"}) == set(listed)
    assert _called({"fault_pause"}) == {p.name for p in PAUSE_POINTS}


def test_the_crash_rehearsal_kills_index_writes_at_the_catalogues_index_points_in_order() -> None:
    from artigov.rehearse.crash import DURABLE_POINTS, INDEX_POINTS

    assert INDEX_POINTS == ("after-lock", "after-journal-append", "mid-temp-write", "after-temp-fsync",
                            "after-rename", "before-journal-truncate")  # fmt: skip
    # the lock alone is not durable: every point after the journal append is
    assert set(INDEX_POINTS[1:]) == DURABLE_POINTS


def test_the_readme_lists_every_fault_point() -> None:
    from artigov.core import render_code_tables

    readme = (REPO / "README.md").read_text("utf-8")
    assert render_code_tables(readme) == readme, "README tables drifted: run `nox -s codes`"
    for point in (*FAULT_POINTS, *PAUSE_POINTS):
        assert f"| `{point.name}` |" in readme
