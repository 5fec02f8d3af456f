from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artigov.core import ConfigError, load_workspace
from artigov.core.testing import make_artifact, make_workspace
from artigov.router import canonical_path, check_routes, fix_routes, load_routing_map

REPO = Path(__file__).resolve().parents[3]
BROKEN = REPO / "tests" / "data" / "routing"

ROUTES = """\
---
routes:
  technical-plan:
    dir: frameworks/{framework}/plans/technical
  risk-register:
    dir: frameworks/{framework}/registers/risk
---
# routing
"""
MATRIX = (
    '{"version": 1, "commands": {"plan": {"produces": {"technical-plan": "frameworks/{framework}/plans/technical"}}}}'
)


def _ws(tmp_path: Path, files: dict[str, str | bytes] | None = None, routes: str = ROUTES, matrix: str = MATRIX):  # type: ignore[no-untyped-def]
    base: dict[str, str | bytes] = {"artifact_routing.mdc": routes, "routing_matrix.json": matrix}
    return load_workspace(make_workspace(tmp_path, files={**base, **(files or {})}))


def _codes(ws) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in check_routes(ws).findings]


def test_clean_workspace_has_no_conflicts(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"frameworks/f/plans/technical/a.md": make_artifact("a", framework="f")})
    report = check_routes(ws)
    assert report.ok and report.artifacts_checked == 1


def test_broken_pair_reports_every_class_once(tmp_path: Path) -> None:
    ws_dir = tmp_path / "routing"
    shutil.copytree(BROKEN, ws_dir)
    codes = _codes(load_workspace(ws_dir))
    assert sorted(codes) == [f"R00{i}" for i in range(1, 9)]


@pytest.mark.parametrize(
    ("routes", "code"),
    [
        ("  technical-plan:\n    dir: docs/{framework}\n  risk-register:\n    dir: docs/{framework}\n", "R001"),
        ("  technical-plan:\n    dir: docs/x\n  risk-register:\n    dir: docs/x/risk\n", "R001"),
        (
            "  technical-plan:\n    dir: plans/technical\n  risk-register:\n    dir: /etc/{framework}\n",
            "R005",
        ),
        (
            "  technical-plan:\n    dir: frameworks/{framework}/plans/technical\n  risk-register:\n    dir: a/{who}\n",
            "R007",
        ),
        (
            "  technical-plan:\n    dir: frameworks/{framework}/plans/technical\n  risk-register:\n    dir: a/{kind\n",
            "R007",
        ),
        ("  technical-plan:\n    dir: frameworks/{framework}/plans/technical\n    filename: ../{id}.md\n", "R005"),
    ],
)
def test_template_conflicts(tmp_path: Path, routes: str, code: str) -> None:
    ws = _ws(tmp_path, routes=f"---\nroutes:\n{routes}---\n", matrix='{"commands": {}}')
    assert code in _codes(ws)


def test_kind_placeholder_separates_routes(tmp_path: Path) -> None:
    routes = "---\nroutes:\n  technical-plan:\n    dir: docs/{kind}\n  risk-register:\n    dir: docs/{kind}\n---\n"
    assert _codes(_ws(tmp_path, routes=routes, matrix='{"commands": {}}')) == []


def test_command_drift_and_unrouted_command_kind(tmp_path: Path) -> None:
    matrix = '{"commands": {"plan": {"produces": {"technical-plan": "plans", "audit-log": "logs"}}}}'
    assert sorted(_codes(_ws(tmp_path, matrix=matrix))) == ["R002", "R003"]


def test_route_not_allowed_by_any_contract(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"contracts/f.yaml": "framework: f\nallowed_kinds: [technical-plan]\n"})
    assert _codes(ws) == ["R004"]


def test_misplaced_and_unrouted_artifacts(tmp_path: Path) -> None:
    ws = _ws(
        tmp_path,
        {
            "frameworks/f/wrong/a.md": make_artifact("a", framework="f"),
            "frameworks/f/plans/technical/c.md": make_artifact("c", framework="f", kind="runtime-config"),
        },
    )
    report = check_routes(ws)
    assert [f.code for f in report.findings] == ["R008", "R006"] or sorted(f.code for f in report.findings) == [
        "R006",
        "R008",
    ]
    (misplaced,) = report.misplaced
    assert misplaced.target == "frameworks/f/plans/technical/a.md"


