from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.contract import load_contract
from artigov.core import load_workspace
from artigov.core.testing import make_artifact, make_workspace
from artigov.hydrate import Candidate, CommitTimes, DeterminismCheck, HydrationError, hydrate, rank
from artigov.index import rebuild

CONTRACT = """\
framework: f
allowed_kinds: [technical-plan]
draft_fallback: {fallback}
gates:
  - name: s
    requires:
      technical-plan: draft
"""


def _ws(tmp_path: Path, files: dict[str, str | bytes], fallback: str = "none"):  # type: ignore[no-untyped-def]
    ws = load_workspace(
        make_workspace(tmp_path, files={"contracts/f.yaml": CONTRACT.format(fallback=fallback), **files})
    )
    rebuild(ws)
    return ws


def _winner(ws) -> str:  # type: ignore[no-untyped-def]
    result = hydrate(ws, "f", "s")
    assert result.plan is not None
    return str(result.plan.inputs[0]["path"])


def test_approved_beats_newer_review_and_draft(tmp_path: Path) -> None:
    ws = _ws(
        tmp_path,
        {
            "frameworks/a.md": make_artifact("a", version="1.0.0", status="approved", framework="f"),
            "frameworks/b.md": make_artifact("a", version="2.0.0", status="review", framework="f"),
            "frameworks/c.md": make_artifact("a", version="3.0.0", status="draft", framework="f"),
        },
    )
    assert _winner(ws) == "frameworks/a.md"


def test_pep440_order_not_text_order(tmp_path: Path) -> None:
    ws = _ws(
        tmp_path,
        {
            "frameworks/a.md": make_artifact("a", version="1.9.0", status="review", framework="f"),
            "frameworks/b.md": make_artifact("a", version="1.10.0", status="review", framework="f"),
            "frameworks/c.md": make_artifact("a", version="not-a-version", status="review", framework="f"),
        },
    )
    assert _winner(ws) == "frameworks/b.md"


def test_updated_at_breaks_version_ties_outside_git(tmp_path: Path) -> None:
    ws = _ws(
        tmp_path,
        {
            "frameworks/a.md": make_artifact(
                "a", version="1.0", status="review", framework="f", extra='updated_at: "2026-01-01T00:00:00Z"'
            ),
            "frameworks/b.md": make_artifact(
                "b", version="1.0", status="review", framework="f", extra='updated_at: "2026-02-01T00:00:00Z"'
            ),
        },
    )
    assert _winner(ws) == "frameworks/b.md"


def test_path_breaks_the_last_tie(tmp_path: Path) -> None:
    ws = _ws(
        tmp_path,
        {
            "frameworks/b.md": make_artifact("b", version="1.0", status="review", framework="f"),
            "frameworks/a.md": make_artifact("a", version="1.0", status="review", framework="f"),
        },
    )
    assert _winner(ws) == "frameworks/a.md"


def test_solo_draft_is_chosen_but_several_drafts_are_ambiguous(tmp_path: Path) -> None:
    solo = _ws(tmp_path / "solo", {"frameworks/a.md": make_artifact("a", framework="f")})
    assert _winner(solo) == "frameworks/a.md"
    files: dict[str, str | bytes] = {
        "frameworks/a.md": make_artifact("a", version="1", framework="f"),
        "frameworks/b.md": make_artifact("b", version="2", framework="f"),
    }
    two = _ws(tmp_path / "two", files)
    with pytest.raises(HydrationError) as info:
        hydrate(two, "f", "s")
    assert info.value.findings[0].code == "H002"
    newest = _ws(tmp_path / "newest", files, fallback="newest")
    assert _winner(newest) == "frameworks/b.md"


def test_decision_log_explains_every_candidate(tmp_path: Path) -> None:
    ws = _ws(
        tmp_path,
        {
            "frameworks/a.md": make_artifact("a", version="1", status="approved", framework="f"),
            "frameworks/b.md": make_artifact("a", version="2", status="review", framework="f"),
            "frameworks/c.md": make_artifact("c", framework="other"),
        },
    )
    result = hydrate(ws, "f", "s", check=DeterminismCheck())
    outcomes = {d.path: (d.outcome, d.lost_to) for d in result.decisions}
    assert outcomes == {"frameworks/a.md": ("won", None), "frameworks/b.md": ("lost", "frameworks/a.md")}
    assert result.runs == 5


