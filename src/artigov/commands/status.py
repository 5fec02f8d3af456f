"""`artigov status`: the Typer-free command function (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace

if TYPE_CHECKING:
    from artigov.promote import TrustVerdict

__all__ = ["run_status"]


def _index_line(index: dict[str, Any]) -> str:
    state = index["state"]
    if not index.get("committed", True) and state in ("stale", "missing"):
        count = f", {index['changed_count']} path(s) changed since it was written" if state == "stale" else ""
        return f"index: local cache {state}{count}; read from the files (the next command that needs it updates it)"
    if state == "fresh":
        return f"index: fresh ({index['artifacts']} artifacts; proved by {index['proved_by']})"
    if state == "stale":
        shown = ", ".join(index["changed"][:5]) + (" …" if index["changed_count"] > 5 else "")
        return f"index: STALE, {index['changed_count']} path(s) differ: {shown} (fix: {index['fix']})"
    return f"index: {state.upper()} (fix: {index['fix']})"


def run_status(root: Path | None, framework: str | None, fmt: Format) -> int:
    """Print where the workspace stands; exit 0 when all is well, 1 otherwise."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.views.status import workspace_status

        status = workspace_status(ws, framework, every_review=fmt is Format.json)  # the text shows five
        code = EXIT_OK if status.ok else EXIT_FINDINGS
        if fmt is Format.json:
            emit_json(status.to_dict())
            return code
        print(_index_line(status.index))
        v = status.validation
        codes = ", ".join(f"{c} x{n}" for c, n in v["by_code"].items())
        valid = "?" if v["valid"] is None else v["valid"]
        print(f"artifacts: {valid} valid, {v['invalid']} invalid" + (f" ({codes})" if codes else ""))
        r = status.routing
        print(f"routing: {r['conflicts']} conflict(s)" + (f"; first: {r['first']}" if r["first"] else ""))
        for fw in status.frameworks:
            _framework_lines(fw)
        _trust_lines(status.trust, status.continuity)
        print("\nstatus: " + ("all is well" if status.ok else "; ".join(status.problems)))
        return code

    # audit=False: a read-only view decides nothing, so it records nothing
    return execute(Command.STATUS, root, action, audit=False, framework=framework)


def _framework_lines(fw: dict[str, Any]) -> None:
    """One framework's part of the text report: each gate, what waits, what was withdrawn, triggers."""
    print(f"\nframework {fw['framework']} ({fw.get('artifacts', 0)} artifacts)")
    for g in fw["gates"]:
        state = "passes" if g["passes"] else f"does not pass: {g['first_finding']}"
        snap = "no snapshot"
        if g["snapshot"] is not None:
            snap = f"snapshot {g['snapshot']} " + ("verifies" if g["verifies"] else "does NOT verify")
        print(f"  gate {g['gate']}: {state}; {snap}")
    waiting, count = fw.get("in_review", []), fw.get("in_review_count", 0)
    if count:
        more = f" and {count - 5} more" if count > 5 else ""
        print(f"  in review, waiting for approval ({count}): {', '.join(waiting[:5])}{more}")
    for line in fw.get("withdrawn", []):
        print(f"  withdrawn {line}")
    for t in fw.get("triggers", []):
        print(f"  trigger {t['on']} would {t['action']}: {t['detail']}")
    for problem in fw["problems"]:
        if problem.startswith("contract:"):
            print(f"  {problem}")


def _trust_lines(trust: TrustVerdict | None, continuity: dict[str, Any] | None) -> None:
    if trust is not None and trust.note:
        print(f"\n{trust.note}")
    elif trust is not None:
        print(f"\ntrust: {'FAILED: ' if not trust.ok else ''}{trust.code} {trust.message}")
    if continuity is None:
        return
    if continuity.get("error"):
        print(f"since {continuity['since']}: not compared: {continuity['error']}")
    elif continuity["ok"]:
        print(f"since {continuity['since']}: the record only grew")
    for v in continuity["violations"]:
        print(f"since {continuity['since']}: {v['code']} {v['file']}: {v['message']} (fix: {v['fix']})")
