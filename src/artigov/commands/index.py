"""Running an ``index`` operation and rendering its result (no Typer: the fast door uses it too)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, Workspace

if TYPE_CHECKING:
    from artigov.index import IndexResult, VerifyResult

__all__ = ["IndexOp", "render_verify", "run_index", "run_merge", "verify_index", "verify_text"]


def _render_write(result: IndexResult, fmt: Format) -> int:
    from artigov.commands.render import emit_json, findings_text

    if fmt is Format.json:
        emit_json(result.to_dict())
    else:
        findings_text(result.findings)
        for note in result.notes:
            print(f"note: {note}")
        if result.recovery is not None:
            print(f"index: recovered an interrupted write ({result.recovery.action})")
        what = "wrote" if result.written else "unchanged,"
        added, changed, removed = result.totals
        delta = f"+{added} ~{changed} -{removed}"
        print(f"index {result.op}: {what} {result.count} entries ({delta}), digest {result.digest}")
    return EXIT_OK if result.ok else EXIT_FINDINGS


def verify_index(
    ws: Workspace, *, full: bool, lock_timeout: float, progress: Callable[[int, int], None] | None = None
) -> VerifyResult:
    """``index verify``: by file stats (a local index, the default, is derived: brought up to date
    first, once), else, or with ``full``, every file re-hashed."""
    from artigov.index import verify, verify_by_stats

    if full:
        return verify(ws, lock_timeout=lock_timeout, progress=progress)
    return verify_by_stats(ws, lock_timeout=lock_timeout, progress=progress)


def render_verify(result: VerifyResult, fmt: Format) -> int:
    """Print an ``index verify`` result (its JSON, or one line per drifted path and a summary)."""
    from artigov.commands.render import emit_json

    if fmt is Format.json:
        emit_json(result.to_dict())
    else:
        verify_text(result)
    return EXIT_OK if result.ok else EXIT_FINDINGS


def verify_text(result: VerifyResult) -> None:
    """The text of an ``index verify`` result."""
    for label, paths in (("added", result.added), ("changed", result.changed), ("removed", result.removed)):
        for p in paths:
            print(f"{label}: {p}")
    if result.findings:
        print(f"note: {len(result.findings)} invalid artifact(s) are not indexed (see `artigov validate`)")
    how = " (by file stats; --full re-hashes every file)" if result.proved_by == "stat cache" else ""
    if result.ok:
        print(f"index verify: ok, {result.count} entries, digest {result.digest}{how}")
    else:
        n = len(result.added) + len(result.changed) + len(result.removed)
        print(f"index verify: drift in {n} path(s); run `artigov index update` to bring the index up to date")


@dataclass(frozen=True)
class IndexOp:
    """One index operation: its name (add, update, rebuild, verify, recover), the files ``add``
    indexes, and whether ``verify`` re-hashes every file (``full``) or trusts the stat cache."""

    name: str
    paths: tuple[Path, ...] = ()
    full: bool = True


def run_index(op: IndexOp | str, root: Path | None, fmt: Format, lock_timeout: float) -> int:
    """Run one index operation (an :class:`IndexOp`, or just its name) and render it; shared by the
    command line and the invoke tasks."""
    call = IndexOp(op) if isinstance(op, str) else op
    name, paths, full = call.name, list(call.paths), call.full

    def action(ws: Workspace) -> int:
        from artigov.commands.render import progress_hook
        from artigov.index import add, rebuild, recover, update

        progress = progress_hook(f"index {name}", fmt.value)
        if name == "add":
            return _render_write(add(ws, paths, lock_timeout=lock_timeout), fmt)
        if name == "update":
            return _render_write(update(ws, lock_timeout=lock_timeout, progress=progress), fmt)
        if name == "rebuild":
            return _render_write(rebuild(ws, lock_timeout=lock_timeout, progress=progress), fmt)
        if name == "verify":
            return render_verify(verify_index(ws, full=full, lock_timeout=lock_timeout, progress=progress), fmt)
        recovery = recover(ws, lock_timeout=lock_timeout)
        action_taken = recovery.action if recovery else "nothing to recover"
        if fmt is Format.json:
            from artigov.commands.render import emit_json

            emit_json({"recovery": recovery and recovery.action})
        else:
            print(f"index recover: {action_taken}")
        return EXIT_OK

    return execute(Command(f"index {name}"), root, action)


def run_merge(base: Path, ours: Path, theirs: Path) -> int:
    """``artigov index merge %O %A %B``, git's merge driver: merge three indexes by path and write the
    result over ``ours``; 0 merged, 1 a real conflict (named on stderr), 2 an index that cannot be
    merged."""
    import sys

    from artigov.core import ArtigovError
    from artigov.index import merge_index

    try:
        result = merge_index(base, ours, theirs)
    except (ArtigovError, OSError) as e:
        print(f"artigov index merge: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    for path in result.conflicts:
        print(f"artigov index merge: {path}: changed on both sides (kept ours)", file=sys.stderr)
    for problem in result.problems:
        print(f"artigov index merge: {problem}", file=sys.stderr)
    if not result.ok:
        print(
            "artigov index merge: resolve the artifacts, then run `artigov index update` and commit the index",
            file=sys.stderr,
        )
    return EXIT_OK if result.ok else EXIT_FINDINGS
