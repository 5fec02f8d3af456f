from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

Runner = Callable[..., subprocess.CompletedProcess[str]]
REPO = Path(__file__).resolve().parent.parent


def test_demo_tells_the_whole_story(artigov: Runner, tmp_path: Path) -> None:
    result = artigov("demo", "--dir", "d", cwd=tmp_path)  # a relative --dir (it once failed at step 7)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    out = result.stdout
    for marker in (
        "validate: 16 artifact(s) checked",
        "0 conflicts",
        "identical over 5 runs",
        "-> snapshot 1",
        "-> snapshot 2",
        "FAILED: V009",
        "as new snapshot 3",
        "snapshot 3 of fwk-001 (gate design) ok",
        "an auditor's fresh clone",
        "demo: done",
    ):
        assert marker in out, marker
    ws = tmp_path / "d" / "workspace"
    decisions = ws / "governance" / "fwk-001" / "decisions.jsonl"
    names = {json.loads(line)["event"] for line in decisions.read_text().splitlines()}
    assert {
        "gate_checked",
        "candidate_selected",
        "candidate_lost",
        "snapshot_promoted",
        "snapshot_rolled_back",
    } <= names
    summaries = [json.loads(line) for line in (ws / ".artigov" / "audit.jsonl").read_text().splitlines()]
    assert {e["event"] for e in summaries} == {"command_completed"}
    counted = {name for e in summaries for name in e["data"]["events"]}
    assert {"snapshot_verify_failed", "snapshot_verified", "index_written", "snapshot_promoted"} <= counted
    assert "Traceback" not in result.stderr


def test_invoke_promote_runs_the_pipeline_and_stops_at_a_failing_gate(tmp_path: Path) -> None:
    from artigov.core.testkeys import gnupg_home, make_key

    ws = tmp_path / "repo"
    shutil.copytree(REPO / "examples" / "workspace", ws, ignore=shutil.ignore_patterns(".artigov"))
    (ws / "tasks.py").write_text("from artigov.tasks import ns\n")
    with gnupg_home() as home:
        key = make_key(home, "pipeline signer")
        cfg = (ws / "artigov.yaml").read_text().replace("  key: null", f"  key: {key}\n  gnupghome: {home}")
        (ws / "artigov.yaml").write_text(cfg)
        env = {**os.environ, "ARTIGOV_ACTOR": "tests@example.org", "SOURCE_DATE_EPOCH": "1764000000"}
        trusted = subprocess.run(
            [sys.executable, "-m", "artigov.cli", "trust", "init"], cwd=ws, env=env, capture_output=True, check=False
        )
        assert trusted.returncode == 0, trusted.stderr  # trust version 1: the key is root and signs every gate

        def invoke(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "invoke", *args],
                cwd=ws,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )

        ok = invoke("promote", "--framework", "fwk-001", "--gate", "design")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert [line for line in ok.stdout.splitlines() if line.startswith("==> ")] == [
            "==> validate",
            "==> route check",
            "==> index update",
            "==> contract check",
            "==> hydrate",
            "==> promote",
        ]
        summary = ws / "frameworks" / "fwk-001" / "reports" / "summary" / "sr-phase1-1.0.0.md"
        summary.write_text(summary.read_text().replace("status: approved", "status: review", 1))
        failed = invoke("promote", "--framework", "fwk-001", "--gate", "release")
        assert failed.returncode == 1
        assert "stopped at contract check" in failed.stdout and "==> hydrate" not in failed.stdout
        # every requirement the gate misses is named, not only the first
        missed = [line for line in failed.stdout.splitlines() if ": C0" in line and not line.startswith("warning:")]
        assert len(missed) == 2 and any("summary-report" in m for m in missed), failed.stdout
        assert (ws / "governance" / "fwk-001" / "snapshots" / "000001").is_dir()
        assert not (ws / "governance" / "fwk-001" / "snapshots" / "000002").exists()


def test_after_the_demo_the_audit_chain_verifies_and_any_edit_is_named(artigov: Runner, tmp_path: Path) -> None:
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    ok = artigov("audit", "verify", "--root", ws)
    assert ok.returncode == 0 and "ok" in ok.stdout
    story = artigov("audit", "show", "--framework", "fwk-001", "--root", ws)
    for name in ("snapshot_promoted", "snapshot_rolled_back", "candidate_selected", "command_completed"):
        assert name in story.stdout
    as_json = artigov(
        "audit", "show", "--framework", "fwk-001", "--event", "snapshot_*", "--format", "json", "--root", ws
    )
    events = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [e["event"] for e in events] == ["snapshot_promoted", "snapshot_promoted", "snapshot_rolled_back"]
    assert events[-1]["data"]["reason"] and events[-1]["log"] == "decisions"
    about_2 = artigov("audit", "show", "--snapshot", "2", "--format", "json", "--root", ws)
    names = [json.loads(line)["event"] for line in about_2.stdout.splitlines()]
    assert names[0] == "gate_checked" and "candidate_selected" in names and "snapshot_promoted" in names
    failed = [json.loads(x) for x in about_2.stdout.splitlines() if json.loads(x)["event"] == "command_completed"]
    assert any("snapshot_verify_failed" in e["data"]["events"] for e in failed)  # the verify that caught it
    refused = artigov("audit", "show", "--since", "yesterday", "--root", ws)
    assert refused.returncode == 2 and "not an ISO date" in refused.stderr
    since = artigov("audit", "show", "--since", "2000-01-01", "--format", "json", "--root", ws)
    assert since.returncode == 0 and len(since.stdout.splitlines()) > 10
    piped = subprocess.run(
        f"{sys.executable} -m artigov.cli audit show --format json --root {ws} | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert piped.stdout.count("\n") == 1 and piped.stderr == ""
    log = ws / "governance" / "fwk-001" / "decisions.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    target = len(lines) // 2
    damaged = bytearray(lines[target])
    damaged[20] ^= 0x01
    log.write_bytes(b"".join([*lines[:target], bytes(damaged), *lines[target + 1 :]]))
    bad = artigov("audit", "verify", "--root", ws)
    assert bad.returncode == 1 and f"decisions.jsonl line {target + 1}" in bad.stdout
    log.write_bytes(b"".join(lines[:-2]))  # a truncated log: the head snapshot pins more than it holds
    cut = artigov("audit", "verify", "--root", ws)
    assert cut.returncode == 1 and f"lines {len(lines) - 1}-{len(lines)} are missing" in cut.stdout
