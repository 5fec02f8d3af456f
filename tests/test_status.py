"""`artigov status`: says where a workspace stands, with the right exit code; it writes nothing but
what it keeps in a state folder that is already there."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from artigov.core import Workspace
from artigov.index.testing import reseal

Runner = Callable[..., subprocess.CompletedProcess[str]]


def _status(artigov: Runner, ws: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    done = artigov("status", "--format", "json", "--root", ws)
    return done.returncode, json.loads(done.stdout)


def test_the_example_is_well_and_status_writes_nothing(artigov: Runner, example_copy: Path) -> None:
    before = {p: p.read_bytes() for p in example_copy.rglob("*") if p.is_file()}
    code, out = _status(artigov, example_copy)
    assert code == 0 and out["ok"] is True and out["command"] == "status"
    assert out["index"]["state"] == "fresh" and out["validation"] == {"valid": 16, "invalid": 0, "by_code": {}}
    [fw] = out["frameworks"]
    gates = {g["gate"]: g["passes"] for g in fw["gates"]}
    assert gates == {"design": True, "build": True, "release": False}
    assert "frameworks/fwk-001/plans/technical/tp-core-1.1.0.md" in fw["in_review"]
    after = {p: p.read_bytes() for p in example_copy.rglob("*") if p.is_file()}
    assert after == before  # read-only: not even a state folder or an operational log


def test_stale_index_invalid_artifact_and_misplaced_file_are_named(artigov: Runner, example_copy: Path) -> None:
    plan = example_copy / "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"
    plan.write_text(plan.read_text().replace("status: draft", "status: drafty"))
    moved = example_copy / "frameworks/fwk-001/plans/action/ap-rollout-1.0.0.md"
    moved.rename(example_copy / "frameworks/fwk-001/plans/technical/ap-rollout-1.0.0.md")
    code, out = _status(artigov, example_copy)
    assert code == 1 and out["ok"] is False
    assert out["index"]["state"] == "stale" and out["index"]["fix"] == "artigov index update"
    assert out["validation"]["by_code"] == {"S014": 1}
    text = artigov("status", "--root", example_copy).stdout
    assert "index: STALE" in text and "S014 x1" in text
    # After the fixes the update can make, the index is fresh and the misplaced file is a conflict.
    plan.write_text(plan.read_text().replace("status: drafty", "status: draft"))
    assert artigov("index", "update", "--root", example_copy).returncode == 0
    code, out = _status(artigov, example_copy)
    assert out["index"]["state"] == "fresh" and out["routing"]["by_code"] == {"R006": 1} and code == 1


def test_one_invalid_document_is_named_every_time_and_the_rest_proved_by_stats(
    artigov: Runner, example_copy: Path
) -> None:
    """The everyday state of a document being written: invalid (here a status no schema allows).
    It is held out of the index and read again by every status, which names it every time and
    fails; the other documents are still proved by their stats (not every file re-hashed). What
    status says is what `index verify --full` says, at each step."""
    plan = example_copy / "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"
    good = plan.read_text()
    plan.write_text(good.replace("status: draft", "status: drafty"))
    assert artigov("index", "update", "--root", example_copy).returncode == 1  # named, and left out

    def both() -> tuple[int, dict, dict]:  # type: ignore[type-arg]
        code, out = _status(artigov, example_copy)
        full = json.loads(artigov("index", "verify", "--full", "--format", "json", "--root", example_copy).stdout)
        assert out["validation"]["invalid"] == len({f["file"] for f in full["invalid"]})
        assert (out["index"]["state"] == "fresh") == full["ok"] and full["proved_by"] == "content"
        return code, out, full

    for _ in range(2):
        code, out, full = both()
        assert code == 1 and out["ok"] is False and out["validation"]["by_code"] == {"S014": 1}
        assert out["index"]["state"] == "fresh" and out["index"]["proved_by"] == "stat cache"
    other = example_copy / "frameworks/fwk-001/plans/action/ap-rollout-1.0.0.md"
    before = other.read_text()
    other.write_text(before + "\nOne more line.\n")  # its body edited: its declared checksum is stale
    code, out, full = both()
    assert code == 1 and out["index"]["state"] == "stale" and out["index"]["proved_by"] == "stat cache"
    assert out["validation"]["by_code"] == {"S014": 1, "S015": 1}
    other.write_text(before)
    plan.write_text(good)  # mended: valid again, so the index lacks it until it is updated
    code, out, full = both()
    rel = "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"
    assert code == 1 and out["index"]["state"] == "stale" and rel in out["index"]["changed"]
    assert (out["validation"]["invalid"], out["validation"]["by_code"], full["added"]) == (0, {}, [rel])
    assert artigov("index", "update", "--root", example_copy).returncode == 0
    code, out, full = both()
    assert code == 0 and out["ok"] is True and out["index"]["proved_by"] == "stat cache"


def test_a_snapshot_that_no_longer_verifies_fails_status(artigov: Runner, tmp_path: Path) -> None:
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    code, out = _status(artigov, ws)
    design = next(g for g in out["frameworks"][0]["gates"] if g["gate"] == "design")
    assert design["snapshot"] == 3 and design["verifies"] is True and code == 0, out["problems"]
    manifest = ws / "governance/fwk-001/snapshots/000003/manifest.json.asc"
    manifest.chmod(0o644)
    manifest.write_text(manifest.read_text().replace("A", "B", 3))
    code, out = _status(artigov, ws)
    assert code == 1 and any("does not verify" in p for p in out["problems"])


def test_status_reads_the_placement_route_check_kept_and_keeps_its_own(artigov: Runner, example_copy: Path) -> None:
    assert artigov("index", "update", "--root", example_copy).returncode == 0
    assert artigov("route", "check", "--root", example_copy).returncode == 0  # keeps the placement
    kept = example_copy / ".artigov" / "derived-placement.json"
    held = json.loads(kept.read_text())
    marker = {"code": "R006", "file": "frameworks/fwk-001/marker.md", "message": "marker", "fix": "none"}
    held["value"]["findings"].append({**marker, "line": None, "pointer": ""})
    kept.write_text(json.dumps(held))  # edited without its seal: poisoned, never read as the index's
    code, out = _status(artigov, example_copy)
    assert code == 0 and out["routing"]["conflicts"] == 0
    reseal(kept, held)  # as route check itself would have kept it
    before = {p: p.read_bytes() for p in example_copy.rglob("*") if p.is_file() and "audit" not in p.name}
    code, out = _status(artigov, example_copy)
    assert out["routing"]["conflicts"] == 1 and "marker.md" in out["routing"]["first"]  # what was kept
    kept.unlink()
    code, out = _status(artigov, example_copy)
    assert code == 0 and out["routing"]["conflicts"] == 0  # nothing kept: placed from the entries
    assert "marker.md" not in kept.read_text()  # and kept in the state folder that is there
    assert artigov("route", "check", "--root", example_copy).returncode == 0  # which route check reads
    after = {p: p.read_bytes() for p in example_copy.rglob("*") if p.is_file() and "audit" not in p.name}
    derived = {p for p in {*before, *after} if p.parent.name == ".artigov" and p.name.startswith("derived-")}
    assert {p: b for p, b in after.items() if p not in derived} == {p: b for p, b in before.items() if p not in derived}


def _promoted(artigov: Runner, tmp_path: Path) -> Path:
    """The demo's repository (snapshots 1-3 of gate design), with snapshot 4 of gate build on top."""
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    # the demo flipped a byte of snapshot 2's object: put it back from git (only the record matters here)
    subprocess.run(["git", "checkout", "--", "governance"], cwd=ws, check=True, capture_output=True)
    built = artigov("promote", "-f", "fwk-001", "-g", "build", "--allow-dirty", "--root", ws)
    assert built.returncode == 0, built.stdout + built.stderr
    code, out = _status(artigov, ws)
    assert code == 0, out["problems"]
    return ws


