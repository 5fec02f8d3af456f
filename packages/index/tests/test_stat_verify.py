"""`index verify` by file stats (the pre-commit default) says what the full re-hash says."""

from __future__ import annotations

from pathlib import Path

import pytest

from artigov.core import load_workspace
from artigov.core.testing import make_artifact, make_workspace
from artigov.index import _ops as ops

#: An index that is committed (index_committed: true): drift and damage are reported, never refreshed.
COMMITTED = "artifacts: [frameworks/**]\nindex_committed: true\n"


def _ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    files: dict[str, str | bytes] = {f"frameworks/a{i}.md": make_artifact(f"a{i}", body=f"# {i}\n") for i in range(30)}
    ws = load_workspace(make_workspace(tmp_path / "ws", COMMITTED, files=files))
    ops.rebuild(ws)
    ops.update(ws)  # the stat cache vouches for a complete walk
    return ws


def _same(ws) -> None:  # type: ignore[no-untyped-def]
    quick = ops.verify_quick(ws)
    full = ops.verify(ws)
    assert quick is not None and quick.proved_by == "stat cache" and full.proved_by == "content"
    assert (quick.ok, quick.changed, quick.digest, quick.count) == (full.ok, full.changed, full.digest, full.count)


def test_no_change_and_an_edited_file_are_seen_alike(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    _same(ws)
    (ws.root / "frameworks/a3.md").write_text(make_artifact("a3", body="# edited\n"))
    _same(ws)
    assert ops.verify_quick(ws).changed == ["frameworks/a3.md"]  # type: ignore[union-attr]
    ops.update(ws)
    _same(ws)


def test_a_file_that_became_invalid_is_drift_with_its_finding(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    path = ws.root / "frameworks/a4.md"
    path.write_text(path.read_text().replace("status: draft", "status: drafty"))
    quick = ops.verify_quick(ws)
    assert quick is not None and not quick.ok and quick.removed == ["frameworks/a4.md"]
    assert [f.code for f in quick.findings] == ["S014"]


def test_an_added_invalid_file_is_a_finding_not_drift(tmp_path: Path) -> None:
    """A new file that is not a valid artifact was never indexed: the index still agrees with what
    a walk would index, and the file is a finding (the stat check once called it removed)."""
    ws = _ws(tmp_path)
    (ws.root / "frameworks/bad.md").write_text("---\nid: bad\n---\n")
    quick, full = ops.verify_quick(ws), ops.verify(ws)
    assert quick is not None and quick.proved_by == "stat cache"
    assert (quick.ok, quick.added, quick.changed, quick.removed) == (full.ok, [], [], []) == (True, [], [], [])
    assert [(f.code, f.file) for f in quick.findings] == [(f.code, f.file) for f in full.findings]
    assert {f.file for f in quick.findings} == {"frameworks/bad.md"}


def test_an_added_or_removed_file_is_found_by_listing_its_folder_again(tmp_path: Path) -> None:
    """The folder's stamp changed: it is listed again (no walk, no re-hash), and the answer is the
    full check's."""
    ws = _ws(tmp_path)
    (ws.root / "frameworks/new.md").write_text(make_artifact("new"))
    (ws.root / "frameworks/a3.md").unlink()
    quick, full = ops.verify_quick(ws), ops.verify(ws)
    assert quick is not None and quick.proved_by == "stat cache"
    assert (quick.added, quick.changed, quick.removed) == (full.added, full.changed, full.removed)
    assert quick.added == ["frameworks/new.md"] and quick.removed == ["frameworks/a3.md"]


def test_a_new_subfolder_is_left_to_the_full_check(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    (ws.root / "frameworks/deeper").mkdir()
    (ws.root / "frameworks/deeper/new.md").write_text(make_artifact("new"))
    assert ops.verify_quick(ws) is None  # a folder the walk never listed: only a walk can say
    assert ops.verify(ws).added == ["frameworks/deeper/new.md"]


def test_read_units_sees_the_files_as_they_stand(tmp_path: Path) -> None:
    from artigov.schema import ArtifactUnit

    ws = _ws(tmp_path)
    (ws.root / "frameworks/a5.md").write_text(make_artifact("a5", version="2.0.0", body="# v2\n"))
    (ws.root / "frameworks/a6.md").write_text("not an artifact\n")
    entries, invalid, findings = ops.read_units(
        ws, [ArtifactUnit("frameworks/a5.md"), ArtifactUnit("frameworks/a6.md")]
    )
    assert entries == {"frameworks/a5.md": ops.scan(ws).entries["frameworks/a5.md"]}
    assert invalid == ["frameworks/a6.md"] and [f.file for f in findings] == ["frameworks/a6.md"]


def test_a_local_index_is_updated_and_verified_with_one_pass_over_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``index verify`` on a local index updates it first; when that update's stat check proved
    nothing changed, the same proof answers: the files are stat'ed once, not twice."""
    from artigov.index._statcache import StatCache

    files: dict[str, str | bytes] = {f"frameworks/a{i}.md": make_artifact(f"a{i}", body=f"# {i}\n") for i in range(30)}
    ws = load_workspace(make_workspace(tmp_path / "ws", files=files))
    ops.rebuild(ws)
    ops.update(ws)
    passes: list[int] = []
    real = StatCache.check
    monkeypatch.setattr(StatCache, "check", lambda self, *a, **k: passes.append(1) or real(self, *a, **k))
    quick = ops.verify_quick(ws, refresh=True)
    assert quick is not None and quick.ok and quick.proved_by == "stat cache"
    assert (quick.digest, quick.count) == (ops.verify(ws, refresh=False).digest, 30)
    assert len(passes) == 1
    (ws.root / "frameworks/a3.md").write_text(make_artifact("a3", body="# edited\n"))
    passes.clear()
    quick = ops.verify_quick(ws, refresh=True)  # the update takes the edit in; the check then proves it
    assert quick is not None and quick.ok and len(passes) == 2
    assert quick.digest == ops.verify(ws, refresh=False).digest
