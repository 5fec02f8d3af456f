"""The fast door of `artigov index update`: same answer, same audit event, and only when provable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from artigov.core.atomic import lock_path_for
from artigov.core.testing import held_lock

Runner = Callable[..., subprocess.CompletedProcess[str]]
FULL = {"ARTIGOV_QUICK": "0"}


def _events(ws: Path) -> list[dict[str, object]]:
    lines = (ws / ".artigov" / "audit.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _settle(artigov: Runner, ws: Path) -> None:
    assert artigov("index", "rebuild", "--root", ws).returncode == 0
    past = time.time() - 100
    os.utime(ws / "artifacts_index.json", (past, past))  # the index is then older than the cache...
    assert artigov("index", "update", "--root", ws, env=FULL).returncode == 0  # ...which this rewrites


def _quick_used(ws: Path, args: list[str]) -> bool:
    """Did the door answer? Run it in a process where loading the full command line is impossible."""
    code = (
        "import sys; sys.modules['typer'] = None; sys.modules['structlog'] = None\n"
        "from artigov.cli.quick import try_quick\n"
        f"sys.exit(100 if try_quick({args!r}) is None else 0)\n"
    )
    env = {**os.environ, "ARTIGOV_ACTOR": "tests@example.org"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ws, env=env, capture_output=True, text=True, check=False)
    assert done.returncode in (0, 100), done.stderr
    return done.returncode == 0


def test_the_door_gives_the_full_commands_output_and_audit_event(artigov: Runner, example_copy: Path) -> None:
    ws = example_copy
    _settle(artigov, ws)
    assert _quick_used(ws, ["index", "update"])
    for fmt in ("text", "json"):
        quick = artigov("index", "update", "--root", ws, "--format", fmt)
        full = artigov("index", "update", "--root", ws, "--format", fmt, env=FULL)
        assert quick.returncode == full.returncode == 0, quick.stderr + full.stderr
        assert quick.stdout == full.stdout and quick.stderr == full.stderr == ""
    *_, a, b, c, d = _events(ws)
    ignore = ("ts", "id", "prev")
    assert {k: v for k, v in a.items() if k not in ignore} == {k: v for k, v in b.items() if k not in ignore}
    assert {k: v for k, v in c.items() if k not in ignore} == {k: v for k, v in d.items() if k not in ignore}
    assert a["event"] == "index_unchanged" and a["command"] == "index update"
    assert artigov("audit", "verify", "--root", ws).returncode == 0


def test_the_door_declines_whatever_it_cannot_prove(artigov: Runner, example_copy: Path) -> None:
    ws = example_copy
    _settle(artigov, ws)
    assert _quick_used(ws, ["index", "update", "--root=."])
    # Other commands, options the door does not know, and a fault-injection run go to the full app.
    assert not _quick_used(ws, ["index", "verify"])
    assert not _quick_used(ws, ["--log-level", "info", "index", "update"])
    assert not _quick_used(ws, ["index", "update", "--format", "yaml"])
    # Another writer holds the lock: the full command waits, then names the holder.
    with held_lock(lock_path_for(ws / "artifacts_index.json")):
        assert not _quick_used(ws, ["index", "update"])
        blocked = artigov("index", "update", "--root", ws, "--lock-timeout", "0.2")
    assert blocked.returncode != 0 and "pid=" in blocked.stderr
    assert _quick_used(ws, ["index", "update"])  # and once it is released, the door answers again
    # A changed file: the full update re-reads it.
    target = next((ws / "frameworks").rglob("*.md"))
    target.write_text(target.read_text() + "\nMore.\n")
    assert not _quick_used(ws, ["index", "update"])
    done = artigov("index", "update", "--root", ws)
    assert "index update: wrote" in done.stdout and "(+0 ~0 -0)" not in done.stdout
    # A config edit: its bytes are not the ones the cache was written under.
    config = ws / "artigov.yaml"
    config.write_text(config.read_text() + "\n# edited\n")
    assert not _quick_used(ws, ["index", "update"])
