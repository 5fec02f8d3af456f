"""`artigov hook pre-commit` (the `artigov-checks` pre-commit hook): the three hooks' checks in one
process say what the three commands say, exit as they would together, and stat the files once."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from artigov.commands.formats import Format

Runner = Callable[..., subprocess.CompletedProcess[str]]
PLAN = "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"


def _payload(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in done.stderr, done.stderr
    payload = json.loads(done.stdout)
    return {k: v for k, v in payload.items() if k not in ("command", "format_version")}


def _without_how(verified: dict[str, Any] | None) -> dict[str, Any] | None:
    """An index verify payload without how it was proved (by stats or by content: either is right)."""
    return None if verified is None else {k: v for k, v in verified.items() if k != "proved_by"}


def _local_index(ws: Path) -> None:
    config = ws / "artigov.yaml"
    config.write_text(config.read_text().replace("index_committed: true", "index_committed: false"))


def _misplace(ws: Path) -> None:
    plan = ws / PLAN
    plan.write_text(plan.read_text().replace("kind: technical-plan", "kind: action-plan"))


def _invalid(ws: Path) -> None:
    plan = ws / PLAN
    plan.write_text(plan.read_text().replace("status: ", "status: final # was ", 1))


EDITS: dict[str, Callable[[Path], None]] = {"none": lambda ws: None, "misplaced": _misplace, "invalid": _invalid}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("local", [False, True], ids=["committed-index", "local-index"])
def test_one_run_says_what_the_three_hooks_say(artigov: Runner, example_copy: Path, edit: str, local: bool) -> None:
    ws = example_copy
    if local:
        _local_index(ws)
    assert artigov("index", "update", cwd=ws).returncode == 0
    assert artigov("route", "check", cwd=ws).returncode == 0  # the placement is kept for this index
    EDITS[edit](ws)
    one = artigov("hook", "pre-commit", PLAN, "--format", "json", cwd=ws)
    combined = _payload(one)
    validate = artigov("validate", PLAN, "--format", "json", cwd=ws)
    verify = artigov("index", "verify", "--format", "json", cwd=ws)
    route = artigov("route", "check", "--format", "json", cwd=ws)
    assert combined["validate"] == _payload(validate)
    assert _without_how(combined["index_verify"]) == _without_how(_payload(verify))
    assert combined["route_check"] == _payload(route)
    separate = max(validate.returncode, verify.returncode, route.returncode)
    assert one.returncode == separate
    assert combined["ok"] is (separate == 0)
    expected = {
        ("none", False): 0,
        ("none", True): 0,
        ("misplaced", False): 1,  # a committed index not updated: drift, and the plan is misplaced
        ("misplaced", True): 1,  # a local index is brought up to date; the plan is still misplaced
        ("invalid", False): 1,
        ("invalid", True): 1,
    }
    assert one.returncode == expected[edit, local]
    if edit == "misplaced":
        assert [m["path"] for m in combined["route_check"]["misplaced"]] == [PLAN]


def test_text_is_the_three_commands_text(artigov: Runner, example_copy: Path) -> None:
    ws = example_copy
    assert artigov("index", "update", cwd=ws).returncode == 0
    _misplace(ws)
    one = artigov("hook", "pre-commit", PLAN, cwd=ws)
    parts = [artigov(*args, cwd=ws).stdout for args in (["validate", PLAN], ["index", "verify"], ["route", "check"])]
    assert one.stdout == "".join(parts)
    assert one.returncode == 1


def test_no_staged_files_validates_nothing(artigov: Runner, example_copy: Path) -> None:
    """pre-commit runs an `always_run` hook with no files when none is staged: then there is nothing
    to validate (not the whole workspace); the index and the routes are still checked."""
    ws = example_copy
    _invalid(ws)
    assert artigov("index", "update", cwd=ws).returncode in (0, 1)
    done = artigov("hook", "pre-commit", "--format", "json", cwd=ws)
    payload = _payload(done)
    assert payload["validate"] is None
    assert payload["index_verify"]["ok"] is True and payload["route_check"]["ok"] is True
    assert done.returncode == 0
    assert artigov("hook", "pre-commit", PLAN, cwd=ws).returncode == 1  # staged: it is checked


def test_a_check_that_cannot_run_is_reported_and_the_others_still_run(artigov: Runner, example_copy: Path) -> None:
    ws = example_copy
    (ws / "artifacts_index.json").write_text("{ not json")  # a corrupt committed index
    _misplace(ws)
    done = artigov("hook", "pre-commit", "--format", "json", cwd=ws)
    assert done.returncode != 0
    assert "index verify:" in done.stderr and "artifacts_index.json" in done.stderr
    payload = _payload(done)
    assert payload["index_verify"] is None and payload["ok"] is False
    assert [m["path"] for m in payload["route_check"]["misplaced"]] == [PLAN]  # routes read from the files


def _settled(ws: Path) -> None:
    """Every file older than the stat cache's racy window, as on a commit a while after the edit."""
    past = time.time() - 100
    for path in ws.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            os.utime(path, (past, past))


@pytest.mark.parametrize("local", [False, True], ids=["committed-index", "local-index"])
def test_the_files_are_stated_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], example_copy: Path, local: bool
) -> None:
    """The route check takes the index verify's proof: one stat walk over the files, not two; the
    separate commands take one each. When the verify found drift there is no proof to take."""
    import artigov.index._statcache as statcache
    from artigov.commands.index import run_index
    from artigov.commands.precommit import run_pre_commit
    from artigov.commands.route import run_route_check

    ws = example_copy
    if local:
        _local_index(ws)
    assert run_index("update", ws, Format.text, 60) == 0
    _settled(ws)
    assert run_index("update", ws, Format.text, 60) == 0  # the stat cache now proves every file
    walks: list[int] = []
    real = statcache._stat_files

    def counted(*args: Any) -> list[int]:
        walks.append(len(walks))
        return real(*args)

    monkeypatch.setattr(statcache, "_stat_files", counted)
    capsys.readouterr()
    assert run_pre_commit(ws, [], Format.json, 60) == 0
    assert len(walks) == 1
    combined = json.loads(capsys.readouterr().out)
    assert combined["index_verify"]["proved_by"] == "stat cache"
    walks.clear()
    assert run_route_check(ws, Format.json) == 0
    assert len(walks) == 1
    alone = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in alone.items() if k not in ("command", "format_version")} == combined["route_check"]
