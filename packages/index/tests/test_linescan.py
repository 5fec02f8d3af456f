"""``index rebuild`` and ``index verify --full`` take the walk's entries as index lines in a spool
(:mod:`artigov.index._linescan`), not as entry dicts: the same answer, index bytes, stat cache, audit
event and recorded step as the walk's dicts, whatever the workspace holds and whatever index was there."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.core import Workspace, capture, load_workspace
from artigov.index import rebuild, verify
from artigov.index._derived import STEPS_NAME
from artigov.index._linescan import LineScan
from artigov.index._model import Index
from artigov.index._statcache import StatCache
from artigov.index._store import IndexStore
from artigov.index._stream import StreamedIndex
from artigov.index._walk import cache_path
from artigov.index.testing import mutate, synth_workspace

SIDECAR = 'id: side-1\nversion: "1.0.0"\nstatus: draft\nframework: fwk-000\nkind: action-plan\n'


def _workspace(root: Path, odd: str = "plain") -> Workspace:
    """Valid artifacts, a sidecar pair, a non-ASCII path, and (``odd``) an invalid file, or a copy
    of an artifact (the same id and version) under a path that sorts first."""
    synth_workspace(root, 24)
    folder = root / "frameworks/fwk-000/action-plan"
    (folder / "side.txt").write_text("sidecar-described content\n")
    (folder / "side.txt.meta.yaml").write_text(SIDECAR)
    (folder / "ünïcode-😀.md").write_text((folder / "a00006.md").read_text().replace("a00006", "u00001"))
    if odd == "invalid":
        (folder / "broken.md").write_text("---\nid: [not, a, string\n---\n")
    if odd == "duplicate":
        (folder / "0-copy.md").write_text((folder / "a00006.md").read_text())
    past = time.time_ns() - 100 * 1_000_000_000  # nothing racily clean: the stat cache vouches for all
    for dirpath, _, names in os.walk(root):
        for name in names:
            os.utime(Path(dirpath) / name, ns=(past, past))
    return load_workspace(root)


def _walked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every line scan give way to the walk's entry dicts (:meth:`LineScan.as_scan`)."""
    real = LineScan.settle

    def settle(self: LineScan) -> None:
        real(self)
        self.plain = False

    monkeypatch.setattr(LineScan, "settle", settle)


def _rebuilt(ws: Workspace, old: bytes | None, monkeypatch: pytest.MonkeyPatch, *, walk: bool) -> tuple[Any, ...]:
    """Rebuild over ``old`` (None: no index) with no stat cache or step kept: what it answered,
    wrote and logged, and the stat cache it left (less the index file's own stamp)."""
    for leftover in (cache_path(ws), ws.state_dir / STEPS_NAME, ws.index_path):
        leftover.unlink(missing_ok=True)
    if old is not None:
        ws.index_path.write_bytes(old)
    with monkeypatch.context() as m:
        if walk:
            _walked(m)
        with capture() as logs:
            result = rebuild(ws)
    events = [{k: v for k, v in e.items() if k not in ("timestamp", "ts")} for e in logs]
    cache = StatCache.load(cache_path(ws))
    held = {rel: (cache.stamps[rel], cache.meta_of(rel)) for rel in cache.stamps}
    steps = (ws.state_dir / STEPS_NAME).read_bytes() if (ws.state_dir / STEPS_NAME).exists() else None
    kept = (held, cache.dirs, cache.scope, cache.index_digest, cache.held)
    return result.to_dict(), ws.index_path.read_bytes(), events, kept, steps


@pytest.mark.parametrize("odd", ["plain", "invalid", "duplicate"])
@pytest.mark.parametrize("old", ["none", "older", "corrupt", "non-canonical"])
def test_a_rebuild_from_lines_is_the_rebuild_from_entry_dicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str, old: str
) -> None:
    ws = _workspace(tmp_path / "ws", odd)
    rebuild(ws)
    first = ws.index_path.read_bytes()
    mutate(ws.root, 5, n_existing=24)
    olds = {"none": None, "older": first, "corrupt": first[:-40]}
    olds["non-canonical"] = first.replace(b'"framework":', b'"framework": ', 1)  # parses, not canonical
    taken: list[bool] = []
    real = LineScan.as_scan

    def spied(self: LineScan) -> Any:
        taken.append(True)
        return real(self)

    monkeypatch.setattr(LineScan, "as_scan", spied)
    reads: list[str] = []
    real_read, real_stream = IndexStore.read, StreamedIndex.lines

    def read(self: IndexStore) -> Any:
        reads.append("parsed")
        return real_read(self)

    def streamed(self: StreamedIndex) -> Any:
        reads.append("streamed")
        return real_stream(self)

    monkeypatch.setattr(IndexStore, "read", read)
    monkeypatch.setattr(StreamedIndex, "lines", streamed)
    lines = _rebuilt(ws, olds[old], monkeypatch, walk=False)
    assert bool(taken) == (odd == "duplicate" or old == "non-canonical")  # the lines' own path, where it can
    if odd == "plain" and old == "non-canonical":  # streamed until it is not canonical, then parsed once
        assert reads.count("parsed") == 1 and reads.count("streamed") == 1, reads
    walked = _rebuilt(ws, olds[old], monkeypatch, walk=True)
    assert lines == walked
    result, data, events, kept, steps = lines
    assert (
        result["count"] == len(Index.parse(data, ws.index_path).entries) == 28
    )  # 24, a sidecar pair, a unicode path, 3 added, 1 removed (a copy: dropped)
    # the folders of a complete walk (every unit indexed or held out as invalid), the only one vouched for
    assert (kept[1] is None) == (odd == "duplicate")
    assert list(kept[4]) == (["frameworks/fwk-000/action-plan/broken.md"] if odd == "invalid" else [])
    assert kept[0]["frameworks/fwk-000/action-plan/side.txt"][1] == "frameworks/fwk-000/action-plan/side.txt.meta.yaml"
    assert (steps is not None) == (old in ("older", "non-canonical")) and any(
        e["event"] == "index_written" for e in events
    )


