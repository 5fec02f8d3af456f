"""`artigov status` keeps each framework's gate checks for one index version in the state folder
(views/statuskept.py), and reads them only while every input is as it was: the index, the
contracts, the record's approvals, keys and trust, the configuration, and time."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from artigov.index.testing import reseal

Runner = Callable[..., subprocess.CompletedProcess[str]]
PLAN = "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"


def _release(artigov: Runner, ws: Path) -> bool:
    done = artigov("status", "--format", "json", "--root", ws)
    [fw] = json.loads(done.stdout)["frameworks"]
    return next(g["passes"] for g in fw["gates"] if g["gate"] == "release")


def _poison(ws: Path, **value: object) -> None:
    """Make the kept summary say gate release passes (it does not), sealed as status keeps it."""
    kept = ws / ".artigov" / "derived-status.json"
    held = json.loads(kept.read_text())
    for gate in held["value"]["frameworks"]["fwk-001"]["gates"]:
        if gate["gate"] == "release":
            gate.update(passes=True, first_finding=None)
    held["value"].update(value)
    reseal(kept, held)


def _edit_plan(ws: Path) -> None:
    path = ws / PLAN
    head, body = path.read_text().split("\n---\n", 1)
    body += "\nOne more line.\n"
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    path.write_text(re.sub(r"checksum: \S+", f"checksum: {digest}", head) + "\n---\n" + body)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


CHANGES: dict[str, tuple[Callable[[Path], None], Callable[[Path], None]]] = {
    # name: (what is there before the summary is kept, the change that must make it unreadable)
    "contract": (
        lambda ws: None,
        lambda ws: _write(ws / "contracts/fwk-001.yaml", (ws / "contracts/fwk-001.yaml").read_text() + "# note\n"),
    ),
    "approvals": (
        lambda ws: _write(ws / "governance/fwk-001/approvals/tp-core/a.json", "{}"),
        lambda ws: _write(ws / "governance/fwk-001/approvals/tp-core/b.json", "{}"),
    ),
    "keys": (
        lambda ws: _write(ws / "governance/keys/README", "keys"),
        lambda ws: _write(ws / "governance/keys/X.asc", ""),
    ),
    "trust": (
        lambda ws: _write(ws / "governance/trust/README", "t"),
        lambda ws: _write(ws / "governance/trust/README", "tt"),
    ),
    "config": (lambda ws: None, lambda ws: _write(ws / "artigov.yaml", (ws / "artigov.yaml").read_text() + "# note\n")),
    "document": (lambda ws: None, _edit_plan),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_the_kept_summary_is_read_until_an_input_changes(artigov: Runner, example_copy: Path, name: str) -> None:
    before, change = CHANGES[name]
    before(example_copy)
    assert artigov("index", "update", "--root", example_copy).returncode == 0  # the state folder is there
    assert _release(artigov, example_copy) is False  # computed, and kept
    _poison(example_copy)
    assert _release(artigov, example_copy) is True  # what was kept is what status shows
    change(example_copy)
    if name == "document":
        assert artigov("index", "update", "--root", example_copy).returncode == 0
    assert _release(artigov, example_copy) is False  # computed afresh


def test_the_kept_summary_expires_with_the_keys_and_signatures_it_relied_on(
    artigov: Runner, example_copy: Path
) -> None:
    assert artigov("index", "update", "--root", example_copy).returncode == 0
    assert _release(artigov, example_copy) is False
    _poison(example_copy, valid_until=int(time.time()) + 3600)
    assert _release(artigov, example_copy) is True  # still valid for an hour
    _poison(example_copy, valid_until=int(time.time()) - 1)
    assert _release(artigov, example_copy) is False  # a key or a signature may have expired: not read
    kept = json.loads((example_copy / ".artigov" / "derived-status.json").read_text())
    assert kept["value"]["valid_until"] is None  # nothing in the example expires


def test_an_unsealed_edit_is_never_read_and_no_state_folder_is_made(artigov: Runner, example_copy: Path) -> None:
    assert _release(artigov, example_copy) is False
    assert not (example_copy / ".artigov").exists()  # status never makes the state folder
    assert artigov("index", "update", "--root", example_copy).returncode == 0
    assert artigov("status", "--framework", "fwk-001", "--root", example_copy).returncode == 0
    kept = example_copy / ".artigov" / "derived-status.json"
    assert not kept.exists()  # one framework's view is not the whole summary: not kept
    assert _release(artigov, example_copy) is False
    held = json.loads(kept.read_text())
    held["value"]["frameworks"]["fwk-001"]["gates"][-1]["passes"] = True
    kept.write_text(json.dumps(held))  # edited without its seal
    assert _release(artigov, example_copy) is False


def test_a_summary_written_in_the_tick_a_key_file_changed_is_not_read(artigov: Runner, example_copy: Path) -> None:
    """git's racy rule: a file of the key whose mtime or ctime is not older than the kept summary
    could have changed again within the timestamp tick, keeping its stamp."""
    assert artigov("index", "update", "--root", example_copy).returncode == 0
    assert _release(artigov, example_copy) is False
    _poison(example_copy)
    assert _release(artigov, example_copy) is True  # written after every file of its key: read
    _poison(example_copy)
    kept = example_copy / ".artigov" / "derived-status.json"
    contract = (example_copy / "contracts/fwk-001.yaml").stat()
    os.utime(kept, ns=(contract.st_mtime_ns, contract.st_mtime_ns))  # as if written in that tick
    assert _release(artigov, example_copy) is False  # not read: computed afresh


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """A generated workspace of 300 artifacts in 50 frameworks (the benchmarks' generator)."""
    import sys

    ws = tmp_path / "many"
    subprocess.run(
        [sys.executable, REPO / "benchmarks" / "generate.py", "--artifacts", "300", "--seed", "1", "--out", ws],
        check=True,
        capture_output=True,
    )
    return ws


def _json(artigov: Runner, ws: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(artigov("status", "--format", "json", "--root", ws).stdout)  # type: ignore[no-any-return]


def _afresh(artigov: Runner, ws: Path) -> dict:  # type: ignore[type-arg]
    """The status computed with nothing kept (then kept again for the next step)."""
    for kept in (ws / ".artigov").glob("derived-*.json"):
        kept.unlink()
    return _json(artigov, ws)


def _first(ws: Path, framework: str) -> Path:
    return sorted((ws / "frameworks" / framework).rglob("*.md"))[0]


@pytest.mark.parametrize("step", ["edit", "move to another framework", "remove"])
def test_a_few_edits_carry_the_other_frameworks_over(artigov: Runner, many: Path, step: str) -> None:
    """After ``index update`` of a few edits, the frameworks they touch are checked again and the
    others carried over: a framework an artifact left (moved to another one, or gone) is checked
    again too (the index's step records it). Every answer equals the one computed with nothing
    kept."""
    assert artigov("index", "update", "--root", many).returncode == 0
    _json(artigov, many)
    kept = many / ".artigov" / "derived-status.json"
    held = json.loads(kept.read_text())
    held["value"]["frameworks"]["fwk-002"]["gates"][0]["warnings"] += 1000  # visible if carried
    reseal(kept, held)
    doc = _first(many, "fwk-001")
    if step == "edit":
        doc.write_text(doc.read_text() + "\nOne more line.\n")
    elif step == "remove":
        doc.unlink()
    else:
        doc.write_text(doc.read_text().replace("framework: fwk-001", "framework: fwk-002", 1))
    assert artigov("index", "update", "--root", many).returncode in (0, 1)
    carried = _json(artigov, many)
    fresh = _afresh(artigov, many)
    marked = next(f for f in carried["frameworks"] if f["framework"] == "fwk-002")["gates"][0]
    if step in ("edit", "remove"):  # fwk-002 untouched: carried over, marker and all
        assert marked["warnings"] >= 1000
        marked["warnings"] -= 1000
    else:  # fwk-002 touched (the artifact moved in): checked again
        assert marked["warnings"] < 1000
    assert carried == fresh
