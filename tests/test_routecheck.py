"""route check from a current index, its placement kept per index version, finds what reading every
artifact finds: after edits that change a kind, after a routing map edit, and with no cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from artigov.core import load_workspace
from artigov.index import read_index, rebuild, update
from artigov.index.testing import reseal
from artigov.router import check_routes
from artigov.views.routecheck import route_check

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


def test_placement_is_carried_over_small_index_steps(tmp_path: Path) -> None:
    """After `index update` of a few edits (the pre-commit hooks' case) only the entries the index
    steps touched are placed again; what was kept about the rest is carried over."""
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".artigov"))
    ws = load_workspace(root)
    rebuild(ws)
    update(ws)
    _same(ws)
    kept = ws.state_dir / "derived-placement.json"
    held = json.loads(kept.read_text())
    # A marker finding about an artifact no step will touch: it survives only if carried over.
    marker = {"code": "R006", "file": "frameworks/fwk-001/untouched.md", "message": "marker", "fix": "none"}
    held["value"]["findings"].append({**marker, "line": None, "pointer": ""})
    reseal(kept, held)
    plan = root / "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"
    plan.write_text(plan.read_text().replace("kind: technical-plan", "kind: action-plan"))  # now misplaced
    update(ws)
    carried = route_check(ws)
    assert "frameworks/fwk-001/untouched.md" in {f.file for f in carried.findings}
    assert [m.path for m in carried.misplaced] == ["frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"]
    kept.unlink()
    _same(ws)  # without the marker: what reading every artifact says
    # Two steps in a row (the misplaced plan moved back, another artifact removed, one added
    # in the wrong folder), then one check.
    plan.write_text(plan.read_text().replace("kind: action-plan", "kind: technical-plan"))
    update(ws)
    removed = sorted(read_index(ws).entries)[0]
    (root / removed).unlink()
    stray = root / "frameworks/fwk-001/stray-9.9.9.md"
    text = plan.read_text().replace("id: tp-core", "id: tp-stray")
    stray.write_text(text.replace('version: "2.0.0"', 'version: "9.9.9"'))
    update(ws)
    assert removed not in read_index(ws).entries and "frameworks/fwk-001/stray-9.9.9.md" in read_index(ws).entries
    carried = route_check(ws)
    assert [m.path for m in carried.misplaced] == ["frameworks/fwk-001/stray-9.9.9.md"]
    _same(ws)
    (ws.state_dir / "index-steps.json").write_text("not json")  # lost steps: computed afresh, same answer
    plan.write_text(plan.read_text() + "\nOne more line.\n")
    update(ws)
    _same(ws)


def test_an_artifact_added_or_removed_since_the_index_was_written(tmp_path: Path) -> None:
    """Without an `index update`: the stat cache lists the changed folders again, the added file is
    read and placed, the removed one's placement dropped; the same findings as reading everything."""
    import os
    import time

    from artigov.index import proved_changes

    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".artigov"))
    ws = load_workspace(root)
    rebuild(ws)
    past = time.time_ns() - 100 * 1_000_000_000
    for dirpath, _, names in os.walk(root / "frameworks"):
        for name in names:
            os.utime(Path(dirpath) / name, ns=(past, past))
        os.utime(dirpath, ns=(past, past))
    update(ws)
    _same(ws)  # the placement is kept for this index
    folder = root / "frameworks/fwk-001/plans/technical"
    stray = folder / "tp-stray-1.0.0.md"
    text = (folder / "tp-core-2.0.0.md").read_text().replace("id: tp-core", "id: tp-stray")
    stray.write_text(text.replace("kind: technical-plan", "kind: action-plan").replace("2.0.0", "1.0.0"))
    (folder / "tp-core-1.0.0.md").unlink()
    proved = proved_changes(ws)
    assert proved is not None  # from stats and one listing, not a walk
    assert proved.added == ["frameworks/fwk-001/plans/technical/tp-stray-1.0.0.md"]
    assert proved.removed == ["frameworks/fwk-001/plans/technical/tp-core-1.0.0.md"]
    fast = route_check(ws)
    assert [m.path for m in fast.misplaced] == ["frameworks/fwk-001/plans/technical/tp-stray-1.0.0.md"]
    _same(ws)
