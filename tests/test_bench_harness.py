"""The benchmark harness runs end to end (CI's last step calls it; a harness broken by a change in
the commands it drives must fail here, in the test suite, and not only there)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_quick_bench_runs_every_row(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench.py"),
            "--artifacts",
            "200",
            "--quick",
            "--results",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    saved = json.loads(next(tmp_path.glob("*-200-quick.json")).read_text())
    operations = {row["operation"] for row in saved["rows"]}
    assert "promote a 100-input framework" in operations, sorted(operations)
    # at 200 artifacts (4 per framework) no gate passes: the row says so instead of failing the run
    at_n = next(row for row in saved["rows"] if row["operation"].startswith("promote one framework at N=200"))
    assert at_n["reference"] == "no gate promotes at this N"
    assert "adopt --apply 200 docs" in operations, sorted(operations)
    assert any(op.startswith("audit verify") for op in operations), sorted(operations)
    assert all(row["ours_s"] is not None for row in saved["rows"])
    one = next(row for row in saved["rows"] if row["operation"] == "one-file index update")
    assert one["reference"] == "git status --porcelain after the same edit"  # a command run, not a sum
    assert one["reference_cpu_s"] > 0
    assert one["basis"] == "cpu"
    assert one["cpu_ratio"] == pytest.approx(one["ours_cpu_s"] / one["reference_cpu_s"], rel=0.02)  # rounded
