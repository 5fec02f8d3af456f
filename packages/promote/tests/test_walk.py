"""The workspace's trip through a promotion and a rollback, counted the way issue 31 counts it:
every call of a promote-package function that takes the Workspace as a parameter, in call order.
A *stay* is each run of consecutive such calls in one module; a *return* is a stay in a module the
trip had already left. A whole operation reads as a few calls on the store, not a back-and-forth
between the package's modules (python-tuf's ``Updater.refresh``): at most 6 stays and 2 returns."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from artigov.contract import Signoff, transition
from artigov.core import Workspace
from artigov.promote import RollbackOptions, promote, rollback
from artigov.promote._store import RecordFiles

from .conftest import ALICE, CAROL, Keys, build_signed_approvals_ws

PACKAGE = str(Path(promote.__code__.co_filename).parent)


def _takes_workspace(frame: FrameType) -> bool:
    code = frame.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    return any(isinstance(frame.f_locals.get(n), Workspace) for n in names)


def _holds_workspace(frame: FrameType) -> bool:
    """Takes the workspace, or an object holding it (the ``SnapshotStore``, a run's state): the
    rule of ``benchmarks/promote_walk.py``, stricter than :func:`_takes_workspace`."""
    code = frame.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    values = [frame.f_locals.get(n) for n in names]
    return any(isinstance(v, Workspace) or isinstance(getattr(v, "ws", None), Workspace) for v in values)


def _holds_workspace_or_files(frame: FrameType) -> bool:
    """:func:`_holds_workspace`, or takes the record's files: every read of the record counts too."""
    code = frame.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    return _holds_workspace(frame) or any(isinstance(frame.f_locals.get(n), RecordFiles) for n in names)


def walk(
    call: Callable[[], Any], counts: Callable[[FrameType], bool] = _takes_workspace
) -> list[tuple[str, list[str]]]:
    """The stays of ``call``: (module, the functions called in that stay)."""
    calls: list[tuple[str, str]] = []

    def profile(frame: FrameType, event: str, _: Any) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(PACKAGE) and counts(frame):
            calls.append((Path(frame.f_code.co_filename).name, frame.f_code.co_name))

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    stays: list[tuple[str, list[str]]] = []
    for module, function in calls:
        if stays and stays[-1][0] == module:
            stays[-1][1].append(function)
        else:
            stays.append((module, [function]))
    return stays


def returns(stays: list[tuple[str, list[str]]]) -> int:
    seen: set[str] = set()
    count = 0
    for module, _ in stays:
        count += module in seen
        seen.add(module)
    return count


def test_a_promotion_and_a_rollback_are_a_few_calls_on_the_store(tmp_path: Path, keys: Keys) -> None:
    ws = build_signed_approvals_ws(tmp_path / "ws", keys)
    plan = ws.root / "frameworks/tp.md"
    transition(ws, plan, "review", Signoff(who=CAROL))
    transition(ws, plan, "approve", Signoff(who=ALICE, comment="ok"))  # a signed approval for verify to check
    promote(ws, "f", "design")  # a head to verify: the second promotion walks the whole way
    for name, call in (
        ("promote", lambda: promote(ws, "f", "design")),
        ("rollback", lambda: rollback(ws, "f", reason="walk", options=RollbackOptions(to=1))),
    ):
        stays = walk(call)
        assert stays[0] == ("_promotion.py" if name == "promote" else "_rollback.py", [name]), stays
        assert len(stays) <= 6 and returns(stays) <= 2, (name, stays)


def test_the_store_that_holds_the_workspace_is_followed_too(tmp_path: Path, keys: Keys) -> None:
    """Counting every call that carries the workspace inside an object as well (the store, a run's
    state) and every read of the record's files, a first promotion, one on top of a head it
    verifies, and a rollback (which reads the record once for all its verifications) stay within
    the goal."""
    ws = build_signed_approvals_ws(tmp_path / "ws", keys)
    plan = ws.root / "frameworks/tp.md"
    transition(ws, plan, "review", Signoff(who=CAROL))
    transition(ws, plan, "approve", Signoff(who=ALICE, comment="ok"))
    for name, call in (
        ("first promote", lambda: promote(ws, "f", "design")),
        ("promote", lambda: promote(ws, "f", "design")),
        ("rollback", lambda: rollback(ws, "f", reason="walk", options=RollbackOptions(to=1))),
    ):
        stays = walk(call, _holds_workspace_or_files)
        assert len(stays) <= 6 and returns(stays) <= 2, (name, stays)
