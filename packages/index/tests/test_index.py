from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from artigov.core import FileLock, LockTimeoutError, capture, load_workspace, lock_path_for
from artigov.core.testing import held_lock, make_artifact, make_workspace
from artigov.index import IndexCorruptError, add, read_index, rebuild, update, verify
from artigov.index._model import Index
from artigov.index.testing import mutate, synth_workspace

#: An index that is committed (index_committed: true): drift and damage are reported, never refreshed.
COMMITTED = "artifacts: [frameworks/**]\nindex_committed: true\n"


def _ws(root: Path, n: int = 12):  # type: ignore[no-untyped-def]
    return load_workspace(synth_workspace(root, n, committed=True))


def test_rebuild_writes_canonical_index_with_digest(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    result = rebuild(ws)
    data = ws.index_path.read_bytes()
    index = Index.parse(data, ws.index_path)
    assert result.written and result.count == 12 and index.digest == result.digest
    assert data == index.to_bytes() and data.endswith(b"\n")
    value = json.loads(data)
    assert value["format_version"] == 2 and set(value) == {"entries", "format_version"}
    lines = data.splitlines()
    assert len(lines) == 12 + 2 and lines[0] == b'{"entries":{' and lines[-1] == b'},"format_version":2}'
    assert all(line.startswith(b',"') for line in lines[2:-1]) and lines[1].startswith(b'"')
    entry = next(iter(value["entries"].values()))
    assert set(entry) == {"id", "version", "status", "framework", "kind", "checksum", "size"}


def test_update_without_changes_does_not_rewrite(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rebuild(ws)
    before = ws.index_path.stat()
    result = update(ws)
    assert not result.written and result.ok
    assert ws.index_path.stat().st_mtime_ns == before.st_mtime_ns
    assert ws.index_path.stat().st_ino == before.st_ino


def test_update_picks_up_added_changed_and_removed(tmp_path: Path) -> None:
    ws = _ws(tmp_path, 20)
    rebuild(ws)
    touched = mutate(ws.root, 5, n_existing=20)
    result = update(ws)
    assert result.written
    assert len(result.added) == 3 and len(result.changed) == 3 and len(result.removed) == 1
    assert sorted(result.added + result.changed + result.removed) == touched
    assert verify(ws).ok
    fresh = tmp_path / "fresh"
    shutil.copytree(ws.root, fresh, ignore=shutil.ignore_patterns(".artigov", "artifacts_index.json*"))
    rebuild(load_workspace(fresh))
    assert (fresh / "artifacts_index.json").read_bytes() == ws.index_path.read_bytes()


def test_update_progress_counts_the_files_the_cache_vouches_for_as_done(tmp_path: Path) -> None:
    ws = _ws(tmp_path, 20)
    rebuild(ws)
    mutate(ws.root, 5, n_existing=20)  # 3 changed, 3 added, 1 removed
    deep = ws.root / "frameworks/fwk-000/new-folder"  # a new folder: only a walk lists it
    deep.mkdir()
    (deep / "x.md").write_text(make_artifact("deep-1", framework="fwk-000"))
    calls: list[tuple[int, int]] = []
    update(ws, progress=lambda done, total: calls.append((done, total)))  # 23 files, 17 untouched
    assert calls and calls[-1] == (23, 23) and all(total == 23 for _done, total in calls)
    assert calls[0][0] > 17  # the untouched files, never read, count from the first report on


def test_stat_cache_trusts_unchanged_stats_but_rehashes_racy_files(tmp_path: Path) -> None:
    ws = _ws(tmp_path, 5)
    rebuild(ws)
    cache = ws.state_dir / "statcache.bin"
    target = next(iter(sorted((ws.root / "frameworks").rglob("*.md"))))
    rel = target.relative_to(ws.root).as_posix()
    st = target.stat()
    # Same size, same mtime, different bytes: the cache is trusted (stats are all update looks at)...
    old_time = cache.stat().st_mtime_ns - 10_000_000_000
    text = target.read_text()
    os.utime(target, ns=(old_time, old_time))
    update(ws)  # refresh the cache with the older stamp
    swapped = text.replace("Line 0", "Line 9", 1)
    assert len(swapped) == len(text)
    target.write_text(swapped)
    os.utime(target, ns=(old_time, old_time))
    st2 = target.stat()
    assert st2.st_size == st.st_size
    # ...unless ctime or inode moved: writing a file changes its ctime, so update re-reads it.
    result = update(ws)
    assert rel in result.changed
    # Racy: a file whose mtime is not older than the cache is re-hashed even with identical stats.
    future = cache.stat().st_mtime_ns + 5_000_000_000
    os.utime(target, ns=(future, future))
    update(ws)
    target.write_text(text)
    os.utime(target, ns=(future, future))
    assert rel in update(ws).changed


def test_add_batch_is_one_transaction_and_invalid_files_do_not_block_the_rest(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"frameworks/a{i}.md": make_artifact(f"a{i}") for i in range(10)}
    files["frameworks/bad.md"] = "---\nid: bad\n---\n"
    root = make_workspace(tmp_path, COMMITTED, files=files)
    ws = load_workspace(root)
    with capture() as logs:
        result = add(ws, sorted((root / "frameworks").iterdir()))
    assert not result.ok and {f.file for f in result.findings} == {"frameworks/bad.md"}
    assert result.count == 10 and result.written
    assert [e["event"] for e in logs].count("index_written") == 1
    assert not (ws.state_dir / "index.journal").read_bytes()


def test_add_refuses_a_corrupt_index_and_never_overwrites_it(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rebuild(ws)
    ws.index_path.write_bytes(ws.index_path.read_bytes()[:-40])
    damaged = ws.index_path.read_bytes()
    with pytest.raises(IndexCorruptError) as info:
        add(ws, [next((ws.root / "frameworks").rglob("*.md"))])
    assert "index rebuild" in str(info.value)
    assert ws.index_path.read_bytes() == damaged


def _swap_two_entries(data: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[2], lines[3] = b"," + lines[3].lstrip(b","), lines[2]
    return b"\n".join(lines)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda d: d.replace(b'"format_version":2', b'"format_version":3'), "format_version"),
        (lambda d: json.dumps(json.loads(d), sort_keys=True, separators=(",", ":")).encode() + b"\n", "one entry per"),
        (_swap_two_entries, "out of order"),
        (lambda d: d.replace(b'"size":', b'"sise":1,"size":', 1), "unknown fields"),
        (lambda d: d[: len(d) // 2], "not valid JSON"),
        (lambda d: b'{"count":0,"digest":"sha256:' + b"0" * 64 + b'","entries":{},"format_version":1}\n', "rebuild"),
    ],
)
def test_hand_edited_or_badly_merged_index_is_corrupt(tmp_path: Path, edit, problem: str) -> None:  # type: ignore[no-untyped-def]
    ws = _ws(tmp_path)
    rebuild(ws)
    ws.index_path.write_bytes(edit(ws.index_path.read_bytes()))
    with pytest.raises(IndexCorruptError, match=problem):
        read_index(ws)


def test_index_verify_catches_an_edited_value(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rebuild(ws)
    ws.index_path.write_bytes(ws.index_path.read_bytes().replace(b'"status":"', b'"status":"x', 1))
    with pytest.raises(IndexCorruptError, match="status"):
        verify(ws)


def test_verify_reports_drift(tmp_path: Path) -> None:
    ws = _ws(tmp_path, 10)
    rebuild(ws)
    touched = mutate(ws.root, 1, n_existing=10, changes=1)
    result = verify(ws)
    assert not result.ok
    assert sorted(result.added + result.changed + result.removed) == touched


def test_an_older_index_checked_out_is_not_confirmed_by_the_stat_cache(tmp_path: Path) -> None:
    # `git checkout artifacts_index.json` brings back an older index while the files are newer:
    # the stamps in the cache describe the newer index and must not hide the difference.
    ws = _ws(tmp_path, 10)
    rebuild(ws)
    older = ws.index_path.read_bytes()
    mutate(ws.root, 2, n_existing=10, changes=1)
    newer = update(ws)
    assert newer.written
    ws.index_path.write_bytes(older)
    result = update(ws)
    assert result.written and result.digest == newer.digest
    assert verify(ws).ok


def test_second_writer_times_out(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rebuild(ws)
    with held_lock(lock_path_for(ws.index_path)) as pid:
        with pytest.raises(LockTimeoutError) as info:
            update(ws, lock_timeout=0.2)
        assert f"pid={pid}" in str(info.value)
    with FileLock(lock_path_for(ws.index_path), timeout=1):
        pass


def test_a_huge_change_is_audited_by_count_not_listed_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import artigov.index._store as store_mod

    monkeypatch.setattr(store_mod, "AUDIT_LIST_MAX", 5)
    ws = _ws(tmp_path, 12)
    with capture() as logs:
        rebuild(ws)
    event = next(e for e in logs if e["event"] == "index_written")
    assert len(event["changed"]) == 5 and event["changed_total"] == 12
    assert list(event["changed"]) == sorted(event["changed"])
    assert event["removed"] == [] and "removed_total" not in event


def test_verify_checks_the_index_against_its_json_schema(tmp_path: Path) -> None:
    """A well-formed, correctly hashed index whose entry breaks the schema (size as text) is corrupt."""
    ws = _ws(tmp_path, 3)
    rebuild(ws)
    index = read_index(ws)
    entries = {p: dict(e) for p, e in index.entries.items()}
    first = next(iter(entries))
    entries[first]["size"] = str(entries[first]["size"])
    ws.index_path.write_bytes(Index(entries).to_bytes())
    with pytest.raises(IndexCorruptError) as info:
        verify(ws)
    assert "size" in str(info.value) and "rebuild" in str(info.value)


def test_read_framework_reads_one_framework_and_names_a_bad_index(tmp_path: Path) -> None:
    from artigov.index._ops import read_framework
    from artigov.index.errors import IndexMissingError

    ws = _ws(tmp_path, 9)
    with pytest.raises(IndexMissingError):
        read_framework(ws, "fwk-001")
    rebuild(ws)
    full = read_index(ws)
    part = read_framework(ws, "fwk-001")
    assert part.digest == full.digest
    assert part.entries == {p: e for p, e in full.entries.items() if e["framework"] == "fwk-001"} != {}
    ws.index_path.write_bytes(ws.index_path.read_bytes()[:-40])
    with pytest.raises(IndexCorruptError):
        read_framework(ws, "fwk-001")
    ws.index_path.unlink()
    ws.index_path.mkdir()
    with pytest.raises(IndexCorruptError) as info:
        read_framework(ws, "fwk-001")
    assert "directory" in str(info.value)


@pytest.mark.parametrize("count", [0, 1, 4095, 4096, 4097, 10_000])
def test_an_index_in_pieces_is_the_same_file_as_in_one_piece(count: int) -> None:
    """A write takes the serialized index in pieces of a few thousand lines (no join of the whole
    file); their concatenation, and the digest taken over them, are those of the file."""
    import hashlib

    from artigov.index._model import Entry, entry_line

    entries = {
        f"frameworks/f/a{i:05d}.md": Entry(
            id=f"a{i}", version="1.0.0", status="draft", framework="f", kind="k", checksum="sha256:" + "0" * 64, size=i
        )
        for i in range(count)
    }
    lines = [entry_line(p, entries[p]) for p in sorted(entries)]
    whole = b'{"entries":{\n' + b"\n,".join(lines) + (b"\n" if lines else b"") + b'},"format_version":2}\n'
    index = Index(entries)
    assert b"".join(index.pieces()) == whole
    assert index.digest == "sha256:" + hashlib.sha256(whole).hexdigest()
    assert index.to_bytes() == whole and Index.parse(whole, Path("x")).entries == entries
