"""The walk of one ``promote()`` through the promote package (issue 31, item 1): how many modules
the trip stays in, and how often it returns to a module it had left.

    python benchmarks/promote_walk.py

A one-framework workspace with a throwaway signing key is promoted under ``sys.settrace``: its
first promotion, then (a second walk) a promotion on top of a head, which it verifies first. Every
call into a module of ``artigov/promote/`` whose function takes the workspace (a ``ws``
parameter, or a ``self``/``store``/``run`` that holds one, such as the ``SnapshotStore``) is a step
of the walk; consecutive steps in one module are one stay, and a stay in a module the walk had
already left is a return. Prints the counts, the modules in order and where each stay begins.

The record's files alone (``RecordFiles``: paths, no workspace) are what verification reads; a
third walk counts every call on them too, so what verification's reads still cost the walk is
printed beside the goal, not hidden. A fourth walks a rollback, which shares the store's steps
(every read counted too).
Deterministic; no timing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

CONTRACT = """framework: f
allowed_kinds: [technical-plan]
raci:
  technical-plan:
    accountable: [alice@example.org]
gates:
  - name: design
    requires:
      technical-plan: approved
"""


def _holds_workspace(frame: FrameType, files_too: bool = False) -> bool:
    code = frame.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    if "ws" in names:
        return True
    if files_too:
        from artigov.promote._store import RecordFiles

        if any(isinstance(frame.f_locals.get(n), RecordFiles) for n in names):
            return True
    return any(getattr(frame.f_locals.get(n), "ws", None) is not None for n in ("self", "store", "run") if n in names)


def walk(second: bool = False, files_too: bool = False, rollback: bool = False) -> list[tuple[str, str]]:
    """(module file, function) of every step of one promotion: the framework's first, or (``second``)
    one on top of a head, which it verifies first; or (``rollback``) of a rollback to snapshot 1."""
    from artigov.core import configure_logging, load_workspace
    from artigov.core.testing import make_artifact, make_workspace
    from artigov.core.testkeys import gnupg_home, make_key
    from artigov.index import rebuild
    from artigov.promote import RollbackOptions, promote, trust_init
    from artigov.promote import rollback as roll_back

    configure_logging("console", "error")
    steps: list[tuple[str, str]] = []

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and "/artigov/promote/" in frame.f_code.co_filename and _holds_workspace(frame, files_too):
            steps.append((os.path.basename(frame.f_code.co_filename), frame.f_code.co_name))

    with gnupg_home() as home, tempfile.TemporaryDirectory() as tmp:
        key = make_key(home, "walk signer")
        config = f"artifacts: [frameworks/**]\nsigning:\n  key: {key}\n  trusted: [{key}]\n  gnupghome: {home}\n"
        plan = make_artifact("tp", status="approved", framework="f", extra="approved_by: [alice@example.org]")
        ws = load_workspace(
            make_workspace(Path(tmp) / "ws", config, {"contracts/f.yaml": CONTRACT, "frameworks/tp.md": plan})
        )
        rebuild(ws)
        trust_init(ws, root_keys=[key])
        if second or rollback:
            promote(ws, "f", "design")
        if rollback:
            promote(ws, "f", "design")
        sys.settrace(tracer)
        try:
            if rollback:
                roll_back(ws, "f", reason="walk", options=RollbackOptions(to=1))
            else:
                promote(ws, "f", "design")
        finally:
            sys.settrace(None)
    return steps


def _report(title: str, steps: list[tuple[str, str]]) -> None:
    stays: list[tuple[str, str]] = []
    for module, function in steps:
        if not stays or stays[-1][0] != module:
            stays.append((module, function))
    seen: set[str] = set()
    returns = 0
    for module, _ in stays:
        returns += module in seen
        seen.add(module)
    print(f"{title}: {len(stays)} stays, {returns} returns (goal: <= 6 stays, <= 2 returns)")
    print("  " + " -> ".join(m for m, _ in stays))
    print("  stays per module:", dict(Counter(m for m, _ in stays).most_common()))
    for module, function in stays:
        print(f"    {module:<16} {function}")


def main() -> int:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1764000000")
    _report("promote(), a framework's first", walk())
    _report("promote(), on top of a head it verifies", walk(second=True))
    _report("the same, every read of the record's files counted too", walk(second=True, files_too=True))
    _report("rollback() to snapshot 1, of a head at 2, every read counted too", walk(rollback=True, files_too=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