def test_status_is_never_green_when_a_check_it_stands_for_fails(artigov: Runner, tmp_path: Path) -> None:
    """Each case passed `status` with "all is well" before: a deleted HEAD, a decision log merged by
    keeping both sides, an input of a gate's current snapshot deleted when that snapshot is not the
    chain's head, and a framework with artifacts but no contract."""
    import shutil

    ws = _promoted(artigov, tmp_path)
    rec = ws / "governance" / "fwk-001"

    def broken(change: Callable[[], None], needle: str) -> None:
        saved = tmp_path / "saved"
        shutil.copytree(ws, saved, symlinks=True)
        change()
        code, out = _status(artigov, ws)
        assert code == 1 and any(needle in p for p in out["problems"]), out["problems"]
        shutil.rmtree(ws)
        saved.rename(ws)

    broken((rec / "HEAD").unlink, "V002")
    log = rec / "decisions.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    # "Keep both sides" of a conflicting merge: the lines of both branches after the common part.
    broken(lambda: log.write_bytes(b"".join([*lines, *lines[-3:]])), "decision log")
    design_only = "frameworks/fwk-001/registers/acceptance/acc-phase0-1.0.0.md"  # design's input, not build's
    manifest4 = json.loads((rec / "snapshots/000004/manifest.json").read_text())
    assert design_only not in {i["path"] for i in manifest4["inputs"]}
    broken((ws / design_only).unlink, "checksum_drift")
    ledger = ws / "frameworks/ledger/ledger-1.0.0.md"

    def second_framework() -> None:
        ledger.parent.mkdir(parents=True)
        ledger.write_text(
            '---\nid: ledger\nversion: "1.0.0"\nstatus: draft\nframework: ledger\nkind: action-plan\n---\n'
        )
        assert artigov("index", "update", "--root", ws).returncode in (0, 1)

    broken(second_framework, "ledger")


