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
    assert one["reference_rss_mb"] > 0  # git's own peak RSS, for the memory growth beside ours
    assert "status after a one-file edit, index not updated" in operations, sorted(operations)
    assert {"status, one invalid artifact", "no-change index update, one invalid artifact"} <= operations
    assert "index update taking in an edit that makes one artifact invalid" in operations


def test_growth_puts_the_references_memory_growth_beside_ours() -> None:
    """Memory exponents from N to 3N: ours, and the reference's (git status) where a row has one."""
    import importlib.util
    import math

    spec = importlib.util.spec_from_file_location("bench_under_test", REPO / "benchmarks" / "bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules[spec.name]

    def result(n: int, ours: float, git: float | None) -> dict[str, object]:
        row = {"operation": "no-change index update", "ours_s": 1.0, "ours_rss_mb": ours, "reference_rss_mb": git}
        return {"artifacts": n, "rows": [row, {**row, "operation": "status (no change)", "reference_rss_mb": None}]}

    rows = bench.growth(result(100, 30.0, 35.0), result(300, 36.0, 95.0))
    update, status = rows
    assert update["rss_exponent"] == pytest.approx(math.log(36 / 30) / math.log(3), abs=1e-3) and update["rss_pass"]
    assert update["reference_rss_exponent"] == pytest.approx(math.log(95 / 35) / math.log(3), abs=1e-3)
    assert status["reference_rss_exponent"] is None
    table = bench.growth_table(rows, 100, 300)
    assert "ref RSS exp" in table and "0.91" in table
