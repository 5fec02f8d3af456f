from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from artigov.core import Workspace, load_workspace
from artigov.core.testing import make_artifact, make_workspace
from artigov.schema._discovery import discover, glob_regex
from artigov.schema._validate import validate_workspace


def _ws(tmp_path: Path, files: dict[str, str | bytes]):  # type: ignore[no-untyped-def]
    return load_workspace(make_workspace(tmp_path, files=files))


def test_valid_workspace_has_no_findings(tmp_path: Path) -> None:
    ws = _ws(
        tmp_path, {"frameworks/a.md": make_artifact("a"), "frameworks/b.md": make_artifact("b", status="approved")}
    )
    report = validate_workspace(ws)
    assert report.ok and report.checked == 2 and len(report.artifacts) == 2


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = "---\nid: 'bad id'\nversion: 2\nstatus: final\nframework: fwk\n---\n"
    report = validate_workspace(_ws(tmp_path, {"frameworks/a.md": text}))
    pointers = sorted(f.pointer for f in report.findings)
    assert pointers == ["", "/id", "/status", "/version"]
    lines = {f.pointer: f.line for f in report.findings}
    assert lines["/id"] == 2 and lines["/version"] == 3 and lines["/status"] == 4


def test_id_with_trailing_newline_is_refused(tmp_path: Path) -> None:
    # jsonschema's pattern uses re.search, where `$` matches before a trailing newline.
    report = validate_workspace(_ws(tmp_path, {"frameworks/a.md": make_artifact("'abc\n\n  '")}))
    assert [(f.code, f.pointer) for f in report.findings] == [("S014", "/id")]


def test_date_time_format_is_really_checked(tmp_path: Path) -> None:
    files = {
        "frameworks/bad.md": make_artifact("bad", extra='created_at: "not-a-date"'),
        "frameworks/good.md": make_artifact("good", extra='created_at: "2026-01-31T12:00:00Z"'),
        "frameworks/unquoted.md": make_artifact("unq", extra="updated_at: 2026-01-31T12:00:00+01:00"),
    }
    report = validate_workspace(_ws(tmp_path, files))
    assert [(f.file, f.pointer) for f in report.findings] == [("frameworks/bad.md", "/created_at")]


def test_checksum_mismatch_names_the_actual_digest(tmp_path: Path) -> None:
    body = "hello\n"
    good = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    files = {
        "frameworks/ok.md": make_artifact("ok", extra=f"checksum: {good}", body=body),
        "frameworks/bad.md": make_artifact("bad", extra=f"checksum: {good}", body="tampered\n"),
    }
    report = validate_workspace(_ws(tmp_path, files))
    (finding,) = report.findings
    assert finding.code == "S015" and finding.file == "frameworks/bad.md"
    assert "sha256:" + hashlib.sha256(b"tampered\n").hexdigest() in finding.fix


def test_duplicate_id_version_names_both_files(tmp_path: Path) -> None:
    files = {
        "frameworks/a.md": make_artifact("same"),
        "frameworks/b.md": make_artifact("same"),
        "frameworks/c.md": make_artifact("same", version="2.0.0"),
    }
    report = validate_workspace(_ws(tmp_path, files))
    (finding,) = report.findings
    assert finding.code == "S016"
    assert finding.file == "frameworks/b.md" and "frameworks/a.md" in finding.message


def test_sidecars_pair_with_their_files_and_orphans_are_found(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "frameworks/data.csv": "a,b\n",
        "frameworks/data.csv.meta.yaml": 'id: d\nversion: "1"\nstatus: draft\nframework: f\nkind: runtime-config\n',
        "frameworks/gone.csv.meta.json": '{"id": "g"}',
        "frameworks/two.bin": b"\x00",
        "frameworks/two.bin.meta.yaml": "id: t\n",
        "frameworks/two.bin.meta.json": '{"id": "t"}',
    }
    report = validate_workspace(_ws(tmp_path, files))
    codes = {(f.code, f.file) for f in report.findings}
    assert ("S017", "frameworks/gone.csv.meta.json") in codes
    assert any(code == "S018" for code, _ in codes)
    assert [a.path for a in report.artifacts] == ["frameworks/data.csv"]


def test_binary_file_without_sidecar(tmp_path: Path) -> None:
    report = validate_workspace(_ws(tmp_path, {"frameworks/img.png": b"\x89PNG\r\n\x1a\n\x00\x00"}))
    assert [f.code for f in report.findings] == ["S003"]