def test_same_workspace_in_two_directories_gives_identical_plans(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        f"frameworks/{i}.md": make_artifact(
            f"a{i}", version=f"1.{i}", status=["draft", "review", "approved"][i % 3], framework="f"
        )
        for i in range(12)
    }
    one = _ws(tmp_path / "one", files)
    two_root = tmp_path / "two"
    for i, src in enumerate(sorted((p for p in one.root.rglob("*") if p.is_file()), reverse=True)):
        dest = two_root / src.relative_to(one.root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        os.utime(dest, (1_500_000_000 + i, 1_500_000_000 + i))
    two = load_workspace(two_root)
    rebuild(two)
    plan_one = hydrate(one, "f", "s").plan
    plan_two = hydrate(two, "f", "s").plan
    assert plan_one is not None and plan_two is not None
    assert plan_one.to_bytes() == plan_two.to_bytes()


statuses = st.sampled_from(["draft", "review", "approved"])
versions = st.sampled_from(["1.0", "1.0.0", "1.2", "1.10", "2.0rc1", "2.0", "garbage", "zeta"])
candidate_lists = st.lists(st.tuples(statuses, versions), min_size=1, max_size=10)


def _cands(specs: list[tuple[str, str]]) -> list[Candidate]:
    return [Candidate(f"p/{i:02d}.md", {"status": s, "version": v}) for i, (s, v) in enumerate(specs)]


def _no_git(c: Candidate) -> tuple[int, str]:
    return (0, "none")


@settings(max_examples=200, deadline=None)
@given(candidate_lists, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(specs: list[tuple[str, str]], rnd) -> None:  # type: ignore[no-untyped-def]
    cands = _cands(specs)
    shuffled = list(cands)
    rnd.shuffle(shuffled)
    assert [c.path for c in rank(cands, _no_git)] == [c.path for c in rank(shuffled, _no_git)]


@settings(max_examples=200, deadline=None)
@given(candidate_lists)
def test_an_approved_candidate_always_beats_non_approved(specs: list[tuple[str, str]]) -> None:
    ranked = rank(_cands(specs), _no_git)
    if any(s == "approved" for s, _ in specs):
        assert ranked[0].entry["status"] == "approved"


@settings(max_examples=200, deadline=None)
@given(candidate_lists, st.tuples(statuses, versions))
def test_adding_a_lower_ranked_candidate_never_changes_the_winner(specs: list[tuple[str, str]], extra) -> None:  # type: ignore[no-untyped-def]
    cands = _cands(specs)
    winner = rank(cands, _no_git)[0]
    newcomer = Candidate("z/zz.md", {"status": extra[0], "version": extra[1]})
    ranked = rank([*cands, newcomer], _no_git)
    if ranked[0] is newcomer:
        return  # it outranked the winner: not a lower-ranked candidate
    assert ranked[0] == winner


def test_commit_time_from_git_when_tracked(tmp_path: Path) -> None:
    import subprocess

    ws = _ws(
        tmp_path,
        {
            "frameworks/a.md": make_artifact(
                "a", version="1.0", status="review", framework="f", extra='updated_at: "2030-01-01T00:00:00Z"'
            ),
            "frameworks/b.md": make_artifact("b", version="1.0", status="review", framework="f"),
        },
    )
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    env = {**os.environ, "GIT_COMMITTER_DATE": "2020-01-01T00:00:00Z", "GIT_AUTHOR_DATE": "2020-01-01T00:00:00Z"}
    subprocess.run([*git, "init", "-q"], cwd=ws.root, check=True)
    subprocess.run([*git, "add", "frameworks/a.md"], cwd=ws.root, check=True)
    subprocess.run([*git, "commit", "-qm", "a"], cwd=ws.root, check=True, env=env)
    env2 = {**env, "GIT_COMMITTER_DATE": "2021-01-01T00:00:00Z"}
    subprocess.run([*git, "add", "frameworks/b.md"], cwd=ws.root, check=True)
    subprocess.run([*git, "commit", "-qm", "b"], cwd=ws.root, check=True, env=env2)
    # a's updated_at is later, but inside git the commit time decides: b was committed later.
    assert _winner(ws) == "frameworks/b.md"
    times = CommitTimes(ws.root)
    assert times(Candidate("frameworks/b.md", {}))[1] == "git"
    # A later commit touching only a: each path's time is its own newest commit, not its folder's.
    (ws.root / "frameworks/a.md").write_text((ws.root / "frameworks/a.md").read_text() + "More.\n")
    env3 = {**env, "GIT_COMMITTER_DATE": "2022-01-01T00:00:00Z"}
    subprocess.run([*git, "commit", "-qam", "a again"], cwd=ws.root, check=True, env=env3)
    from artigov.index import update

    update(ws)
    assert _winner(ws) == "frameworks/a.md"
    batched = CommitTimes(ws.root)
    batched.prefetch([Candidate("frameworks/a.md", {}), Candidate("frameworks/b.md", {})])
    assert batched(Candidate("frameworks/a.md", {})) == (1640995200, "git")
    assert batched(Candidate("frameworks/b.md", {})) == (1609459200, "git")


def test_contract_stage_requirements_drive_hydration(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"frameworks/a.md": make_artifact("a", framework="f")})
    assert list(load_contract(ws, "f").gate("s").requires) == ["technical-plan"]  # type: ignore[union-attr]


def test_the_determinism_rerun_through_a_door_is_the_plan_a_new_interpreter_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rehearsal hands its commands a warm server for the rerun (DETERMINISM_DOOR_ENV): the rerun
    forked there makes the same bytes as a new interpreter with that seed; a door of another seed,
    or one that does not answer, is not used (a new interpreter runs, as without one)."""
    from artigov.hydrate import DETERMINISM_DOOR_ENV, RERUN_SEED, determinism_door, door_env
    from artigov.hydrate._hydrate import _Rerun, _through_door

    ws = _ws(tmp_path / "ws", {"frameworks/a.md": make_artifact("a", status="approved", framework="f")})
    monkeypatch.chdir(ws.root)
    monkeypatch.delenv(DETERMINISM_DOOR_ENV, raising=False)
    withdrawn = {("a", "9.9.9"): "withdrawn in a test"}
    fresh = _Rerun(ws, "f", "s", RERUN_SEED, withdrawn).plan()  # started, then waited for at once
    assert fresh.startswith(b"{")
    args = [str(ws.root), "f", "s"]
    with determinism_door() as door:
        env = {**os.environ, "ARTIGOV_WITHDRAWN": '[["a", "9.9.9", "withdrawn in a test"]]'}
        done = _through_door({**env, **door_env(door)}, args, RERUN_SEED)
        assert done is not None and (done.returncode, done.stdout) == (0, fresh)
        assert _through_door({**env, DETERMINISM_DOOR_ENV: f"314159:{door.path}"}, args, RERUN_SEED) is None
        monkeypatch.setenv(DETERMINISM_DOOR_ENV, door_env(door)[DETERMINISM_DOOR_ENV])
        assert _Rerun(ws, "f", "s", RERUN_SEED, withdrawn).plan() == fresh
        result = hydrate(ws, "f", "s", check=DeterminismCheck())
        assert result.runs == 5
    assert _through_door({**env, **door_env(door)}, args, RERUN_SEED) is None
    assert _Rerun(ws, "f", "s", RERUN_SEED, withdrawn).plan() == fresh


def test_the_rerun_runs_beside_the_selection_and_ends_when_the_selection_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rerun in another interpreter is started before this process selects (its answer is
    awaited after); when the selection fails, the rerun is ended, never left running."""
    import artigov.hydrate._hydrate as hydrate_module
    from artigov.hydrate import DETERMINISM_DOOR_ENV
    from artigov.hydrate._hydrate import _Rerun

    monkeypatch.delenv(DETERMINISM_DOOR_ENV, raising=False)
    reruns: list[_Rerun] = []
    real = _Rerun.__init__

    def started(self: _Rerun, *args: Any) -> None:
        real(self, *args)
        reruns.append(self)
        assert self.process is not None  # already running when the selection begins

    monkeypatch.setattr(_Rerun, "__init__", started)
    selections: list[int] = []  # how many reruns had been started at each selection
    real_select = hydrate_module.select

    def select(*args: Any, **kwargs: Any) -> Any:
        selections.append(len(reruns))
        return real_select(*args, **kwargs)

    monkeypatch.setattr(hydrate_module, "select", select)
    ok = _ws(tmp_path / "ok", {"frameworks/a.md": make_artifact("a", status="approved", framework="f")})
    assert hydrate(ok, "f", "s", check=DeterminismCheck()).runs == 5
    assert selections[0] == 1  # the first selection began with the rerun already running
    two_drafts = {
        "frameworks/a.md": make_artifact("a", version="1", framework="f"),
        "frameworks/b.md": make_artifact("b", version="2", framework="f"),
    }
    with pytest.raises(HydrationError):
        hydrate(_ws(tmp_path / "tie", two_drafts), "f", "s", check=DeterminismCheck())
    assert len(reruns) == 2
    assert all(r.process is not None and r.process.poll() is not None for r in reruns)  # none left running
    assert reruns[1].process is not None and reruns[1].process.returncode != 0  # the failed one was killed
