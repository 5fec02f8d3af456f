"""The stat cache's quick check: answers from stats alone, and never misses a change."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import artigov.index._ops as ops
import artigov.index._statcache as statcache_mod
import artigov.index._walk as walk_mod
from artigov.core import Workspace, load_workspace
from artigov.core.testing import force_forked, make_artifact
from artigov.index import read_index, rebuild, update
from artigov.index._statcache import StatCache
from artigov.index._store import IndexStore
from artigov.index.testing import synth_workspace
from artigov.schema import discovery_scope

SIDECAR = 'id: side-1\nversion: "1.0.0"\nstatus: draft\nframework: fwk-000\nkind: action-plan\n'


def _age(root: Path, seconds: int = 100) -> None:
    """Date every file and folder of the workspace back, so nothing is racily clean."""
    past = time.time_ns() - seconds * 1_000_000_000
    for dirpath, _, names in os.walk(root):
        for name in names:
            os.utime(Path(dirpath) / name, ns=(past, past))
        os.utime(dirpath, ns=(past, past))


def _settled(tmp_path: Path, n: int = 12) -> Workspace:
    root = synth_workspace(tmp_path / "ws", n)
    (root / "frameworks/fwk-000/action-plan/side.txt").write_text("sidecar-described content\n")
    (root / "frameworks/fwk-000/action-plan/side.txt.meta.yaml").write_text(SIDECAR)
    _age(root)
    ws = load_workspace(root)
    rebuild(ws)
    return ws


def _truth(ws: Workspace) -> dict[str, Any]:
    """What a full walk finds now (the answer every update must agree with)."""
    return ops.scan(ws).entries


def _forbid(monkeypatch: pytest.MonkeyPatch, target: object, name: str) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError(f"{name} was called")

    monkeypatch.setattr(target, name, refuse)


def _count_walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    walks: list[int] = []
    real = walk_mod.discover

    def counting(ws: Workspace) -> Any:
        walks.append(1)
        return real(ws)

    monkeypatch.setattr(walk_mod, "discover", counting)
    return walks


def test_no_change_is_answered_without_walking_or_parsing_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _settled(tmp_path)
    digest = read_index(ws).digest
    _forbid(monkeypatch, walk_mod, "discover")
    _forbid(monkeypatch, IndexStore, "read")
    result = update(ws)
    assert not result.written and result.ok
    assert result.digest == digest and result.count == 13


@pytest.fixture(params=[1, 3], ids=["serial-stats", "forked-stats"])
def stat_workers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    if request.param > 1:
        force_forked(monkeypatch, request.param, statcache_mod, "PARALLEL_FILES")
    return int(request.param)


@pytest.mark.parametrize(
    "edit",
    ["frameworks/fwk-000/technical-plan/a00000.md", "frameworks/fwk-000/action-plan/side.txt.meta.yaml"],
    ids=["content", "sidecar"],
)
def test_an_edited_file_is_re_read_without_a_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str, stat_workers: int
) -> None:
    ws = _settled(tmp_path)
    path = ws.root / edit
    folder = path.parent.stat().st_mtime_ns
    path.write_text(path.read_text().replace("draft", "review", 1))
    assert path.parent.stat().st_mtime_ns == folder  # editing a file leaves its folder's stamp alone
    _forbid(monkeypatch, walk_mod, "discover")
    _forbid(monkeypatch, IndexStore, "read")  # patched in place: the index is not even parsed
    from artigov.index._model import Index

    _forbid(monkeypatch, Index, "to_bytes")  # nor written whole: spliced in the file, in chunks
    from artigov.index._statbody import Body

    _forbid(monkeypatch, Body, "blob")  # the stat cache's paths and stamps: copied run by run
    _forbid(monkeypatch, Body, "packed")
    monkeypatch.setattr("artigov.index._filesplice.SLICE_CHUNK", 64)  # many chunks, as in a big index
    result = update(ws)
    unit = edit.removesuffix(".meta.yaml")
    assert result.written and result.changed == [unit] and not result.added and not result.removed
    monkeypatch.undo()
    assert read_index(ws).entries == _truth(ws)


def _add(ws: Workspace) -> None:
    (ws.root / "frameworks/fwk-000/action-plan/new.md").write_text(make_artifact("new-1", framework="fwk-000"))


def _delete(ws: Workspace) -> None:
    (ws.root / "frameworks/fwk-000/technical-plan/a00000.md").unlink()


def _rename(ws: Workspace) -> None:
    folder = ws.root / "frameworks/fwk-000/technical-plan"
    (folder / "a00000.md").rename(folder / "renamed.md")


def _new_folder(ws: Workspace) -> None:
    deep = ws.root / "frameworks/fwk-009/risk-register/deeper"
    deep.mkdir(parents=True)
    (deep / "x.md").write_text(make_artifact("deep-1", framework="fwk-009", kind="risk-register", extra="risks: [R-1]"))


def _orphan_sidecar(ws: Workspace) -> None:
    (ws.root / "frameworks/fwk-000/action-plan/side.txt").unlink()


def _add_sidecar_pair(ws: Workspace) -> None:
    folder = ws.root / "frameworks/fwk-000/action-plan"
    (folder / "pair.txt").write_text("described\n")
    (folder / "pair.txt.meta.yaml").write_text(SIDECAR.replace("side-1", "pair-1"))


def _add_invalid(ws: Workspace) -> None:
    (ws.root / "frameworks/fwk-000/action-plan/bad.md").write_text("---\nid: bad\n---\nno version\n")


def _add_duplicate(ws: Workspace) -> None:
    folder = ws.root / "frameworks/fwk-000/technical-plan"
    (folder / "copy.md").write_text((folder / "a00000.md").read_text())  # the same id and version


def _add_hidden(ws: Workspace) -> None:
    (ws.root / "frameworks/fwk-000/action-plan/.swap").write_text("an editor's file\n")


def _add_link(ws: Workspace) -> None:
    target = ws.root / "frameworks/fwk-000/technical-plan/a00000.md"
    (ws.root / "frameworks/fwk-000/action-plan/link.md").symlink_to(target)


@pytest.mark.parametrize(
    "change",
    [_add, _delete, _rename, _add_hidden, _add_invalid],
    ids=["add", "delete", "rename", "hidden-file", "invalid"],
)
def test_files_added_or_removed_are_found_by_listing_the_changed_folders_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Workspace], None]
) -> None:
    """A folder whose stamp changed is listed again (with the walk's rules): the files added and
    removed there are indexed or dropped by editing their lines, without a walk or a parse."""
    ws = _settled(tmp_path)
    change(ws)
    walks = _count_walks(monkeypatch)
    _forbid(monkeypatch, IndexStore, "read")
    from artigov.index._statbody import Body

    _forbid(monkeypatch, Body, "blob")  # the cache's paths and stamps: copied run by run, moves made
    _forbid(monkeypatch, Body, "packed")
    monkeypatch.setattr("artigov.index._statbody.CHUNK", 48)  # many runs, as in a big workspace
    monkeypatch.setattr("artigov.index._filesplice.SLICE_CHUNK", 64)  # the index in many chunks
    before = ws.index_path.stat().st_mtime_ns
    result = update(ws)
    assert walks == []
    if change is _add_hidden:  # no artifact came or went: the index file is not even read
        assert result.proved_unchanged and not result.written
        assert ws.index_path.stat().st_mtime_ns == before
    monkeypatch.undo()
    assert read_index(ws).entries == _truth(ws)
    assert ws.index_path.read_bytes() == _rewritten(ws)
    walks = _count_walks(monkeypatch)
    assert not update(ws).written and walks == []  # the cache it saved proves the new layout
    # ...and it is the cache a full walk saves: the same paths, stamps and folder stamps
    kept = (ws.state_dir / "statcache.bin").read_bytes()
    (ws.state_dir / "statcache.bin").unlink()
    monkeypatch.undo()
    assert not update(ws).written
    assert (ws.state_dir / "statcache.bin").read_bytes() == kept


def _rewritten(ws: Workspace) -> bytes:
    from artigov.index._model import Index

    return Index(_truth(ws)).to_bytes()


@pytest.mark.parametrize(
    "change",
    [_new_folder, _orphan_sidecar, _add_sidecar_pair, _add_duplicate, _add_link],
    ids=["new-folder", "orphan-sidecar", "sidecar-pair", "duplicate", "symlink"],
)
def test_layout_changes_only_a_walk_can_judge_send_update_back_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Workspace], None]
) -> None:
    ws = _settled(tmp_path)
    change(ws)
    walks = _count_walks(monkeypatch)
    result = update(ws)
    assert walks, "a layout change only a walk can judge must send update back to the full walk"
    assert read_index(ws).entries == _truth(ws)
    if change is _add_duplicate:
        assert result.findings  # named by the walk, as before


def test_a_folder_the_walk_starts_in_appearing_later_is_seen(tmp_path: Path) -> None:
    ws = _settled(tmp_path)
    (ws.root / "artigov.yaml").write_text("artifacts: [frameworks/**, extra/**]\n")
    ws = load_workspace(ws.root)
    update(ws)  # the scope changed: a full walk, which records `extra` as missing
    _age(ws.root)
    update(ws)
    (ws.root / "extra").mkdir()
    (ws.root / "extra/e.md").write_text(make_artifact("extra-1"))
    result = update(ws)
    assert result.added == ["extra/e.md"]


def test_a_racy_folder_is_listed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder whose stamp is not older than the cache is never trusted: it is listed again every
    time, so a file added there is found even when the folder's stamp looks the same."""
    ws = _settled(tmp_path)
    folder = ws.root / "frameworks/fwk-001/action-plan"
    future = time.time_ns() + 60 * 1_000_000_000
    os.utime(folder, ns=(future, future))
    update(ws)  # records the folder's future stamp, not older than the cache: racy from now on
    listed: list[list[str]] = []
    real = walk_mod.relist

    def counting(ws: Workspace, folders: list[str], known: Any) -> Any:
        listed.append(list(folders))
        return real(ws, folders, known)

    monkeypatch.setattr(walk_mod, "relist", counting)
    walks = _count_walks(monkeypatch)
    assert not update(ws).written
    assert listed == [["frameworks/fwk-001/action-plan"]] and walks == []
    (folder / "late.md").write_text(make_artifact("late-1", framework="fwk-001"))
    os.utime(folder, ns=(future, future))
    result = update(ws)
    assert result.added == ["frameworks/fwk-001/action-plan/late.md"] and walks == []
    monkeypatch.undo()
    assert read_index(ws).entries == _truth(ws)


def test_an_older_index_put_back_is_not_vouched_for(tmp_path: Path) -> None:
    """A `git checkout` of an older index: the cache describes the newer one, so update re-reads."""
    ws = _settled(tmp_path)
    older = ws.index_path.read_bytes()
    path = ws.root / "frameworks/fwk-000/technical-plan/a00000.md"
    path.write_text(path.read_text() + "More.\n")
    assert update(ws).changed
    ws.index_path.write_bytes(older)
    result = update(ws)
    assert result.written and result.changed == ["frameworks/fwk-000/technical-plan/a00000.md"]
    assert read_index(ws).entries == _truth(ws)


def _break(path: Path) -> None:
    """Make an artifact invalid: a status no schema allows (S014)."""
    path.write_text(re.sub(r"(?m)^status: .*$", "status: drafty", path.read_text(), count=1))


def _named(findings: list[Any]) -> list[tuple[str, str]]:
    return [(f.code, f.file) for f in findings]


def _agrees(ws: Workspace, result: Any, walks: list[int] | None = None) -> None:
    """The index and the findings an update answered are a full walk's (that walk not counted in
    ``walks``)."""
    counted = len(walks) if walks is not None else 0
    truth = ops.scan(ws)
    if walks is not None:
        del walks[counted:]
    assert read_index(ws, refresh=False).entries == truth.entries
    assert _named(result.findings) == _named(truth.findings)


def test_an_invalid_artifact_is_read_again_every_time_without_a_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document made invalid (here a status no schema allows; in practice a body edited after its
    checksum was declared) is held out of the index. The stat cache keeps it apart, so the next
    updates still prove everything else from stats: only the held-out file is read, every time, and
    its finding is named every time, as a walk names it. Mended, it is taken in without a walk."""
    ws = _settled(tmp_path)
    rel = "frameworks/fwk-001/action-plan/a00001.md"
    path = ws.root / rel
    good = path.read_text()
    _break(path)
    walks = _count_walks(monkeypatch)
    _forbid(monkeypatch, IndexStore, "read")  # its line deleted in the file: the index is not parsed
    result = update(ws)  # edited in place: no folder changed, so no walk even now
    assert result.written and result.removed == [rel] and _named(result.findings) == [("S014", rel)]
    monkeypatch.undo()
    walks = _count_walks(monkeypatch)
    _agrees(ws, result, walks)
    assert StatCache.load(ws.state_dir / statcache_mod.NAME).held == {rel: None}
    before = ws.index_path.stat().st_mtime_ns
    _forbid(monkeypatch, IndexStore, "read")
    for _ in range(2):
        result = update(ws)
        assert result.proved_unchanged and not result.written and not result.ok
        assert _named(result.findings) == [("S014", rel)]  # read again: named every time
    assert walks == [] and ws.index_path.stat().st_mtime_ns == before
    quick = ops.verify_quick(ws)
    assert quick is not None and quick.ok and quick.proved_by == "stat cache"
    assert _named(quick.findings) == _named(ops.verify(ws, refresh=False).findings) == [("S014", rel)]
    monkeypatch.undo()
    path.write_text(good.replace("Line 0", "Line 0, mended"))
    quick = ops.verify_quick(ws)  # valid again: the index lacks it, and the stat check says so
    full = ops.verify(ws, refresh=False)
    assert quick is not None and (quick.added, quick.findings) == (full.added, full.findings) == ([rel], [])
    walks = _count_walks(monkeypatch)
    _forbid(monkeypatch, IndexStore, "read")  # its line inserted in the file
    result = update(ws)
    assert result.added == [rel] and result.ok and walks == []
    monkeypatch.undo()
    _agrees(ws, result)
    assert StatCache.load(ws.state_dir / statcache_mod.NAME).held == {}
    assert update(ws).proved_unchanged


def test_an_added_invalid_file_is_held_out_without_a_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new file that is not a valid artifact is found by listing its folder again, and held out;
    then it is read again on its own every time; removed, it leaves no finding."""
    ws = _settled(tmp_path)
    bad = ws.root / "frameworks/fwk-000/action-plan/bad.md"
    bad.write_text("---\nid: bad\n---\n")
    walks = _count_walks(monkeypatch)
    result = update(ws)
    assert not result.ok and not result.written and walks == []
    _agrees(ws, result, walks)
    named = _named(result.findings)
    for _ in range(2):
        result = update(ws)
        assert result.proved_unchanged and _named(result.findings) == named
    assert walks == [] and named
    bad.unlink()
    result = update(ws)
    assert result.ok and not result.written
    _agrees(ws, result)
    assert StatCache.load(ws.state_dir / statcache_mod.NAME).held == {}


@pytest.mark.parametrize("chunk", [8, 40, 64, 97, 1 << 18])
def test_a_sidecar_artifact_broken_and_mended_is_spliced_out_and_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """An artifact described by a sidecar, made invalid (its sidecar edited): its line is deleted
    and it is held out with its sidecar, without a walk or a parse; mended, both go back in. The
    index bytes are a rewrite's and the stat cache a full walk's, however the cache's paths are
    cut into runs (a unit and its sidecar can fall in two)."""
    ws = _settled(tmp_path, 30)
    monkeypatch.setattr("artigov.index._statbody.CHUNK", chunk)
    unit = "frameworks/fwk-000/action-plan/side.txt"
    meta = ws.root / f"{unit}.meta.yaml"
    cache = ws.state_dir / statcache_mod.NAME
    for text, held in (
        (SIDECAR.replace("status: draft", "status: drafty"), {unit: f"{unit}.meta.yaml"}),
        (SIDECAR, {}),
    ):
        meta.write_text(text)
        with monkeypatch.context() as m:
            walks = _count_walks(m)
            _forbid(m, IndexStore, "read")
            result = update(ws)
            assert walks == []
        assert (result.removed, result.added) == (([unit], []) if held else ([], [unit]))
        assert ws.index_path.read_bytes() == _rewritten(ws)
        assert StatCache.load(cache).held == held
        kept = cache.read_bytes()
        cache.unlink()
        update(ws)  # a full walk saves the same cache
        assert cache.read_bytes() == kept
        assert update(ws).proved_unchanged


def test_an_invalid_sidecar_pair_is_held_with_its_sidecar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A held-out unit described by a sidecar keeps its sidecar: its folder listed again still
    holds both, so neither looks added; its sidecar removed, only a walk judges the folder."""
    ws = _settled(tmp_path)
    meta = ws.root / "frameworks/fwk-000/action-plan/side.txt.meta.yaml"
    meta.write_text(SIDECAR.replace("status: draft", "status: drafty"))
    _agrees(ws, update(ws))
    assert StatCache.load(ws.state_dir / statcache_mod.NAME).held == {
        "frameworks/fwk-000/action-plan/side.txt": "frameworks/fwk-000/action-plan/side.txt.meta.yaml"
    }
    walks = _count_walks(monkeypatch)
    (meta.parent / "new.md").write_text(make_artifact("new-1", framework="fwk-000"))  # the folder listed again
    result = update(ws)
    assert result.added == ["frameworks/fwk-000/action-plan/new.md"] and walks == []
    _agrees(ws, result, walks)
    meta.unlink()  # now an orphan content file: the walk decides what it is
    result = update(ws)
    assert walks
    _agrees(ws, result)


def test_a_damaged_cache_only_costs_speed(tmp_path: Path) -> None:
    ws = _settled(tmp_path)
    cache = ws.state_dir / statcache_mod.NAME
    data = cache.read_bytes()
    structural = (b"", data[:-3], b"artigov statcache 4\n{not json\n", data.replace(b'"files_bytes"', b'"filez"'))
    for damaged in structural:
        cache.write_bytes(damaged)
        assert StatCache.load(cache).units == 0
        result = update(ws)
        assert result.ok and not result.written
        assert read_index(ws).entries == _truth(ws)
    # A flipped byte among the stamps cannot be seen, but only makes a file look changed: it is re-read.
    flipped = bytearray(data)
    flipped[-20] ^= 0x40
    cache.write_bytes(bytes(flipped))
    result = update(ws)
    assert result.ok and not result.written
    assert read_index(ws).entries == _truth(ws)


_OPS = st.lists(
    st.tuples(
        st.sampled_from(["edit", "same-size", "add", "delete", "touch", "folder", "break", "mend"]),
        st.integers(0, 10**6),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops_list=_OPS)
def test_update_always_agrees_with_a_full_walk(tmp_path_factory: pytest.TempPathFactory, ops_list: list[Any]) -> None:
    """Whatever happens between updates, within the same clock tick or not, update == a full walk."""
    ws = _settled(tmp_path_factory.mktemp("prop"), 8)
    for step, (op, n) in enumerate(ops_list):
        files = sorted(p for p in (ws.root / "frameworks").rglob("*.md"))
        target = files[n % len(files)] if files else None
        if op == "edit" and target:
            target.write_text(target.read_text() + f"edit {n}\n")
        elif op == "same-size" and target:
            text = target.read_text()
            target.write_text(text[:-2] + ("xy" if text[-2:] != "xy" else "yx"))
        elif op == "add":
            (ws.root / f"frameworks/fwk-000/action-plan/p{n}.md").write_text(
                make_artifact(f"p{n}", framework="fwk-000")
            )
        elif op == "delete" and target:
            target.unlink()
        elif op == "touch" and target:
            os.utime(target)
        elif op == "folder":
            folder = ws.root / f"frameworks/fwk-00{n % 7}/summary-report/f{n}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "s.md").write_text(make_artifact(f"s{n}", framework=f"fwk-00{n % 7}", kind="summary-report"))
        elif op == "break" and target:
            _break(target)
        elif op == "mend" and target:
            target.write_text(make_artifact(f"m{step}", framework="fwk-000"))  # a new id: no duplicate
        _agrees(ws, update(ws))
    shutil.rmtree(ws.root)


def test_a_racily_clean_file_counts_as_changed(tmp_path: Path) -> None:
    """Same stamp, but not older than the cache: it may have changed again within the clock tick."""
    ws = _settled(tmp_path)
    target = ws.root / "frameworks/fwk-001/action-plan/a00001.md"
    target.write_text(target.read_text())  # same bytes, a new stamp
    update(ws)
    update(ws)
    cache_path = ws.state_dir / statcache_mod.NAME
    mtime = target.stat().st_mtime_ns
    os.utime(cache_path, ns=(mtime, mtime))  # the cache now looks written in the target's clock tick
    quick = StatCache.load(cache_path).check(ws.root, ws.index_path, discovery_scope(ws))
    assert quick is not None and quick.changed == ["frameworks/fwk-001/action-plan/a00001.md"]


def test_an_edit_that_duplicates_an_id_and_version_goes_to_the_full_update(tmp_path: Path) -> None:
    ws = _settled(tmp_path)
    a = ws.root / "frameworks/fwk-000/technical-plan/a00000.md"
    other = read_index(ws).entries["frameworks/fwk-001/action-plan/a00001.md"]
    lines = [
        f"id: {other['id']}" if line.startswith("id: ") else line for line in a.read_text().splitlines(keepends=False)
    ]
    lines = [f'version: "{other["version"]}"' if line.startswith("version: ") else line for line in lines]
    a.write_text("\n".join(lines) + "\n")  # a now claims b's (id, version)
    result = update(ws)
    assert [f.code for f in result.findings] == ["S016"]
    entries = read_index(ws).entries  # the one already indexed keeps its place; the newcomer is left out
    assert "frameworks/fwk-001/action-plan/a00001.md" in entries
    assert "frameworks/fwk-000/technical-plan/a00000.md" not in entries


@pytest.mark.parametrize("parts", [1, 2, 3, 7, 60])
@pytest.mark.parametrize("chunk", [1, 16, 100, 1 << 18])
def test_the_stat_check_reads_the_paths_in_runs_of_whole_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: int, chunk: int
) -> None:
    """The paths are read in runs cut at a NUL near every ``chunk`` bytes (a read grows past a path
    longer than it), from memory or from the cache file, and the runs shared among the workers:
    every file is checked exactly once, at its own position, whatever the sizes."""
    from array import array

    from artigov.index._statbody import Body

    names = [f"d{i % 4}/sub{i % 3}/é-{i:03d}.md" for i in range(50)]
    stamps = []
    for name in names:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
        st = path.stat()
        stamps += [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    for i in (0, 17, 49):
        (tmp_path / names[i]).write_text("changed, and longer than before")
    (tmp_path / names[30]).unlink()
    monkeypatch.setattr(statcache_mod, "PARALLEL_FILES", 0)
    monkeypatch.setattr(statcache_mod, "cores", lambda: parts)
    blob, packed = "\0".join(names).encode("utf-8"), array("q", stamps)
    stored = tmp_path / "body.bin"
    stored.write_bytes(b"head" + blob + packed.tobytes())
    fd = os.open(stored, os.O_RDONLY)
    try:
        from_file = Body.of_file(fd, 4, len(blob), len(names), chunk)
        assert from_file is not None
        assert Body.of_file(fd, 4, len(blob), len(names) + 1, chunk) is None  # another count: damaged
        for body in (Body.of_memory(blob, packed, chunk), from_file):
            assert [n for run in body.runs for n in body.paths(run)] == [n.encode() for n in names]
            found = statcache_mod._stat_files(tmp_path, body, 1 << 62)
            assert sorted(found) == [0, 17, 30, 49] and len(found) == len(set(found))
            assert body.names_at([49, 0, 30, 50]) == {0: names[0], 30: names[30], 49: names[49]}
            assert body.blob() == blob and body.packed() == packed
            # a file whose cached mtime is not older than the cache file's own counts as changed
            racy = sorted(statcache_mod._stat_files(tmp_path, body, stamps[4 * 5 + 1]))
            assert {0, 17, 30, 49} <= set(racy) and 5 in racy and 4 not in racy
    finally:
        os.close(fd)
    assert statcache_mod._stat_files(tmp_path, Body.of_memory(b"", array("q")), 0) == []


def test_a_check_that_finds_nothing_changed_never_reads_the_paths_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory does not grow with the workspace: the stat check holds one run of paths at a time;
    the blob and the stamps are read whole only to be rewritten (a change)."""
    from artigov.index._statbody import Body

    ws = _settled(tmp_path, 40)
    update(ws)
    _forbid(monkeypatch, Body, "blob")
    _forbid(monkeypatch, Body, "packed")
    monkeypatch.setattr("artigov.index._statbody.CHUNK", 64)  # many runs, as in a big workspace
    result = update(ws)
    assert result.ok and result.proved_unchanged
    monkeypatch.undo()
    target = next((ws.root / "frameworks").rglob("*.md"))
    target.write_text(target.read_text())  # same bytes, a new stamp: re-read, the cache rewritten
    assert update(ws).ok and read_index(ws).entries == _truth(ws)


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "delete", "rename", "edit", "break", "mend", "break-sidecar", "mend-sidecar"]),
        st.integers(0, 10**6),
    ),
    max_size=6,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_any_run_of_additions_and_removals_leaves_what_a_full_walk_leaves(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]]
) -> None:
    """Each step adds, deletes, renames or edits one artifact in an existing folder, then updates:
    the index bytes are a full rewrite's, and the stat cache is the one a full walk saves."""
    ws = _settled(tmp_path_factory.mktemp("moves"))
    for n, (what, pick) in enumerate(steps):
        files = sorted(p for p in (ws.root / "frameworks").rglob("*.md"))
        target = files[pick % len(files)]
        if what == "add":
            kind = target.parent.name
            extra = "risks: [R-001]" if kind == "risk-register" else ""
            framework = target.parent.parent.name
            text = make_artifact(f"new-{n}", framework=framework, kind=kind, extra=extra)
            (target.parent / f"{'0' if pick % 2 else 'z'}new-{n}.md").write_text(text)
        elif what == "delete":
            target.unlink()
        elif what == "rename":
            target.rename(target.with_name(f"moved-{n}.md"))
        elif what == "break":  # held out of the index, and read again by every later update
            _break(target)
        elif what == "mend":
            target.write_text(make_artifact(f"mended-{n}", framework="fwk-000"))
        elif what.endswith("-sidecar"):  # the sidecar artifact made invalid, or valid again
            text = SIDECAR if what == "mend-sidecar" else SIDECAR.replace("status: draft", "status: drafty")
            (ws.root / "frameworks/fwk-000/action-plan/side.txt.meta.yaml").write_text(text)
        else:
            target.write_text(target.read_text().replace("Line 0", f"Line {n}", 1) + "more\n")
        _agrees(ws, update(ws))
        assert ws.index_path.read_bytes() == _rewritten(ws)
    kept = (ws.state_dir / "statcache.bin").read_bytes()
    (ws.state_dir / "statcache.bin").unlink()
    update(ws)
    assert (ws.state_dir / "statcache.bin").read_bytes() == kept