def test_symlinked_folder_pointing_outside_is_a_conflict(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    ws = _ws(tmp_path / "ws")
    os.symlink(outside, ws.root / "frameworks")
    assert "R005" in _codes(ws)


def test_id_that_escapes_through_a_template_is_a_conflict(tmp_path: Path) -> None:
    routes = "---\nroutes:\n  technical-plan:\n    dir: plans/{id}\n---\n"
    ws = _ws(tmp_path, {"frameworks/x.md": make_artifact("..")}, routes=routes, matrix='{"commands": {}}')
    config = "artifacts: [frameworks/**, plans/**]\n"
    (ws.root / "artigov.yaml").write_text(config)
    assert "R005" in _codes(load_workspace(ws.root))


@pytest.mark.parametrize(
    ("file", "text", "field"),
    [
        ("artifact_routing.mdc", "no yaml here\n", None),
        ("artifact_routing.mdc", "---\nroutes: {}\n---\n", "routes"),
        ("artifact_routing.mdc", "---\nroutes:\n  Bad Kind:\n    dir: x\n---\n", "routes"),
        ("routing_matrix.json", "{not json", None),
        ("routing_matrix.json", '{"commands": {"c": {"produces": {"k": 3}}}}', "commands.c.produces.k"),
    ],
)
def test_malformed_map_or_matrix_is_a_config_error(tmp_path: Path, file: str, text: str, field: str | None) -> None:
    ws = _ws(tmp_path)
    (ws.root / file).write_text(text)
    with pytest.raises(ConfigError) as info:
        check_routes(ws)
    assert file in str(info.value)
    if field:
        assert f"`{field}`" in str(info.value)


def test_fenced_yaml_block_is_read(tmp_path: Path) -> None:
    routes = "# Routing\n\nSome prose.\n\n```yaml\nroutes:\n  technical-plan:\n    dir: plans\n```\n"
    ws = _ws(tmp_path, routes=routes, matrix='{"commands": {}}')
    assert load_routing_map(ws).routes["technical-plan"].dir == "plans"


def test_fix_refuses_to_overwrite(tmp_path: Path) -> None:
    ws = _ws(
        tmp_path,
        {
            "frameworks/f/wrong/a.md": make_artifact("a", framework="f"),
            "frameworks/f/plans/technical/a.md": make_artifact("other", framework="f"),
        },
    )
    moves = fix_routes(ws, check_routes(ws).misplaced, apply=True)
    assert [m.status for m in moves] == ["refused"]
    assert (ws.root / "frameworks/f/wrong/a.md").exists()


def test_fix_never_moves_through_a_symlinked_folder(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"frameworks/f/wrong/a.md": make_artifact("a", framework="f")})
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws.root / "frameworks/f/plans").mkdir(parents=True)
    (ws.root / "frameworks/f/plans/technical").symlink_to(outside)
    moves = fix_routes(ws, check_routes(ws).misplaced, apply=True)
    assert [m.status for m in moves] == ["refused"] and "symlinked folder" in moves[0].reason
    assert (ws.root / "frameworks/f/wrong/a.md").exists() and list(outside.iterdir()) == []


def test_fix_moves_sidecars_along_and_uses_git_mv_in_a_repo(tmp_path: Path) -> None:
    ws = _ws(
        tmp_path,
        {
            "frameworks/f/wrong/data.csv": "a,b\n",
            "frameworks/f/wrong/data.csv.meta.yaml": (
                'id: d\nversion: "1"\nstatus: draft\nframework: f\nkind: risk-register\nrisks: [R-001]\n'
            ),
        },
    )
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=ws.root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=ws.root, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=ws.root, check=True)
    moves = fix_routes(ws, check_routes(ws).misplaced, apply=True)
    assert {(m.dst, m.status, m.via) for m in moves} == {
        ("frameworks/f/registers/risk/data.csv", "moved", "git"),
        ("frameworks/f/registers/risk/data.csv.meta.yaml", "moved", "git"),
    }
    staged = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ws.root, capture_output=True, text=True, check=True
    ).stdout
    assert "R  frameworks/f/wrong/data.csv -> frameworks/f/registers/risk/data.csv" in staged
    assert check_routes(ws).ok