def test_paths_outside_globs_are_skipped_and_outside_workspace_reported(tmp_path: Path) -> None:
    ws = _ws(tmp_path / "ws", {"frameworks/a.md": make_artifact("a"), "README.md": "# hi\n"})
    (tmp_path / "stray.md").write_text("x")
    report = validate_workspace(ws, [ws.root / "README.md", ws.root / "frameworks/a.md", tmp_path / "stray.md"])
    assert report.skipped == ["README.md"]
    assert [f.code for f in report.findings] == ["S019"]
    assert [a.path for a in report.artifacts] == ["frameworks/a.md"]


def test_naming_a_sidecar_validates_its_artifact(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"frameworks/d.csv": "x", "frameworks/d.csv.meta.yaml": "id: d\n"})
    report = validate_workspace(ws, [ws.root / "frameworks/d.csv.meta.yaml"])
    assert report.checked == 1
    assert {f.file for f in report.findings} == {"frameworks/d.csv.meta.yaml"}


def test_state_dir_and_hidden_files_are_not_artifacts(tmp_path: Path) -> None:
    config = "artifacts: ['**']\n"
    root = make_workspace(
        tmp_path,
        config,
        {"a.md": make_artifact("a"), ".hidden/x.md": "junk", ".artigov/audit.jsonl": "{}", "frameworks/.gitkeep": ""},
    )
    (root / "artigov.yaml").write_text(config)
    found = discover(load_workspace(root))
    assert [u.path for u in found.units] == ["a.md", "artigov.yaml"]


def test_discovery_order_is_bytewise_and_independent_of_creation_order(tmp_path: Path) -> None:
    names = ["frameworks/b.md", "frameworks/B.md", "frameworks/a/z.md", "frameworks/é.md", "frameworks/a.md"]
    one = make_workspace(tmp_path / "one", files={n: make_artifact(str(i)) for i, n in enumerate(names)})
    two = make_workspace(
        tmp_path / "two", files={n: make_artifact(str(i)) for i, n in reversed(list(enumerate(names)))}
    )
    order_one = [u.path for u in discover(load_workspace(one)).units]
    order_two = [u.path for u in discover(load_workspace(two)).units]
    assert order_one == order_two == sorted(names, key=lambda s: s.encode())


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("frameworks/**", "frameworks/a/b/c.md", True),
        ("frameworks/**", "frameworks", False),
        ("frameworks/**/*.md", "frameworks/x.md", True),
        ("frameworks/**/*.md", "frameworks/a/b/x.md", True),
        ("frameworks/**/*.md", "frameworks/a/x.txt", False),
        ("frameworks/*/plans/*", "frameworks/f1/plans/p.md", True),
        ("frameworks/*/plans/*", "frameworks/f1/x/plans/p.md", False),
        ("docs/?.md", "docs/a.md", True),
        ("docs/[ab].md", "docs/c.md", False),
        ("docs/[!ab].md", "docs/c.md", True),
        ("a.b", "axb", False),
    ],
)
def test_glob_semantics(glob: str, path: str, matches: bool) -> None:
    assert bool(glob_regex(glob).match(path)) is matches


