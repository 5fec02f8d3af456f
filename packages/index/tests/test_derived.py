"""Values derived from one index version, and the recorded steps that carry them to the next."""

from __future__ import annotations

import json
from pathlib import Path

from artigov.core import Workspace, load_workspace
from artigov.core.testing import make_artifact
from artigov.index import DerivedCache, read_entries, read_index, rebuild, update
from artigov.index._derived import STEP_PATHS_MAX, STEPS_KEPT, record_step
from artigov.index.testing import synth_workspace

KEY = {"k": 1}


def _ws(tmp_path: Path) -> Workspace:
    return load_workspace(synth_workspace(tmp_path / "ws", 8))


def test_a_chain_of_steps_leads_back_to_the_stored_value(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    cache = DerivedCache(ws, "t")
    cache.put("d0", KEY, {"v": 0})
    assert cache.before("d0", KEY) == ({"v": 0}, set())
    record_step(ws, "d0", "d1", ["a", "b"])
    record_step(ws, "d1", "d2", ["c"])
    assert cache.before("d2", KEY) == ({"v": 0}, {"a", "b", "c"})
    assert cache.before("d1", KEY) == ({"v": 0}, {"a", "b"})
    assert cache.before("d2", {"k": 2}) is None  # another key: nothing
    assert cache.before("elsewhere", KEY) is None  # no step leads there


def test_cycles_big_writes_and_a_corrupt_file_end_the_walk(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    cache = DerivedCache(ws, "t")
    cache.put("d0", KEY, {"v": 0})
    record_step(ws, "x", "y", ["a"])
    record_step(ws, "y", "x", ["b"])
    assert cache.before("x", KEY) is None  # round and round, never reaching d0
    record_step(ws, "d0", "d1", [f"p{i}" for i in range(STEP_PATHS_MAX + 1)])  # too big: not recorded
    assert cache.before("d1", KEY) is None
    record_step(ws, None, "d1", ["a"])  # a first index has no base: nothing to carry
    assert cache.before("d1", KEY) is None
    for i in range(STEPS_KEPT + 4):
        record_step(ws, f"s{i}", f"s{i + 1}", ["a"])
    steps = json.loads((ws.state_dir / "index-steps.json").read_text())["steps"]
    assert len(steps) == STEPS_KEPT and steps[-1]["digest"] == f"s{STEPS_KEPT + 4}"
    record_step(ws, "d0", "d1", ["a"])
    assert cache.before("d1", KEY) == ({"v": 0}, {"a"})
    (ws.state_dir / "index-steps.json").write_text('{"format": 1, "steps": [{"base": 1}]')
    assert cache.before("d1", KEY) is None


def test_index_writes_record_exactly_the_paths_they_changed(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rebuild(ws)
    first = read_index(ws)
    cache = DerivedCache(ws, "t")
    cache.put(first.digest, KEY, "kept")
    paths = sorted(first.entries)
    edited = ws.root / paths[0]
    edited.write_text(edited.read_text() + "One more line.\n")
    (ws.root / paths[1]).unlink()
    new = ws.root / "frameworks/fwk-000/action-plan/new-1.0.0.md"
    new.write_text(make_artifact(id="new", version="1.0.0", framework="fwk-000", kind="action-plan"))
    update(ws)
    second = read_index(ws)
    value, touched = cache.before(second.digest, KEY)  # type: ignore[misc]
    changed = {p for p in second.entries if first.entries.get(p) != second.entries[p]}
    removed = set(first.entries) - set(second.entries)
    assert value == "kept" and touched == changed | removed
    assert paths[1] in touched and "frameworks/fwk-000/action-plan/new-1.0.0.md" in touched
    found = read_entries(ws, second.digest, sorted(touched))
    assert found == ({p: second.entries[p] for p in touched if p in second.entries}, len(second.entries))
    assert read_entries(ws, first.digest, sorted(touched)) is None  # not the index on disk
    # and the frameworks those entries were of (a path removed, or held out as invalid, names none now)
    left = {first.entries[p]["framework"] for p in touched if p in first.entries}
    assert _left(cache, second.digest) == left and left


def _left(cache: DerivedCache, digest: str) -> set[str] | None:
    """The frameworks the steps to ``digest`` left (the chain must be known)."""
    chain = cache.chain(digest, KEY)
    assert chain is not None
    return chain.frameworks


def test_the_frameworks_a_chain_left_are_known_only_when_every_step_recorded_them(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    cache = DerivedCache(ws, "t")
    cache.put("d0", KEY, {"v": 0})
    assert _left(cache, "d0") == set()
    record_step(ws, "d0", "d1", ["a"], ["fwk-b", "fwk-a", "fwk-b"])
    record_step(ws, "d1", "d2", ["c"], [])
    assert _left(cache, "d2") == {"fwk-a", "fwk-b"}
    steps = json.loads((ws.state_dir / "index-steps.json").read_text())["steps"]
    assert steps[0]["frameworks"] == ["fwk-a", "fwk-b"]
    record_step(ws, "d2", "d3", ["e"])  # a writer that did not know them (a rebuild)
    assert cache.before("d3", KEY) == ({"v": 0}, {"a", "c", "e"})
    assert _left(cache, "d3") is None
    assert cache.chain("elsewhere", KEY) is None


def test_folding_the_index_sees_every_entry_in_order_and_only_of_the_index_proved(tmp_path: Path) -> None:
    from artigov.index import fold_index
    from artigov.index._stream import ChunkedIndex

    ws = _ws(tmp_path)
    rebuild(ws)
    index = read_index(ws)
    assert fold_index(ws, index.digest, list) == list(index.entries.items())
    assert fold_index(ws, "sha256:" + "0" * 64, list) is None  # not the index proved
    assert fold_index(ws, index.digest, lambda entries: next(iter(entries))) is None  # stopped early
    data = ws.index_path.read_bytes()
    for chunk in (1, 3, 1 << 22):  # lines cut anywhere: the same entries
        with ws.index_path.open("rb") as f:
            assert list(ChunkedIndex(f, chunk).entries()) == list(index.entries.items())
    ws.index_path.write_bytes(data[:-1])  # torn
    assert fold_index(ws, index.digest, list) is None
    ws.index_path.write_bytes(data.replace(b"\n,", b"\n,x", 1))  # a line that is not an entry
    assert fold_index(ws, index.digest, list) is None
    ws.index_path.unlink()
    assert fold_index(ws, index.digest, list) is None


def test_a_dead_writers_steps_temp_file_is_removed_by_the_next_lock_holder(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rebuild(ws)
    leftover = ws.state_dir / ".index-steps.json.tmp.999999"
    leftover.write_text('{"format": 1, "steps": [')  # a writer killed mid-write
    other = ws.state_dir / ".derived-placement.json.tmp.999999"  # written without the index lock
    other.write_text("{")
    update(ws)
    assert not leftover.exists() and other.exists()
