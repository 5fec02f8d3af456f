"""``artigov hook pre-commit [PATH...]``: the checks a commit runs, in one process.

The three pre-commit hooks (``artigov-validate``, ``artigov-route-check``, ``artigov-index-verify``)
each start an interpreter, and two of them prove the index current by stat'ing every artifact file
(what ``git status`` does). This command runs the same three checks with the same findings, the
same text and the same exit rule, but the files are stat'ed once: the index is verified first, and
when its stat check proved every file (``proved_by == "stat cache"``, nothing drifted), the route
check takes that proof (:func:`artigov.views.routecheck.route_check`) instead of stat'ing again.
When it did not (drift, a full re-hash, no index), the route check proves what it needs itself,
exactly as ``artigov route check`` does. A check that cannot run (say, a corrupt committed index)
is reported on stderr with its exit code and the others still run: a commit is told everything
at once, and the command never answers 0 when one of the three separate commands would fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute, fail
from artigov.core import EXIT_FINDINGS, EXIT_OK, ArtigovError, Workspace

__all__ = ["run_pre_commit"]


def run_pre_commit(root: Path | None, paths: list[Path], fmt: Format, lock_timeout: float) -> int:
    """``artigov hook pre-commit``: validate ``paths`` (the staged files pre-commit passes; none:
    nothing to validate), verify the index, check routes; exit 1 when any of them would."""

    def action(ws: Workspace) -> int:
        from artigov.commands.index import verify_index, verify_text
        from artigov.commands.render import emit_json
        from artigov.commands.route import route_check_payload, route_check_text
        from artigov.commands.validate import validate_text
        from artigov.index import Proved
        from artigov.schema import validate_workspace
        from artigov.views.routecheck import route_check

        codes: list[int] = []
        payload: dict[str, Any] = {"validate": None, "index_verify": None}
        if paths:
            report = validate_workspace(ws, paths)
            codes.append(EXIT_OK if report.ok else EXIT_FINDINGS)
            payload["validate"] = report.to_dict()
            if fmt is Format.text:
                validate_text(report)
        proof: Proved | None = None
        try:
            verified = verify_index(ws, full=False, lock_timeout=lock_timeout)
        except ArtigovError as e:  # the route check still runs, from the files
            fail(f"index verify: {e}")
            codes.append(e.exit_code)
        else:
            codes.append(EXIT_OK if verified.ok else EXIT_FINDINGS)
            payload["index_verify"] = verified.to_dict()
            if fmt is Format.text:
                verify_text(verified)
            if verified.ok and verified.proved_by == "stat cache":
                proof = Proved(verified.digest, [], [], [])  # every file proved, or read and equal to its entry
        routes = route_check(ws, proof=proof)
        codes.append(EXIT_OK if routes.ok else EXIT_FINDINGS)
        payload["route_check"] = route_check_payload(routes)
        if fmt is Format.text:
            route_check_text(routes)
        code = max(codes)
        if fmt is Format.json:
            emit_json({"ok": code == EXIT_OK, **payload})
        return code

    return execute(Command.HOOK_PRE_COMMIT, root, action)