def test_progress_hook_sees_every_artifact(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {f"frameworks/{i}.md": make_artifact(str(i)) for i in range(5)})
    calls: list[tuple[int, int]] = []
    validate_workspace(ws, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (5, 5)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# -- one symlink policy for every entry point (issue 15, item 4) ---------------------------------------


def _linked(tmp_path: Path) -> tuple[Workspace, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(make_artifact("secret"))
    ws = _ws(tmp_path / "ws", {"frameworks/real/a.md": make_artifact("a"), "frameworks/real/b.md": make_artifact("b")})
    docs = ws.root / "frameworks"
    (docs / "out.md").symlink_to(outside / "secret.md")  # a file link leaving the workspace
    (docs / "outdir").symlink_to(outside)  # a folder link leaving it
    (docs / "again").symlink_to(docs / "real")  # the same tree reached twice
    (docs / "in.md").symlink_to(docs / "real" / "a.md")
    return ws, outside


def test_a_full_run_and_named_paths_apply_the_same_symlink_policy(tmp_path: Path) -> None:
    ws, outside = _linked(tmp_path)
    full = validate_workspace(ws)
    named = validate_workspace(
        ws,
        [
            ws.root / p
            for p in ("frameworks/out.md", "frameworks/outdir/secret.md", "frameworks/again/a.md", "frameworks/in.md")
        ]
        + [ws.root / "frameworks/real/a.md", ws.root / "frameworks/real/b.md"],
    )
    for report in (full, named):
        assert sorted(a.path for a in report.artifacts) == ["frameworks/real/a.md", "frameworks/real/b.md"]
        assert all(f.code == "S019" for f in report.findings), report.findings  # never S016 for one tree twice
        assert {f.file.split("/")[1] for f in report.findings} == {"out.md", "outdir"}
        assert all(str(outside) in f.message and f.line == 1 for f in report.findings)
        assert {p.split("/")[1] for p in report.skipped} == {"again", "in.md"}
        assert all("symlink" in report.skipped_reasons[p] for p in report.skipped)
    assert "secret" not in {a.id for a in full.artifacts + named.artifacts}


def test_the_loader_itself_never_reads_through_a_symlink(tmp_path: Path) -> None:
    from artigov.schema._loader import load_frontmatter_artifact
    from artigov.schema.errors import ArtifactLoadError

    ws, _ = _linked(tmp_path)
    with pytest.raises(ArtifactLoadError) as info:
        load_frontmatter_artifact(ws.root, "frameworks/out.md")
    assert info.value.code == "S019"


def test_a_symlinked_folder_named_directly_is_not_walked(tmp_path: Path) -> None:
    ws, _ = _linked(tmp_path)
    report = validate_workspace(ws, [ws.root / "frameworks/outdir", ws.root / "frameworks/again"])
    assert report.checked == 0 and [f.code for f in report.findings] == ["S019"]
    assert report.skipped == ["frameworks/again"]


@pytest.mark.parametrize("workers", [1, 2])
def test_check_units_yields_each_batch_as_it_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """No list of every result is held (a rebuild's memory): the caller has the first batch while
    the last is not yet checked, and a caller that stops early leaves no units behind."""
    import artigov.schema._validate as validate_mod
    from artigov.schema import SchemaSet, check_units

    files: dict[str, str | bytes] = {f"frameworks/a{i}.md": make_artifact(f"a{i}") for i in range(7)}
    files["frameworks/bad.md"] = "no frontmatter\n"
    ws = _ws(tmp_path, files)
    monkeypatch.setattr(validate_mod, "_BATCH", 2)
    monkeypatch.setattr(validate_mod, "PARALLEL_MIN", 0)
    monkeypatch.setattr(validate_mod, "cores", lambda: workers)
    units = discover(ws).units
    heard: list[tuple[int, int]] = []
    results = check_units(ws.root, units, SchemaSet(ws.kind_schemas_dir), lambda n, total: heard.append((n, total)))
    first = next(results)
    assert first[0] == units[0] and heard == []  # the first batch, before any progress was heard
    rest = list(results)
    assert [r[0] for r in [first, *rest]] == list(units)
    assert heard == [(2, 8), (4, 8), (6, 8), (8, 8)]
    by_path = {unit.path: (artifact, problems) for unit, artifact, problems, _c, _m in [first, *rest]}
    assert by_path["frameworks/bad.md"][0] is None and by_path["frameworks/bad.md"][1]
    assert all(artifact is not None for path, (artifact, _p) in by_path.items() if path != "frameworks/bad.md")
    assert "units" not in validate_mod._WORKER
    stopped = check_units(ws.root, units, SchemaSet(ws.kind_schemas_dir))
    next(stopped)
    stopped.close()
    assert "units" not in validate_mod._WORKER


@pytest.mark.parametrize("workers", [1, 2])
def test_units_given_one_at_a_time_are_checked_as_a_list_of_them_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """A streamed walk hands its units over one at a time (no list of every unit): they are sent
    to the workers a batch at a time, a few batches in flight, and answered in order, as a list of
    them is; progress counts them with the total unknown (0) until the last."""
    import artigov.schema._validate as validate_mod
    from artigov.schema import SchemaSet, check_units

    files: dict[str, str | bytes] = {f"frameworks/a{i:02d}.md": make_artifact(f"a{i}") for i in range(23)}
    files["frameworks/bad.md"] = "no frontmatter\n"
    ws = _ws(tmp_path, files)
    monkeypatch.setattr(validate_mod, "_SENT", 2)
    monkeypatch.setattr(validate_mod, "_AHEAD", 1)
    monkeypatch.setattr(validate_mod, "PARALLEL_MIN", 5)
    monkeypatch.setattr(validate_mod, "cores", lambda: workers)
    units = discover(ws).units
    listed = list(check_units(ws.root, units, SchemaSet(ws.kind_schemas_dir)))
    heard: list[tuple[int, int]] = []
    given = check_units(ws.root, iter(units), SchemaSet(ws.kind_schemas_dir), lambda n, t: heard.append((n, t)))
    streamed = list(given)
    assert [(u, made.id if made else None, p, c, m) for u, made, p, c, m in streamed] == [
        (u, made.id if made else None, p, c, m) for u, made, p, c, m in listed
    ]
    assert heard[-1] == (24, 24) and all(total == 0 for _n, total in heard[:-1]) and len(heard) == 13
    few = list(check_units(ws.root, iter(units[:3]), SchemaSet(ws.kind_schemas_dir)))  # under PARALLEL_MIN
    assert [r[0] for r in few] == units[:3]
