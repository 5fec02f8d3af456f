"""The fast door of `artigov index update`: the same command, without building the Typer app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from artigov.core import lock_path_for
from artigov.core.testing import held_lock

Runner = Callable[..., subprocess.CompletedProcess[str]]
FULL = {"ARTIGOV_QUICK": "0"}
IGNORE = ("ts", "id", "prev")


def _events(ws: Path) -> list[dict[str, object]]:
    lines = (ws / ".artigov" / "audit.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in IGNORE} for line in lines]


def _door(ws: Path, args: list[str]) -> int | None:
    """What the door answers, in a process where importing Typer (or structlog) is impossible."""
    code = (
        "import sys; sys.modules['typer'] = None; sys.modules['structlog'] = None\n"
        "from artigov.cli.quick import try_quick\n"
        f"code = try_quick({args!r})\n"
        "sys.exit(100 if code is None else code)\n"
    )
    env = {**os.environ, "ARTIGOV_ACTOR": "tests@example.org"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ws, env=env, capture_output=True, text=True, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return None if done.returncode == 100 else done.returncode


def _settle(artigov: Runner, ws: Path) -> None:
    assert artigov("index", "rebuild", "--root", ws).returncode == 0
    past = time.time() - 100
    for path in [ws / "artifacts_index.json", *ws.rglob("*.md")]:
        os.utime(path, (past, past))


def test_the_door_and_the_full_command_give_the_same_output_and_audit_events(
    artigov: Runner, example_copy: Path
) -> None:
    ws = example_copy
    _settle(artigov, ws)
    target = next(p for p in sorted((ws / "frameworks").rglob("*.md")) if "checksum:" not in p.read_text())
    for fmt in ("text", "json"):
        for edit in (False, True):
            outputs = []
            for env in ({}, FULL):
                if edit:  # the same edit before each run: one changed file each time
                    target.write_text(target.read_text().replace("\n---\n", "\n---\nEdited.\n", 1))
                done = artigov("index", "update", "--root", ws, "--format", fmt, env=env)
                assert done.returncode == 0, done.stderr
                outputs.append(done.stdout.replace(json.dumps(str(ws))[1:-1], "<ws>"))
            quick, full = outputs
            if edit:  # the digests differ (two different edits); the shape must not
                quick, full = (o.split("digest")[0] for o in outputs)
            assert quick == full
    events = _events(ws)[-8:]
    assert {e["event"] for e in events} == {"command_completed"}
    ran = [next(iter(e["data"]["events"])) for e in events[:4]]
    assert ran == ["index_unchanged"] * 2 + ["index_written"] * 2
    assert events[0]["data"] == events[1]["data"]
    for a, b in ((events[0], events[1]), (events[2], events[3])):
        assert {k: v for k, v in a.items() if k not in ("data", "ts", "prev", "id")} == {
            k: v for k, v in b.items() if k not in ("data", "ts", "prev", "id")
        }
    assert artigov("audit", "verify", "--root", ws).returncode == 0


def test_the_door_takes_only_plain_index_updates_and_verifies(artigov: Runner, example_copy: Path) -> None:
    ws = example_copy
    _settle(artigov, ws)
    assert _door(ws, ["index", "update"]) == 0
    assert _door(ws, ["index", "update", "--root=.", "--format", "json", "--lock-timeout", "5"]) == 0
    assert _door(ws, ["index", "verify"]) == 0
    assert _door(ws, ["index", "verify", "--full", "--format", "json"]) == 0
    assert _door(ws, ["route", "check", "--format", "sarif"]) == 0
    assert _door(ws, ["route", "check", "--lock-timeout", "3"]) is None  # not an option of route check
    for args in (
        ["index", "rebuild"],
        ["index", "update", "--full"],  # a flag only verify takes: Typer reports it
        ["index", "verify", "--full", "--full"],
        ["--log-level", "info", "index", "update"],
        ["index", "update", "--format", "yaml"],
        ["index", "update", "--lock-timeout", "-1"],
        ["index", "update", "--help"],
        ["index", "update", "--root"],
    ):
        assert _door(ws, args) is None, args
    assert artigov("index", "update", "--format", "yaml", "--root", ws).returncode == 2  # Typer reports it


def test_index_add_through_the_door_says_and_writes_what_the_full_command_does(
    artigov: Runner, example_copy: Path
) -> None:
    """`index add PATH...` (the paths among the plain options, in any order) takes the door, and
    gives the full command's output, exit code, index and audit events; anything else is Typer's."""
    ws = example_copy
    _settle(artigov, ws)
    unsummed = [p for p in sorted((ws / "frameworks").rglob("*.md")) if "checksum:" not in p.read_text()]
    plans = [p.relative_to(ws) for p in unsummed[:2]]
    assert _door(ws, ["index", "add", str(plans[0]), "--format", "json", str(plans[1])]) == 0
    for args in (
        ["index", "add"],  # no path: Typer says one is needed
        ["index", "add", "--", str(plans[0])],
        ["index", "add", "-x.md"],
        ["index", "add", str(plans[0]), "--full"],
        ["index", "add", str(plans[0]), "--root"],
    ):
        assert _door(ws, args) is None, args
    runs, events = [], []
    for env in ({}, FULL):
        for rel in plans:  # the same edit before each run
            path = ws / rel
            path.write_text(path.read_text().replace("\n---\n", "\n---\nEdited.\n", 1))
        done = artigov("index", "add", *plans, "--format", "json", env=env, cwd=ws)
        events.append(_events(ws)[-1])
        entries = sorted(json.loads((ws / "artifacts_index.json").read_text())["entries"])
        in_step = artigov("index", "verify", "--full", env=FULL, cwd=ws).returncode  # the edits were indexed
        runs.append((done.returncode, json.loads(done.stdout)["command"], entries, done.stderr, in_step))
    assert runs[0] == runs[1] and runs[0][0] == 0 and runs[0][-1] == 0, runs
    quick, full = events
    assert quick["event"] == full["event"] == "command_completed"
    assert quick["command"] == full["command"] == "index add"
    assert quick["data"]["events"] == full["data"]["events"]  # the digests differ: two different edits
    assert sorted(quick["data"]["last"]) == sorted(full["data"]["last"])


def test_the_door_waits_for_and_names_another_writer(artigov: Runner, example_copy: Path) -> None:
    ws = example_copy
    _settle(artigov, ws)
    with held_lock(lock_path_for(ws / "artifacts_index.json")):
        blocked = artigov("index", "update", "--root", ws, "--lock-timeout", "0.2")
        full = artigov("index", "update", "--root", ws, "--lock-timeout", "0.2", env=FULL)
    assert blocked.returncode == full.returncode != 0
    assert "pid=" in blocked.stderr and blocked.stderr == full.stderr


def test_the_doors_option_table_is_the_typer_commands_own() -> None:
    """The fast door takes exactly the options `artigov index update` declares (but --help)."""
    import typer.main

    from artigov.cli import index as index_cli
    from artigov.cli.quick import _OPTIONS

    command = typer.main.get_command(index_cli.app).commands["update"]  # type: ignore[attr-defined]
    declared = {opt for param in command.params for opt in param.opts if opt.startswith("--")}
    assert declared - {"--help"} == set(_OPTIONS)


def test_status_through_the_door_says_what_the_full_command_says(artigov: Runner, example_copy: Path) -> None:
    ws = example_copy
    _settle(artigov, ws)
    assert _door(ws, ["status"]) == 0
    assert _door(ws, ["status", "--format", "json", "--root", "."]) == 0
    for args in (["status", "--framework", "fwk-001"], ["status", "--format", "sarif"], ["status", "--help"]):
        assert _door(ws, args) is None, args  # Typer takes (or reports) them
    for fmt in ("text", "json"):
        quick = artigov("status", "--root", ws, "--format", fmt)
        full = artigov("status", "--root", ws, "--format", fmt, env=FULL)
        assert (quick.returncode, quick.stdout, quick.stderr) == (full.returncode, full.stdout, full.stderr)
    plan = ws / "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"
    plan.write_text(plan.read_text().replace("status: draft", "status: drafty"))  # a problem: exit 1 both ways
    quick, full = artigov("status", "--root", ws), artigov("status", "--root", ws, env=FULL)
    assert quick.returncode == full.returncode == 1 and quick.stdout == full.stdout


def test_index_merge_through_the_door_merges_and_refuses_as_the_full_command(
    artigov: Runner, example_copy: Path, tmp_path: Path
) -> None:
    """git's merge driver (`artigov index merge %O %A %B`) runs through the door: a clean merge, a
    conflict and an index that cannot be merged end as the full command ends them, byte for byte."""
    ws = example_copy
    index = ws / "artifacts_index.json"
    assert artigov("index", "rebuild", "--root", ws).returncode == 0
    base = index.read_bytes()
    docs = [p for p in sorted((ws / "frameworks").rglob("*.md")) if "checksum:" not in p.read_text()]

    def side(*edits: tuple[Path, str]) -> bytes:
        saved = {path: path.read_bytes() for path, _ in edits}
        for path, text in edits:
            path.write_text(path.read_text() + text)
        assert artigov("index", "update", "--root", ws).returncode == 0
        data = index.read_bytes()
        for path, old in saved.items():
            path.write_bytes(old)
        assert artigov("index", "update", "--root", ws).returncode == 0
        return data

    ours, theirs = side((docs[0], "\nOurs.\n")), side((docs[1], "\nTheirs.\n"))
    both = side((docs[0], "\nOurs, again.\n"))
    for case, (o, a, b) in {
        "clean": (base, ours, theirs),
        "conflict": (base, ours, both),
        "empty": (base, ours, b""),
    }.items():
        ends = []
        for env in ({}, FULL):
            folder = tmp_path / f"{case}-{'full' if env else 'door'}"
            folder.mkdir()
            for name, data in (("O", o), ("A", a), ("B", b)):
                (folder / name).write_bytes(data)
            done = artigov("index", "merge", folder / "O", folder / "A", folder / "B", env=env)
            ends.append(
                (done.returncode, done.stdout, done.stderr.replace(str(folder), "<f>"), (folder / "A").read_bytes())
            )
            if not env:
                assert _door(folder, ["index", "merge", "O", "A", "B"]) == done.returncode  # no Typer
        assert ends[0] == ends[1], case
        assert ends[0][0] == {"clean": 0, "conflict": 1, "empty": 2}[case], (case, ends[0])
    assert _door(tmp_path, ["index", "merge", "O", "A"]) is None  # two paths: Typer reports it


@pytest.mark.parametrize("args", [["status"], ["route", "check"], ["schema", "show", "technical-plan"]])
def test_a_reader_that_leaves_ends_the_command_quietly(example_copy: Path, args: list[str]) -> None:
    """`artigov status | head`: the reader leaves before the command writes; the command stops
    without an error line or a traceback, with 141 (128 + SIGPIPE) as git ends, through the fast
    door and the full command line alike."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes a byte
    try:
        done = subprocess.run(
            [sys.executable, "-m", "artigov.cli", *args],
            cwd=example_copy,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""


def test_the_everyday_doors_leave_the_rebuilds_modules_unloaded(artigov: Runner, example_copy: Path) -> None:
    """`index update` and `index verify` with nothing changed run on every commit: they do not load
    what only a walk that spools its lines uses (tempfile pulls in shutil, random, bz2 and lzma:
    ~2.5 ms of each command's start)."""
    _settle(artigov, example_copy)
    for args in (["index", "update"], ["index", "verify"]):
        code = (
            "import sys\nfrom artigov.cli.quick import try_quick\n"
            f"code = try_quick({args!r})\n"
            "print(code, 'tempfile' in sys.modules)\n"
        )
        command = [sys.executable, "-c", code]
        done = subprocess.run(command, cwd=example_copy, capture_output=True, text=True, check=False)
        assert done.stdout.splitlines()[-1] == "0 False", (args, done.stdout, done.stderr)