def test_a_cache_patched_from_its_file_is_the_cache_patched_in_memory(tmp_path: Path) -> None:
    """save_patched copies the loaded file's paths and stamps run by run, the changed units' (and
    their sidecars') stamps in their places: the cache then holds every other stamp as it was and
    the new ones, and its newest mtime; the same bytes whether the cache was read whole or not."""
    import shutil as sh

    ws = _settled(tmp_path, 30)
    update(ws)
    cache_file = ws.state_dir / statcache_mod.NAME
    before = dict(StatCache.load(cache_file).stamps.items())
    edited = [ws.root / "frameworks/fwk-000/action-plan/side.txt.meta.yaml"]
    edited += sorted((ws.root / "frameworks").rglob("*.md"))[:3]
    for path in edited:
        path.write_text(path.read_text() + "\n")
    outcomes = []
    for materialized in (False, True):
        copy = tmp_path / f"cache-{materialized}.bin"
        sh.copyfile(cache_file, copy)
        cache = StatCache.load(copy)
        quick = walk_mod.quick_check(ws, cache)
        assert quick is not None and len(quick.changed) == 4
        if materialized:
            assert cache.stamps  # read whole, as a full walk reads it
        else:
            assert cache._packed_read is None
        stamps = {}
        for unit in walk_mod.quick_units(cache, quick):
            meta = statcache_mod.stamp_of(ws.root / unit.meta_path) if unit.meta_path is not None else None
            stamps[unit.path] = (statcache_mod.stamp_of(ws.root / unit.path), meta)
        cache.save_patched(quick, stamps, "sha256:" + "1" * 64, ws.index_path)
        outcomes.append(copy.read_bytes())
        reloaded = StatCache.load(copy)
        assert reloaded.index_digest == "sha256:" + "1" * 64
        assert dict(reloaded.stamps.items()) == {**before, **stamps}
        mtimes = [t[1] for pair in reloaded.stamps.values() for t in pair if t is not None]
        assert reloaded.newest_ns == max(mtimes)
    assert outcomes[0] == outcomes[1]