def test_dry_run_moves_nothing(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"frameworks/f/wrong/a.md": make_artifact("a", framework="f")})
    moves = fix_routes(ws, check_routes(ws).misplaced)
    assert [m.status for m in moves] == ["planned"]
    assert (ws.root / "frameworks/f/wrong/a.md").exists()


names = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    placements=st.lists(
        st.tuples(
            names,
            st.sampled_from(["technical-plan", "risk-register"]),
            st.sampled_from(["f1", "f2"]),
            st.sampled_from(["wrong", "plans/technical", "registers/risk", "x/y"]),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda t: t[0],
    )
)
def test_resolution_is_deterministic_and_fix_then_check_is_clean(
    tmp_path_factory: pytest.TempPathFactory, placements
) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("prop")
    files: dict[str, str | bytes] = {}
    for name, kind, fwk, folder in placements:
        extra = "risks: [R-001]" if kind == "risk-register" else ""
        files[f"frameworks/{fwk}/{folder}/{name}.md"] = make_artifact(name, kind=kind, framework=fwk, extra=extra)
    ws = _ws(root, files)
    routing = load_routing_map(ws)
    first = check_routes(ws)
    assert first.findings == check_routes(ws).findings  # deterministic, run to run
    fix_routes(ws, first.misplaced, apply=True)
    assert check_routes(ws).misplaced == []
    from artigov.router._check import placed_artifacts

    for art in placed_artifacts(ws):
        meta = {k: str(art.metadata[k]) for k in ("framework", "kind", "id", "version")}
        assert canonical_path(routing, art.path, meta) == art.path


@pytest.mark.parametrize("template", ["{id[99]}", "{framework.x}", "{0}", "{id!r}", "{id:>9}", "plans/{id", "plans}"])
def test_a_template_is_never_python_format_syntax(tmp_path: Path, template: str) -> None:
    """Indexing, attribute lookups, positional fields, conversions and stray braces are unknown
    placeholders (R007); resolving with one is a clear error, never an IndexError or a lookup."""
    from artigov.core import ArtigovError

    routes = ROUTES.replace("frameworks/{framework}/plans/technical", f"frameworks/{{framework}}/{template}")
    ws = _ws(tmp_path, {"frameworks/f/plans/technical/a.md": make_artifact("a", framework="f")}, routes=routes)
    assert "R007" in _codes(ws)
    with pytest.raises(ArtigovError, match="unknown placeholder"):
        canonical_path(
            load_routing_map(ws), "frameworks/f/x/a.md", {"kind": "technical-plan", "framework": "f", "id": "a"}
        )


@settings(max_examples=300, deadline=None)
@given(
    template=st.sampled_from(
        [
            "frameworks/{framework}/plans",
            "{framework}/{kind}/{id}",
            "",
            "docs/{kind}",
            "x/{framework}/{id}/y",
            "frameworks/{framework}/plans/{path}",
            "a/{kind}/{path}",
            "{path}",
        ]
    ),
    framework=st.sampled_from(["fwk-001", "a", "b.c"]),
    ident=st.from_regex(r"[a-z0-9][a-z0-9._-]{0,8}", fullmatch=True),
    name=st.from_regex(r"[a-z0-9][a-z0-9.-]{0,8}\.md", fullmatch=True),
    folder=st.sampled_from(["frameworks/fwk-001/plans", "a/technical-plan/x", "docs/technical-plan", "", "x/a/x/y"]),
)
def test_the_placement_seam_says_what_canonical_path_says(
    template: str, framework: str, ident: str, name: str, folder: str
) -> None:
    """PlacementCache is only a speed seam: its target and its `placed` agree with canonical_path."""
    from artigov.router._maps import Route, RoutingMap
    from artigov.router._resolve import PlacementCache, canonical_path

    routing = RoutingMap(Path("artifact_routing.mdc"), {"technical-plan": Route("technical-plan", template)})
    meta = {"framework": framework, "kind": "technical-plan", "id": ident, "version": "1.0.0"}
    path = f"{folder}/{name}" if folder else name
    cache = PlacementCache(routing)
    expected = canonical_path(routing, path, meta)
    for _ in range(2):  # the second time from the cache
        assert cache.target(path, meta) == expected
        assert cache.placed(path, meta) == (expected == path)