def _settle(ws: Path) -> None:
    """Every file and folder older than the stat cache will be (nothing racily clean)."""
    import os
    import time

    past = time.time_ns() - 100 * 1_000_000_000
    for dirpath, _, names in os.walk(ws / "frameworks"):
        for name in names:
            os.utime(Path(dirpath) / name, ns=(past, past))
        os.utime(dirpath, ns=(past, past))


def _stale_edits() -> dict[str, Callable[[Path], None]]:
    folder = "frameworks/fwk-001/plans/technical"

    def add(ws: Path) -> None:
        text = (ws / folder / "tp-core-2.0.0.md").read_text().replace("id: tp-core", "id: tp-new")
        (ws / folder / "tp-new-2.0.0.md").write_text(text)

    def duplicate(ws: Path) -> None:  # the same id and version as an indexed artifact
        (ws / folder / "tp-copy-2.0.0.md").write_text((ws / folder / "tp-core-2.0.0.md").read_text())

    def invalid(ws: Path) -> None:
        (ws / folder / "tp-bad-1.0.0.md").write_text("---\nid: tp-bad\n---\nno version, no status\n")

    def remove(ws: Path) -> None:
        (ws / folder / "tp-core-1.0.0.md").unlink()

    def edit(ws: Path) -> None:
        path = ws / folder / "tp-core-1.1.0.md"
        path.write_text(path.read_text().replace("status: ", "status: final # was ", 1))

    return {"add": add, "duplicate": duplicate, "invalid": invalid, "remove": remove, "edit": edit}


def _local_index_settled(example_copy: Path) -> Workspace:
    """The example with a LOCAL index, built, and its stat cache settled (it proves every file)."""
    from artigov.core import load_workspace
    from artigov.index import rebuild, update

    config = example_copy / "artigov.yaml"
    config.write_text(config.read_text().replace("index_committed: true", "index_committed: false"))
    ws = load_workspace(example_copy)
    rebuild(ws)
    _settle(example_copy)
    update(ws)
    return ws


