"""`artigov route`: the Typer-free command functions (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.commands.formats import FindingFormat, Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace

if TYPE_CHECKING:
    from artigov.router import RouteReport


def run_route_check(root: Path | None, fmt: Format | FindingFormat) -> int:
    """``artigov route check``: routing conflicts and misplaced artifacts."""

    def action(ws: Workspace) -> int:
        from artigov.views.routecheck import route_check

        return render_route_check(route_check(ws), fmt, ws.root)

    return execute(Command.ROUTE_CHECK, root, action)


def route_check_payload(report: RouteReport) -> dict[str, Any]:
    """A route check's JSON: ok, how many artifacts were checked, the findings and the misplaced."""
    return {
        "ok": report.ok,
        "artifacts_checked": report.artifacts_checked,
        "findings": [f.to_dict() for f in report.findings],
        "misplaced": [{"path": m.path, "target": m.target} for m in report.misplaced],
    }


def route_check_text(report: RouteReport) -> None:
    """A route check's text: one line per finding, and a summary."""
    from artigov.commands.render import findings_text

    findings_text(report.findings)
    status = "0 conflicts" if report.ok else f"{len(report.findings)} conflict(s)"
    print(f"route check: {report.artifacts_checked} artifact(s) checked: {status}")


def render_route_check(report: RouteReport, fmt: Format | FindingFormat, root: Path) -> int:
    """Print a route check (text, JSON or SARIF); its exit code."""
    from artigov.commands.render import emit_json

    if fmt.value == "sarif":
        from artigov.commands.sarif import to_sarif

        emit_json(to_sarif(report.findings, "R", root, "route check"))
    elif fmt.value == "json":
        emit_json(route_check_payload(report))
    else:
        route_check_text(report)
    return EXIT_OK if report.ok else EXIT_FINDINGS


def run_route_resolve(root: Path | None, path: Path, fmt: Format) -> int:
    """``artigov route resolve PATH``: an artifact's canonical path."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.router import canonical_path, load_routing_map
        from artigov.schema import SIDECAR_SUFFIXES, group_units, load_unit, sidecar_target

        rel = ws.rel(path)
        target = sidecar_target(rel) or rel
        metas = [target + s for s in SIDECAR_SUFFIXES if (ws.root / (target + s)).is_file()]
        unit = group_units(sorted([target, *metas]), {target, *metas}).units[0]
        artifact = load_unit(ws.root, unit)
        meta = {k: str(artifact.metadata.get(k, "")) for k in ("framework", "kind", "id", "version")}
        canonical = canonical_path(load_routing_map(ws), artifact.path, meta)
        if fmt is Format.json:
            emit_json(
                {
                    "path": artifact.path,
                    "canonical": canonical,
                    "in_place": canonical == artifact.path,
                }
            )
        else:
            print(canonical)
        return EXIT_OK

    return execute(Command.ROUTE_RESOLVE, root, action)


def run_route_fix(root: Path | None, apply: bool, fmt: Format) -> int:
    """``artigov route fix``: the moves that place every artifact (applied with ``--apply``)."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.router import check_routes, fix_routes

        report = check_routes(ws)
        moves = fix_routes(ws, report.misplaced, apply=apply)
        refused = [m for m in moves if m.status == "refused"]
        if fmt is Format.json:
            emit_json(
                {
                    "apply": apply,
                    "ok": not refused,
                    "moves": [
                        {"src": m.src, "dst": m.dst, "status": m.status, "reason": m.reason, "via": m.via}
                        for m in moves
                    ],
                }
            )
        else:
            for m in moves:
                extra = f" ({m.reason})" if m.reason else (f" via {m.via}" if m.via else "")
                print(f"{m.status}: {m.src} -> {m.dst}{extra}")
            if not moves:
                print("route fix: nothing to move")
            elif not apply:
                print("route fix: dry run; pass --apply to move")
            else:
                print("route fix: done; run `artigov index update` to re-index the moved files")
        return EXIT_FINDINGS if refused else EXIT_OK

    return execute(Command.ROUTE_FIX, root, action)
