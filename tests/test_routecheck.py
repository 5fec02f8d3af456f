"""route check from a current index, its placement kept per index version, finds what reading every
artifact finds: after edits that change a kind, after a routing map edit, and with no cache."""

from __future__ import annotations

import shutil
from pathlib import Path

from artigov.core import load_workspace
from artigov.index import rebuild, update
from artigov.routecheck import route_check
from artigov.router import check_routes

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "workspace"


def _same(ws) -> None:  # type: ignore[no-untyped-def]
    fast, full = route_check(ws), check_routes(ws)
    assert (fast.findings, fast.misplaced, fast.artifacts_checked) == (
        full.findings,
        full.misplaced,
        full.artifacts_checked,
    )


def test_kept_placement_says_what_reading_every_artifact_says(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".artigov"))
    ws = load_workspace(root)
    rebuild(ws)
    update(ws)
    _same(ws)  # computes and keeps the placement
    assert (ws.state_dir / "derived-placement.json").is_file()
    _same(ws)  # from what was kept
    plan = root / "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"
    plan.write_text(plan.read_text().replace("kind: technical-plan", "kind: action-plan"))  # now misplaced
    fast = route_check(ws)
    assert [m.path for m in fast.misplaced] == ["frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"]
    _same(ws)
    update(ws)  # a new index version: placement computed again
    _same(ws)
    routing = root / "artifact_routing.mdc"
    routing.write_text(routing.read_text().replace("plans/action", "plans/actions"))  # every action plan moves
    fast = route_check(ws)
    assert len(fast.misplaced) > 1
    _same(ws)
