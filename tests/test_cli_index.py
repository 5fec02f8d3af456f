from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "workspace"
Runner = Callable[..., subprocess.CompletedProcess[str]]


def test_example_rebuild_and_verify_and_committed_index_is_reproducible(artigov: Runner, example_copy: Path) -> None:
    rebuilt = artigov("index", "rebuild", "--root", example_copy)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "digest sha256:" in rebuilt.stdout
    verified = artigov("index", "verify", "--root", example_copy)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    first = (example_copy / "artifacts_index.json").read_bytes()
    assert artigov("index", "rebuild", "--root", example_copy).returncode == 0
    assert (example_copy / "artifacts_index.json").read_bytes() == first
    # The index committed with the example is exactly what a rebuild gives.
    assert (EXAMPLE / "artifacts_index.json").read_bytes() == first


def test_two_copies_with_different_file_orders_give_identical_indexes(artigov: Runner, tmp_path: Path) -> None:
    one = tmp_path / "one"
    shutil.copytree(EXAMPLE, one, ignore=shutil.ignore_patterns(".artigov", "artifacts_index.json"))
    two = tmp_path / "two"
    files = sorted(p for p in one.rglob("*") if p.is_file())
    for i, src in enumerate(reversed(files)):
        dest = two / src.relative_to(one)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        os.utime(dest, (1_600_000_000 + i, 1_600_000_000 + i))
    for ws in (one, two):
        assert artigov("index", "rebuild", "--root", ws).returncode == 0
    assert (one / "artifacts_index.json").read_bytes() == (two / "artifacts_index.json").read_bytes()


def test_truncated_or_edited_index_makes_verify_fail_naming_rebuild(artigov: Runner, example_copy: Path) -> None:
    index = example_copy / "artifacts_index.json"
    good = index.read_bytes()
    for damaged in (good[: len(good) // 2], good.replace(b"\n,", b",", 1), good.replace(b'"size"', b'"sise"', 1)):
        index.write_bytes(damaged)
        result = artigov("index", "verify", "--root", example_copy)
        assert result.returncode == 1
        assert "index rebuild" in result.stderr and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1
    # A value edited by hand (or resolved wrongly in a merge) is caught against the files.
    index.write_bytes(good.replace(b'"status":"approved"', b'"status":"review"', 1))
    drift = artigov("index", "verify", "--root", example_copy)
    assert drift.returncode == 1 and "changed: frameworks/fwk-001/config/thresholds.json" in drift.stdout


def test_verify_lists_drift_and_exits_1(artigov: Runner, example_copy: Path) -> None:
    target = example_copy / "frameworks/fwk-001/plans/migration/mp-legacy-1.0.0.md"
    target.unlink()
    result = artigov("index", "verify", "--root", example_copy)
    assert result.returncode == 1
    assert "removed: frameworks/fwk-001/plans/migration/mp-legacy-1.0.0.md" in result.stdout


def test_fault_point_leaves_a_recoverable_index(artigov: Runner, example_copy: Path) -> None:
    target = example_copy / "frameworks/fwk-001/plans/migration/mp-legacy-1.0.0.md"
    target.write_text(target.read_text().replace("Rebuild the index", "Rebuild the index again"))
    crashed = artigov("index", "update", "--root", example_copy, env={"ARTIGOV_FAULT": "after-journal-append"})
    assert crashed.returncode == 70
    recovered = artigov("index", "verify", "--root", example_copy)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    last = json.loads((example_copy / ".artigov" / "audit.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "command_completed" and last["data"]["events"]["index_recovered"] == 1
    assert last["data"]["last"]["index_recovered"]["outcome"] == "redone"


def test_index_json_output(artigov: Runner, example_copy: Path) -> None:
    import json

    result = artigov("index", "update", "--root", example_copy, "--format", "json")
    payload = json.loads(result.stdout)
    assert payload["command"] == "index update" and payload["written"] is False and payload["count"] == 16


def test_invoke_style_help_lists_index_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "artigov.cli", "index", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("add", "update", "rebuild", "verify", "recover"):
        assert name in out
