from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Runner = Callable[..., subprocess.CompletedProcess[str]]


def test_example_gates_pass_and_fail_as_documented(artigov: Runner, example_copy: Path) -> None:
    assert artigov("index", "rebuild", "--root", example_copy).returncode == 0
    for gate in ("design", "build"):
        result = artigov("contract", "check", "-f", "fwk-001", "--gate", gate, "--root", example_copy)
        assert result.returncode == 0, result.stdout
    release = artigov(
        "contract", "check", "-f", "fwk-001", "--gate", "release", "--root", example_copy, "--format", "json"
    )
    assert release.returncode == 1
    (finding,) = json.loads(release.stdout)["findings"]
    assert finding["code"] == "C004" and "validation-report" in finding["message"]
    unknown = artigov("contract", "check", "-f", "fwk-999", "--root", example_copy)
    assert unknown.returncode == 1 and "C001" in unknown.stdout


def test_hydrate_deterministic_three_times_byte_identical(artigov: Runner, example_copy: Path) -> None:
    assert artigov("index", "rebuild", "--root", example_copy).returncode == 0
    plans = []
    for i in range(3):
        out = example_copy / f"plan-{i}.json"
        result = artigov(
            "hydrate", "-f", "fwk-001", "-s", "build", "--deterministic", "--out", out, "--root", example_copy
        )
        assert result.returncode == 0, result.stdout + result.stderr
        plans.append(out.read_bytes())
    assert plans[0] == plans[1] == plans[2]
    plan = json.loads(plans[0])
    assert [i["kind"] for i in plan["inputs"]] == ["action-plan", "migration-plan", "runtime-config", "technical-plan"]
    index = json.loads((example_copy / "artifacts_index.json").read_text())
    for item in plan["inputs"]:
        assert item["checksum"] == index["entries"][item["path"]]["checksum"]
    shown = artigov("hydrate", "-f", "fwk-001", "-s", "build", "--root", example_copy).stdout
    decided = {line.split()[-1] for line in shown.splitlines() if line[:1].isalpha() and not line.startswith("hydrate")}
    decided |= {line.split()[1].rstrip(":") for line in shown.splitlines() if line.startswith("  ")}
    fwk = {p for p, e in index["entries"].items() if e["kind"] in {i["kind"] for i in plan["inputs"]}}
    assert decided == fwk  # every candidate of every needed kind is explained
    assert all(" by " in line for line in shown.splitlines() if line.startswith("  lost"))


def test_hydrate_failing_stage_is_one_line_exit_1(artigov: Runner, example_copy: Path) -> None:
    assert artigov("index", "rebuild", "--root", example_copy).returncode == 0
    result = artigov("hydrate", "-f", "fwk-001", "-s", "release", "--root", example_copy)
    assert result.returncode == 1
    assert "H001" in result.stderr and result.stderr.count("\n") == 1


def test_hydrate_without_index_says_how_to_make_one(artigov: Runner, example_copy: Path) -> None:
    (example_copy / "artifacts_index.json").unlink()
    result = artigov("hydrate", "-f", "fwk-001", "-s", "design", "--root", example_copy)
    assert result.returncode == 1 and "artigov index rebuild" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["contract", "check", "-f"],
        ["hydrate", "-s", "design", "-f"],
        ["promote", "-g", "design", "-f"],
        ["verify", "-f"],
        ["snapshots", "-f"],
        ["report", "-f"],
    ],
)
def test_a_framework_name_is_checked_before_it_is_used_in_a_path(
    artigov: Runner, example_copy: Path, command: list[str]
) -> None:
    result = artigov(*command, "../../etc/passwd", "--root", example_copy)
    assert result.returncode == 2 and "invalid framework name" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