def test_a_huge_rebuild_from_lines_lists_the_first_changes_and_counts_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import artigov.index._store as store_mod

    monkeypatch.setattr(store_mod, "AUDIT_LIST_MAX", 4)
    ws = _workspace(tmp_path / "ws")
    with capture() as logs:
        result = rebuild(ws)
    event = next(e for e in logs if e["event"] == "index_written")
    assert list(event["changed"]) == sorted(result.added)[:4] and event["changed_total"] == result.count == 26
    assert event["previous_digest"] is None


@pytest.mark.parametrize("odd", ["plain", "invalid", "duplicate"])
def test_a_full_verify_from_lines_is_the_verify_from_entry_dicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str
) -> None:
    ws = _workspace(tmp_path / "ws", odd)
    rebuild(ws)
    mutate(ws.root, 3, n_existing=24)
    from_lines = verify(ws, refresh=False).to_dict()
    _walked(monkeypatch)
    walked = verify(ws, refresh=False).to_dict()
    assert from_lines == walked
    assert from_lines["added"] and from_lines["changed"] and from_lines["removed"]


def test_the_spool_leaves_nothing_behind(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws", "duplicate")
    rebuild(ws)
    before = sorted(p.name for p in ws.state_dir.iterdir())
    rebuild(ws)
    verify(ws, refresh=False)
    assert sorted(p.name for p in ws.state_dir.iterdir()) == before


def test_a_unit_whose_sidecar_came_or_went_is_left_out_of_the_stamps(tmp_path: Path) -> None:
    """A sidecar read with its unit but gone when stamped (or the reverse): the cache holds neither
    the unit nor its sidecar, and vouches for no walk, as the dicts' way leaves it."""
    with (tmp_path / "spool").open("w+b") as spool:
        lines = LineScan(spool)
        stamp = (1, 2, 3, 4)
        lines.add("frameworks/a.md", b'"frameworks/a.md":{}', ("a", "1"), (stamp, None), None)
        lines.add("frameworks/b.md", b'"frameworks/b.md":{}', ("b", "1"), (stamp, None), "frameworks/b.md.meta.yaml")
        side = "frameworks/c.txt.meta.yaml"
        lines.add("frameworks/c.txt", b'"frameworks/c.txt":{}', ("c", "1"), (stamp, stamp), side)
        lines.settle()
        assert lines.plain and lines.count == 3
        assert lines.files == ["frameworks/a.md", "frameworks/c.txt", side]
        assert not lines.complete
        cache = lines.stat_cache(tmp_path / "statcache.bin", "scope")
        assert dict(cache.stamps) == {"frameworks/a.md": (stamp, None), "frameworks/c.txt": (stamp, stamp)}
        lines.add("frameworks/c.txt", b'"frameworks/c.txt":{}', ("a", "1"), (stamp, None), None)
        lines.settle()
        assert not lines.plain  # out of order, and (a, 1) twice


def test_the_stat_cache_saved_in_runs_of_paths_is_the_cache_saved_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import artigov.index._statcache as statcache_mod

    ws = _workspace(tmp_path / "ws")
    rebuild(ws)
    whole = cache_path(ws).read_bytes()
    monkeypatch.setattr(statcache_mod, "NAMES_RUN", 3)  # many runs, a separator between each two
    cache = StatCache.load(cache_path(ws))
    cache._read_whole()
    cache._files  # noqa: B018  # decoded: saved from the names, run by run
    assert len(cache._paths_pieces()) > 10
    cache.save(cache.index_digest, ws.index_path)
    assert cache_path(ws).read_bytes() == whole


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=300), st.integers(0, 2**20))
@settings(max_examples=300, deadline=None)
def test_a_key_twice_is_told_as_a_set_tells_it(keys: list[int], spread: int) -> None:
    """:func:`twice` (a bit table, then the suspects) against a set; keys that share their low bits
    (the table's index) but differ are not twice."""
    from array import array

    from artigov.index._linescan import twice

    crowded = [k * (1 << 40) + spread for k in range(len(keys) % 7)]  # the same low bits, all distinct
    for sample in (keys, crowded, keys + crowded):
        assert twice(array("q", sample)) == (len(set(sample)) != len(sample))


