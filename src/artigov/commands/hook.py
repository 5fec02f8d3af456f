"""``artigov hook pre-receive|install``: refuse pushes that rewrite the governance record."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import fail
from artigov.core import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

__all__ = ["HOOK_MARK", "hook_script", "run_hook_install", "run_pre_receive"]

#: The line that marks a hook file as artigov's (an existing hook without it is never replaced).
HOOK_MARK = "# artigov pre-receive hook"


def run_pre_receive(git_dir: Path | None, workspace: str, fmt: Format, lines: list[str] | None = None) -> int:
    """Read git's ``old new ref`` lines (stdin), check each ref; exit 1 (git refuses the push) if any fails."""
    from artigov.commands.render import emit_json
    from artigov.core import ArtigovError
    from artigov.promote import pre_receive

    where = git_dir or Path(os.environ.get("GIT_DIR", "."))
    try:
        verdicts = pre_receive(
            where.resolve(), lines if lines is not None else sys.stdin.read().splitlines(), prefix=workspace.strip("/")
        )
    except ArtigovError as e:
        fail(str(e))
        return e.exit_code
    ok = all(v.accepted for v in verdicts)
    if fmt is Format.json:
        emit_json({"command": Command.HOOK_PRE_RECEIVE.value, "ok": ok, "refs": [v.to_dict() for v in verdicts]})
    else:
        for v in verdicts:
            verdict = "accepted" if v.accepted else "REFUSED"
            print(f"artigov: {v.ref}: {verdict}: {v.reason}")
            for extra in v.violations[1:]:
                print(f"artigov: {v.ref}:   also {extra.one_line()}")
    return EXIT_OK if ok else EXIT_FINDINGS


def hook_script(workspace: str = "") -> str:
    """The ``hooks/pre-receive`` file: this Python, running this artigov."""
    extra = f" --workspace {workspace}" if workspace else ""
    return (
        "#!/bin/sh\n"
        f"{HOOK_MARK} (artigov hook install): a push that rewrites the governance record is refused.\n"
        f'exec "{sys.executable}" -m artigov.cli hook pre-receive{extra}\n'
    )


def run_hook_install(git_dir: Path, workspace: str) -> int:
    """Install the pre-receive hook into the repository ``git_dir`` (a bare repository on the server)."""
    from artigov.core import write_atomic

    hooks = git_dir / "hooks"
    if not (git_dir / "objects").is_dir() or not (git_dir / "refs").is_dir():
        fail(f"{git_dir} is not a git repository (fix: name the bare repository, e.g. /srv/git/governance.git)")
        return EXIT_USAGE
    target = hooks / "pre-receive"
    if target.exists() and HOOK_MARK not in target.read_text("utf-8", errors="replace"):
        fail(
            f"{target} exists and is not artigov's; nothing was written "
            f"(fix: call `{sys.executable} -m artigov.cli hook pre-receive` from it, passing its stdin)"
        )
        return EXIT_FINDINGS
    hooks.mkdir(exist_ok=True)
    write_atomic(target, hook_script(workspace).encode(), lock=False)
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    print(f"hook: installed {target}: pushes that rewrite the record are refused")
    return EXIT_OK
