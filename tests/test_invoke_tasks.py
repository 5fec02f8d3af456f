from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BROKEN = REPO / "tests" / "data" / "broken"
EXAMPLE = REPO / "examples" / "workspace"


def _invoke(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ARTIGOV_ACTOR": "tests@example.org"},
        check=False,
    )


def test_one_line_tasks_py_gives_invoke_validate(tmp_path: Path) -> None:
    ws = tmp_path / "repo"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".artigov"))
    (ws / "tasks.py").write_text("from artigov.tasks import ns\n")
    listing = _invoke(ws, "--list")
    assert listing.returncode == 0 and "validate" in listing.stdout
    result = _invoke(ws, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "16 artifact(s) checked" in result.stdout


def test_invoke_validate_reports_findings_with_exit_1(tmp_path: Path) -> None:
    ws = tmp_path / "broken"
    shutil.copytree(BROKEN, ws)
    (ws / "tasks.py").write_text("from artigov.tasks import ns\n")
    result = _invoke(ws, "validate", "--path", "artifacts/empty.md", "--format", "json")
    assert result.returncode == 1
    assert '"S002"' in result.stdout


def test_invoke_rejects_an_unknown_format_cleanly(tmp_path: Path) -> None:
    ws = tmp_path / "repo"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".artigov"))
    (ws / "tasks.py").write_text("from artigov.tasks import ns\n")
    result = _invoke(ws, "validate", "--format", "xml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_invoke_index_rebuild_and_verify(tmp_path: Path) -> None:
    ws = tmp_path / "repo"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".artigov"))
    (ws / "tasks.py").write_text("from artigov.tasks import ns\n")
    assert "index.rebuild" in _invoke(ws, "--list").stdout
    rebuilt = _invoke(ws, "index.rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (ws / "artifacts_index.json").read_bytes() == (EXAMPLE / "artifacts_index.json").read_bytes()
    assert _invoke(ws, "index.verify").returncode == 0


def test_invoke_promote_takes_the_team_options(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "ws", ignore=shutil.ignore_patterns(".artigov"))
    (tmp_path / "ws" / "tasks.py").write_text("from artigov.tasks import ns\n")
    shown = _invoke(tmp_path / "ws", "--help", "promote")
    assert shown.returncode == 0
    assert "--commit" in shown.stdout and "--allow-dirty" in shown.stdout


def test_shared_options_come_from_invokes_configuration_and_a_flag_wins(tmp_path: Path) -> None:
    """invoke.yaml beside tasks.py (or INVOKE_ARTIGOV_*) sets root/format/lock timeout once for every task."""
    shutil.copytree(EXAMPLE, tmp_path / "ws", ignore=shutil.ignore_patterns(".artigov"))
    ws = tmp_path / "ws"
    (ws / "tasks.py").write_text("from artigov.tasks import ns\n")
    (ws / "invoke.yaml").write_text("artigov:\n  format: json\n  lock_timeout: 5\n")
    assert _invoke(ws, "index.rebuild").returncode == 0
    configured = _invoke(ws, "index.verify")
    assert json.loads(configured.stdout)["command"] == "index verify"
    flagged = _invoke(ws, "index.verify", "--format", "text")
    assert flagged.stdout.startswith("index verify: ok")
    (ws / "invoke.yaml").write_text("artigov:\n  lock_timeout: soon\n")
    bad = _invoke(ws, "index.verify")
    assert bad.returncode == 2 and "--lock-timeout must be a number" in bad.stderr


def test_invoke_review_and_approve_are_the_same_transitions(tmp_path: Path) -> None:
    ws = tmp_path / "repo"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".artigov"))
    (ws / "tasks.py").write_text("from artigov.tasks import ns\n")
    assert "--comment" in _invoke(ws, "approve", "--help").stdout
    plan = "frameworks/fwk-001/registers/risk/rr-main-1.2.0.md"
    skipped = _invoke(ws, "approve", "--path", plan, "--as", "alice@example.org")
    assert skipped.returncode == 1 and "A001" in skipped.stderr
    reviewed = _invoke(ws, "review", "--path", plan, "--as", "bob@example.org", "--format", "json")
    assert reviewed.returncode == 0, reviewed.stderr
    assert json.loads(reviewed.stdout)["to"] == "review"
    approved = _invoke(ws, "approve", "--path", plan, "--as", "alice@example.org")
    assert approved.returncode == 0, approved.stderr
    assert "status: approved" in (ws / plan).read_text()
    statements = sorted(p.name for p in (ws / "governance/fwk-001/approvals/rr-main/1.2.0").iterdir())
    assert statements == ["alice@example.org.json", "bob@example.org.json"]  # unsigned: the example has no people:


def test_invoke_rollback_is_artigov_rollback(tmp_path: Path) -> None:
    demo = subprocess.run(
        [sys.executable, "-m", "artigov.cli", "demo", "--dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout[-2000:]
    ws = tmp_path / "d" / "workspace"
    (ws / "tasks.py").write_text("from artigov.tasks import ns\n")
    bad = _invoke(ws, "rollback", "--framework", "fwk-001", "--to", "one")
    assert bad.returncode == 2 and "not a snapshot number" in bad.stderr and "Traceback" not in bad.stderr
    done = _invoke(ws, "rollback", "--framework", "fwk-001", "--to", "1", "--reason", "invoke", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["sequence"] == 4
    assert (ws / "governance" / "fwk-001" / "snapshots" / "000004" / "manifest.json.asc").is_file()
