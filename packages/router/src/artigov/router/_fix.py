"""``route fix``: move misplaced artifacts (and their sidecars) to their canonical paths.

Dry run by default. With ``apply`` it uses ``git mv`` for files git tracks
and a plain rename otherwise; it never overwrites an existing file and never
writes outside the workspace. Every move (or refusal) is an audit event.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from artigov.core import PathEscapeError, Workspace, get_logger, resolve_inside
from artigov.router._check import Misplaced
from artigov.schema import unsafe_artifact_path

__all__ = ["Move", "fix_routes"]

log = get_logger(__name__)


@dataclass(frozen=True)
class Move:
    """One artifact's move to its canonical folder (``route fix``): planned, moved, or refused and why."""

    src: str
    dst: str
    status: str  # planned | moved | refused
    reason: str = ""
    via: str = ""  # git | rename


def _git_tracked(root: Path, rel: str) -> bool:
    try:
        result = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", rel], cwd=root, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def _pairs(item: Misplaced) -> list[tuple[str, str]]:
    pairs = [(item.path, item.target)]
    if item.meta_path:
        suffix = item.meta_path[len(item.path) :]
        pairs.append((item.meta_path, item.target + suffix))
    return pairs


def _refusal(ws: Workspace, pairs: list[tuple[str, str]], claimed: set[str]) -> str:
    for _, dst in pairs:
        try:
            resolve_inside(ws.root, dst)
        except PathEscapeError:
            return f"{dst} is outside the workspace"
        if (ws.root / dst).exists() or (ws.root / dst).is_symlink():
            return f"{dst} already exists (not overwritten)"
        unsafe = unsafe_artifact_path(ws, dst)
        if unsafe:
            return f"{dst}: {unsafe}"
        if dst in claimed:
            return f"another artifact also belongs at {dst}"
    return ""


def fix_routes(ws: Workspace, misplaced: list[Misplaced], *, apply: bool = False) -> list[Move]:
    """Plan (and with ``apply``, perform) the moves; returns one Move per file."""
    moves: list[Move] = []
    claimed: set[str] = set()
    for item in misplaced:
        pairs = _pairs(item)
        reason = _refusal(ws, pairs, claimed)
        claimed.update(dst for _, dst in pairs)
        for src, dst in pairs:
            if reason:
                moves.append(Move(src, dst, "refused", reason))
                log.info("route_move_refused", audit=True, subject=src, outcome="refused", target=dst, reason=reason)
                continue
            if not apply:
                moves.append(Move(src, dst, "planned"))
                continue
            (ws.root / dst).parent.mkdir(parents=True, exist_ok=True)
            if _git_tracked(ws.root, src):
                result = subprocess.run(
                    ["git", "mv", "--", src, dst], cwd=ws.root, capture_output=True, text=True, timeout=60, check=False
                )
                if result.returncode != 0:
                    moves.append(Move(src, dst, "refused", f"git mv failed: {result.stderr.strip()}"))
                    continue
                via = "git"
            else:
                (ws.root / src).rename(ws.root / dst)
                via = "rename"
            moves.append(Move(src, dst, "moved", via=via))
            log.info("route_moved", audit=True, subject=src, outcome="moved", target=dst, via=via)
    return moves
