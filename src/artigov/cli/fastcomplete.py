"""A speed seam for shell completion: framework and gate names without building the Typer app.

A TAB press runs ``artigov`` with ``_ARTIGOV_COMPLETE=complete_bash`` (or ``complete_zsh``); building
the whole command tree to answer it takes most of a second. The common questions, the value of
``--framework``/``-f`` and of ``--gate``/``-g``/``--stage``/``-s``, are answered here from the same
sources as :mod:`artigov.cli.complete` (the contracts folder, each contract's gates), printed the way
Typer prints them; every other question (commands, options, snapshots, kinds, ``init``) returns None
and goes to Typer.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

__all__ = ["fast_completion"]

_FRAMEWORK = ("--framework", "-f")
_GATE = ("--gate", "-g", "--stage", "-s")


def _words() -> tuple[str, list[str], str] | None:
    """(shell, the words before the one completed, the incomplete word)."""
    shell = os.environ.get("_ARTIGOV_COMPLETE", "")
    try:
        if shell == "complete_bash":
            words = shlex.split(os.environ.get("COMP_WORDS", ""))
            cword = int(os.environ.get("COMP_CWORD", "-1"))
            if cword < 1:
                return None
            return shell, words[1:cword], words[cword] if cword < len(words) else ""
        if shell == "complete_zsh":
            line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
            words = shlex.split(line)[1:]
            if words and not line.endswith(" "):
                return shell, words[:-1], words[-1]
            return shell, words, ""
    except ValueError:
        return None
    return None


def _option(args: list[str], names: tuple[str, ...]) -> str | None:
    for i, word in enumerate(args):
        if word in names and i + 1 < len(args):
            return args[i + 1]
        for name in names:
            if name.startswith("--") and word.startswith(name + "="):
                return word.split("=", 1)[1]
    return None


def _answer(args: list[str], incomplete: str) -> list[str] | None:
    if not args or args[0] == "init" or args[-1] not in (*_FRAMEWORK, *_GATE):
        return None
    from artigov.core import load_workspace, load_yaml

    try:
        root = _option(args, ("--root",))
        ws = load_workspace(Path(root) if root else None)
        folder = ws.contracts_dir
        frameworks = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
        if args[-1] in _FRAMEWORK:
            names = frameworks
        else:
            chosen = _option(args, _FRAMEWORK)
            names = []
            for framework in [chosen] if chosen else frameworks:
                contract = load_yaml((folder / f"{framework}.yaml").read_text("utf-8")) or {}
                names += [str(g["name"]) for g in contract.get("gates", []) if isinstance(g, dict) and "name" in g]
    except Exception:  # noqa: BLE001 - completion never fails: nothing to offer
        return []
    return sorted({n for n in names if n.startswith(incomplete)})


def fast_completion() -> str | None:
    """The completion output for a question this module answers, else None (ask Typer)."""
    found = _words()
    if found is None:
        return None
    shell, args, incomplete = found
    values = _answer(args, incomplete)
    if values is None:
        return None
    if shell == "complete_bash":
        return "\n".join(values)
    if not values:
        return "_files"
    quoted = "\n".join('"' + v.replace('"', '""').replace("'", "''").replace(":", r"\\:") + '"' for v in values)
    return f"_arguments '*: :(({quoted}))'"
