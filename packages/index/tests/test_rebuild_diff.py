"""A rebuild over an existing index diffs the old file entry by entry (never holding its entries):
the same added, changed and removed paths, and the same recorded step, as parsing it whole."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.core import load_workspace
from artigov.index import read_index, rebuild
from artigov.index._model import Index
from artigov.index._walk import diff, streamed_diff
from artigov.index.testing import mutate, synth_workspace

STATUSES = ("draft", "review", "approved")


def _entries(n: int, seed: int) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    out = {}
    for i in rng.sample(range(10 * n), n):
        out[f"frameworks/fwk-{i % 3:03d}/plans/a{i:05d}.md"] = {
            "id": f"a{i:05d}",
            "version": f"1.{i % 7}.0",
            "status": STATUSES[i % 3],
            "framework": f"fwk-{i % 3:03d}",
            "kind": "technical-plan",
            "checksum": "sha256:" + f"{i:064x}",
            "size": i,
        }
    return out


#: (old entries, seed, which to keep, which of those to edit, how many to add, shuffle the new order)
PLANS = st.tuples(
    st.integers(0, 30),
    st.integers(0, 1000),
    st.lists(st.booleans(), min_size=30, max_size=30),
    st.lists(st.booleans(), min_size=30, max_size=30),
    st.integers(0, 5),
    st.booleans(),
)


def _edited(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "status": "approved" if entry["status"] != "approved" else "draft"}


@settings(max_examples=60, deadline=None)
@given(plan=PLANS)
def test_the_streamed_diff_is_the_diff_of_the_parsed_index(tmp_path_factory: Any, plan: tuple[Any, ...]) -> None:
    old_n, seed, keep, edit, extra, shuffled = plan
    old = dict(sorted(_entries(old_n, seed).items()))
    path = tmp_path_factory.mktemp("ix") / "artifacts_index.json"
    path.write_bytes(Index(old).to_bytes())
    new: dict[str, dict[str, Any]] = {}
    for i, (rel, entry) in enumerate(old.items()):
        if keep[i]:
            new[rel] = _edited(entry) if edit[i] else entry
    for rel, entry in _entries(extra, seed + 1).items():
        new.setdefault(rel.replace("/plans/", "/plans/new-"), entry)
    if shuffled:  # the merge sorts the new paths itself
        items = list(new.items())
        random.Random(seed).shuffle(items)
        new = dict(items)
    streamed = streamed_diff(path, new)
    assert streamed is not None
    assert (streamed.added, streamed.changed, streamed.removed) == diff(old, new)
    assert streamed.base_digest == Index.parse(path.read_bytes(), path).digest


def test_no_file_or_a_corrupt_one_is_left_to_the_whole_parse(tmp_path: Path) -> None:
    entries = _entries(5, 1)
    path = tmp_path / "artifacts_index.json"
    assert streamed_diff(path, entries) is None
    path.write_bytes(Index(dict(sorted(entries.items()))).to_bytes()[:-30])  # torn
    assert streamed_diff(path, entries) is None
    folder = tmp_path / "folder_index"
    folder.mkdir()
    assert streamed_diff(folder, entries) is None


def test_a_rebuild_over_an_index_says_what_changed(tmp_path: Path) -> None:
    ws = load_workspace(synth_workspace(tmp_path / "ws", 40, committed=True))
    rebuild(ws)
    before = read_index(ws)
    touched = mutate(ws.root, 3, n_existing=40)
    result = rebuild(ws)
    after = read_index(ws)
    assert (result.added, result.changed, result.removed) == diff(before.entries, after.entries)
    assert sorted(result.added + result.changed + result.removed) == touched
    assert len(result.added) == 3 and len(result.changed) == 3 and len(result.removed) == 1
    # a corrupt old index: replaced, and every entry is reported added (nothing to diff against)
    ws.index_path.write_bytes(b"{ not an index")
    again = rebuild(ws)
    assert again.added == sorted(after.entries) and again.changed == [] and again.removed == []
    assert read_index(ws).digest == after.digest


def test_the_recorded_step_and_result_equal_the_whole_parse(tmp_path: Path, monkeypatch: Any) -> None:
    """The same rebuild three times: the walk's index lines merged with the old index read entry by
    entry, the walk's entry dicts diffed with it streamed, and with it parsed whole (the path a
    non-canonical index takes): the same result, index bytes and recorded step (what route check and
    status carry their kept results over)."""
    import artigov.index._ops as ops
    from artigov.index._derived import STEPS_NAME
    from artigov.index._linescan import LineScan

    real = LineScan.settle

    def walked(self: LineScan) -> None:
        real(self)
        self.plain = False

    seen = []
    for way in ("lines", "streamed", "whole"):
        ws = load_workspace(synth_workspace(tmp_path / way, 30, committed=True))
        rebuild(ws)
        mutate(ws.root, 9, n_existing=30)
        if way != "lines":
            monkeypatch.setattr(LineScan, "settle", walked)
        if way == "whole":
            monkeypatch.setattr(ops, "streamed_diff", lambda path, entries: None)
        result = rebuild(ws)
        steps = (ws.state_dir / STEPS_NAME).read_bytes()
        seen.append((result.added, result.changed, result.removed, result.digest, ws.index_path.read_bytes(), steps))
    assert seen[0] == seen[1] == seen[2]
    assert seen[0][0] and seen[0][1] and seen[0][2]