def test_status_of_a_stale_local_index_overlays_what_it_kept_for_it(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Status on a fresh local index keeps its gate checks and placement; after edits (the index not
    brought up to date) status overlays the few changed files on what it kept, checking only their
    frameworks again: the same answer as overlaying them on every entry, and as reading every file.
    An id and version held twice is left to the walk (it alone knows which one it keeps)."""
    import artigov.index
    import artigov.index._ops as ops_mod
    from artigov.index._walk import read_units
    from artigov.views.status import workspace_status
    from artigov.views.statuskept import KeptSummary

    ws = _local_index_settled(example_copy)
    assert workspace_status(ws).index["state"] == "fresh"  # keeps the summary and the placement
    folder = example_copy / "frameworks/fwk-001/plans/technical"
    edits = _stale_edits()

    def review(ws: Path) -> None:
        path = folder / "tp-core-2.0.0.md"
        path.write_text(path.read_text().replace("status: draft", "status: review", 1))

    def move(ws: Path) -> None:  # into a framework that has no contract and no artifact yet
        path = folder / "tp-core-1.1.0.md"
        path.write_text(path.read_text().replace("framework: fwk-001", "framework: fwk-009", 1))

    steps = [("add", edits["add"]), ("review", review), ("move", move), ("invalid", edits["invalid"])]
    steps += [("remove", edits["remove"]), ("edit", edits["edit"]), ("duplicate", edits["duplicate"])]
    real = KeptSummary.overlaid
    taken: list[bool] = []
    reads: list[int] = []

    def counted(ws: Any, units: Any) -> Any:
        reads.append(len(units))
        return read_units(ws, units)

    for name, change in steps:
        change(example_copy)
        taken.clear()

        def spied(self: KeptSummary, *args: Any) -> Any:
            answer = real(self, *args)
            taken.append(answer is not None)
            return answer

        with monkeypatch.context() as m:
            m.setattr(KeptSummary, "overlaid", spied)
            kept = workspace_status(ws).to_dict()
        assert taken == ([] if name == "duplicate" else [True]), name
        with monkeypatch.context() as m:
            m.setattr(KeptSummary, "overlaid", lambda *_: None)
            reads.clear()
            m.setattr(ops_mod, "read_units", counted)
            overlaid = workspace_status(ws).to_dict()
            assert len(reads) == 1, name  # the changed files read once: by the index check, handed on
            m.setattr(artigov.index, "overlaid_entries", lambda *_: None)
            walked = workspace_status(ws).to_dict()
        assert kept == overlaid == walked, name
        assert kept["index"]["state"] == "stale", name
        moved = [f for f in kept["frameworks"] if f["framework"] == "fwk-009"]
        assert bool(moved) == (name in ("move", "invalid", "remove")), name  # "edit" makes it invalid


def test_status_of_a_stale_local_index_is_what_reading_every_file_says(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local index not brought up to date since files were added, removed or edited: status takes
    the index and reads the few files the stat cache names (never the whole workspace), and says
    exactly what reading every file says."""
    import artigov.index
    from artigov.views.status import workspace_status

    ws = _local_index_settled(example_copy)
    for name, change in _stale_edits().items():
        change(example_copy)
        overlaid = artigov.index.overlaid_entries(ws)
        assert overlaid is not None, name  # proved by the stat cache and one listing
        fast = workspace_status(ws).to_dict()
        with monkeypatch.context() as walk:
            walk.setattr(artigov.index, "overlaid_entries", lambda *_: None)
            slow = workspace_status(ws).to_dict()
        assert fast == slow, name
        assert fast["index"]["state"] == "stale", name


@pytest.mark.parametrize("committed", [True, False])
def test_status_counts_every_document_in_review_and_keeps_only_the_first(
    artigov: Runner, example_copy: Path, committed: bool
) -> None:
    """Thirty documents in review: the text names five and the count, the JSON answer lists every
    one (from what status kept, which names only the first twenty, and from a stale local index
    overlaid); a summary kept before parts counted them is not read."""
    from artigov.views.status import REVIEW_SHOWN

    folder = example_copy / "frameworks/fwk-001/plans/technical"
    source = (folder / "tp-core-2.0.0.md").read_text()
    for i in range(30):
        text = source.replace("id: tp-core", f"id: tp-rev-{i:02d}").replace("status: draft", "status: review")
        (folder / f"tp-rev-{i:02d}-2.0.0.md").write_text(text)
    if not committed:
        config = example_copy / "artigov.yaml"
        config.write_text(config.read_text().replace("index_committed: true", "index_committed: false"))
    assert artigov("index", "update", "--root", example_copy).returncode in (0, 1)

    def expected() -> list[str]:
        index = json.loads((example_copy / "artifacts_index.json").read_text())
        paths = [p for p, e in index["entries"].items() if e["framework"] == "fwk-001" and e["status"] == "review"]
        return sorted(paths, key=lambda p: p.encode())

    def listed() -> dict[str, Any]:
        _code, out = _status(artigov, example_copy)
        [fw] = [f for f in out["frameworks"] if f["framework"] == "fwk-001"]
        return fw  # type: ignore[no-any-return]

    every = expected()
    assert len(every) >= 30
    first = listed()  # computed, and kept
    assert first["in_review"] == every and first["in_review_count"] == len(every)
    kept = example_copy / ".artigov" / "derived-status.json"
    held = json.loads(kept.read_text())
    part = held["value"]["frameworks"]["fwk-001"]
    assert part["in_review"] == every[:REVIEW_SHOWN] and part["in_review_count"] == len(every)
    assert listed() == first  # from what was kept: the index's entries read for the full list
    text = artigov("status", "--root", example_copy).stdout
    shown = ", ".join(every[:5])
    assert f"in review, waiting for approval ({len(every)}): {shown} and {len(every) - 5} more" in text
    del part["in_review_count"]
    part["in_review"] = every[:1]  # the old shape, and a list that would be wrong if it were read
    reseal(kept, held)
    assert listed() == first
    assert "in_review_count" in json.loads(kept.read_text())["value"]["frameworks"]["fwk-001"]
    if not committed:  # one more in review, the local index not brought up to date: overlaid
        late = folder / "tp-rev-00-2.0.0.md"
        late.write_text(late.read_text().replace("id: tp-rev-00", "id: tp-rev-late"))
        fw = listed()
        assert fw["in_review"] == every and fw["in_review_count"] == len(every)  # the same paths
        (folder / "tp-rev-zz-2.0.0.md").write_text(
            source.replace("id: tp-core", "id: tp-z").replace("status: draft", "status: review")
        )
        fw = listed()
        assert fw["in_review_count"] == len(every) + 1 and fw["in_review"] == sorted(
            [*every, "frameworks/fwk-001/plans/technical/tp-rev-zz-2.0.0.md"], key=lambda p: p.encode()
        )