def test_a_placement_without_some_artifacts_drops_their_sidecars_findings_too() -> None:
    from artigov.core import Finding
    from artigov.router import Misplaced, PlacementResult

    result = PlacementResult(
        [
            Finding("R008", "a/cfg.json.meta.yaml", "no route", fix="x"),  # about a/cfg.json, via its sidecar
            Finding("R006", "a/plan.md", "misplaced", fix="x"),
            Finding("R006", "b/other.md", "misplaced", fix="x"),
        ],
        [Misplaced("a/plan.md", "p/plan.md", None), Misplaced("b/other.md", "p/other.md", None)],
        3,
    )
    rest = result.without({"a/cfg.json", "a/plan.md"})
    assert [f.file for f in rest.findings] == ["b/other.md"]
    assert [m.path for m in rest.misplaced] == ["b/other.md"] and rest.checked == 3


SUBTREE_ROUTES = """\
---
routes:
  technical-plan:
    dir: frameworks/{framework}/docs/{path}
  risk-register:
    dir: frameworks/{framework}/registers/risk
---
"""


def test_a_subtree_route_keeps_each_artifact_in_its_place(tmp_path: Path) -> None:
    """A route ending in /{path}: the kind owns every folder below; an artifact elsewhere moves to
    the kind's folder itself; a command may write into that folder."""
    deep = "frameworks/f/docs/guides/en/install/a.md"
    ws = _ws(
        tmp_path,
        {
            deep: make_artifact("a", framework="f"),
            "frameworks/f/docs/b.md": make_artifact("b", framework="f"),
            "frameworks/f/elsewhere/x/c.md": make_artifact("c", framework="f"),
        },
        routes=SUBTREE_ROUTES,
        matrix='{"commands": {"plan": {"produces": {"technical-plan": "frameworks/{framework}/docs"}}}}',
    )
    report = check_routes(ws)
    assert [(m.path, m.target) for m in report.misplaced] == [
        ("frameworks/f/elsewhere/x/c.md", "frameworks/f/docs/c.md"),  # not below: to the kind's folder
    ]
    assert [f.code for f in report.findings] == ["R006"]  # the matrix writing into docs/ is fine
    meta = {"kind": "technical-plan", "framework": "f", "id": "a"}
    assert canonical_path(load_routing_map(ws), deep, meta) == deep
    fix_routes(ws, report.misplaced, apply=True)
    assert check_routes(ws).ok and (tmp_path / "frameworks/f/docs/c.md").is_file()


@pytest.mark.parametrize(
    "template",
    ["frameworks/{path}/docs", "{path}/x", "docs/{path}/{path}"],
)
def test_path_anywhere_but_last_is_r007(tmp_path: Path, template: str) -> None:
    routes = f"---\nroutes:\n  technical-plan:\n    dir: '{template}'\n---\n"
    ws = _ws(tmp_path, routes=routes, matrix='{"commands": {}}')
    found = [f for f in check_routes(ws).findings if f.code == "R007"]
    assert found and "{path}" in found[0].message


def test_a_subtree_route_and_a_route_inside_it_conflict(tmp_path: Path) -> None:
    routes = "---\nroutes:\n  technical-plan:\n    dir: docs/{path}\n  risk-register:\n    dir: docs/risk\n---\n"
    ws = _ws(tmp_path, routes=routes, matrix='{"commands": {}}')
    found = [f for f in check_routes(ws).findings if f.code == "R001"]
    assert found and "nested folders" in found[0].message