@pytest.mark.parametrize("walk", [False, True])
def test_a_rebuild_lists_the_first_paths_it_added_changed_or_removed_and_counts_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, walk: bool
) -> None:
    """A cold rebuild's answer named every path (300,000 strings at 300,000 artifacts): it lists
    the first :data:`RESULT_PATHS` of each kind and counts them all, the lines' way and the dicts'
    way alike; a rebuild that removed more paths than it lists records no step (the step would name
    only some of them) and its audit event counts them all."""
    import artigov.index._ops as ops_mod
    import artigov.index._store as store_mod

    monkeypatch.setattr(ops_mod, "RESULT_PATHS", 3)
    monkeypatch.setattr(store_mod, "AUDIT_LIST_MAX", 2)
    if walk:
        _walked(monkeypatch)
    ws = _workspace(tmp_path / "ws")
    every = sorted((p for p in (ws.root / "frameworks").rglob("*") if p.is_file()), key=lambda p: str(p).encode())
    cold = rebuild(ws).to_dict()
    units = [ws.rel(p) for p in every if not p.name.endswith(".meta.yaml")]
    assert cold["added"] == units[:3] and cold["added_count"] == len(units) == cold["count"] == 26
    gone = units[:5]
    for rel in gone:
        (ws.root / rel).unlink()
    (ws.state_dir / STEPS_NAME).unlink(missing_ok=True)
    with capture() as logs:
        result = rebuild(ws)
    assert result.removed == gone[:3] and result.totals == (0, 0, 5)
    assert result.to_dict()["removed_count"] == 5 and result.to_dict()["changed_count"] == 0
    event = next(e for e in logs if e["event"] == "index_written")
    assert event["removed"] == gone[:2] and event["removed_total"] == 5
    steps = ws.state_dir / STEPS_NAME  # a step naming 3 of the 5 would mislead: all of them, or none
    assert steps.exists() == walk  # the dicts' way holds every removed path; the lines' way does not
    if walk:
        assert set(gone) <= set(json.loads(steps.read_text())["steps"][-1]["paths"])


def test_the_stat_cache_written_from_the_spooled_paths_is_the_one_written_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """:meth:`LineScan.save_stat_cache` (the paths read back from their spool in runs, sidecars put
    after their units, units left out skipped) writes the bytes :meth:`LineScan.stat_cache` and
    :meth:`StatCache.save` write from the paths held whole; runs end anywhere (a tiny read size)."""
    import artigov.index._linescan as linescan_mod

    ws = _workspace(tmp_path / "ws")
    rebuild(ws)
    stamp = (1, 2, 3, 4)
    for chunk in (7, 1 << 20):
        monkeypatch.setattr(linescan_mod, "READ_CHUNK", chunk)
        with (tmp_path / "spool").open("w+b") as spool, (tmp_path / "names").open("w+b") as names:
            lines = LineScan(spool, names)
            for k in range(40):
                rel = f"frameworks/f{k:02d}-ü.md"
                side = f"{rel}.meta.yaml" if k % 3 == 0 else None
                shape = (stamp, stamp) if side else (stamp, None)
                left_out = (stamp, None) if k % 7 == 6 else shape  # its sidecar came or went: left out
                lines.add(rel, b"{}", (rel, "1"), left_out if side else shape, side)
            lines.dirs = {"frameworks": stamp}
            lines.settle()
            assert [p for p in lines.paths] == [f"frameworks/f{k:02d}-ü.md" for k in range(40)]
            lines.save_stat_cache(tmp_path / "runs.bin", "scope", "sha256:x", ws.index_path)
            lines.stat_cache(tmp_path / "whole.bin", "scope").save("sha256:x", ws.index_path)
        whole = (tmp_path / "whole.bin").read_bytes()
        assert (tmp_path / "runs.bin").read_bytes() == whole
        held = StatCache.load(tmp_path / "runs.bin")
        assert held.meta_of("frameworks/f03-ü.md") == "frameworks/f03-ü.md.meta.yaml"
        assert {"frameworks/f06-ü.md", "frameworks/f27-ü.md"}.isdisjoint(held.stamps) and len(held.stamps) == 38
