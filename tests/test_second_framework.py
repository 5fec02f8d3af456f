"""A second framework in an existing workspace (`artigov init --framework F` there), and what
`verify --all` and `status` say about frameworks and gates nobody promoted yet."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from artigov.core.testkeys import gnupg_home, make_key

Runner = Callable[..., subprocess.CompletedProcess[str]]


def test_init_adds_a_framework_to_an_existing_workspace(artigov: Runner, tmp_path: Path) -> None:
    with gnupg_home() as home:
        key = make_key(home, "maintainer")
        env = {"GNUPGHOME": str(home)}
        made = artigov("init", "gov", "--framework", "payments", "--key", key, cwd=tmp_path, env=env)
        assert made.returncode == 0, made.stderr
        ws = tmp_path / "gov"
        before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}

        added = artigov("init", "--framework", "ledger", "--owner", "lea@example.org", cwd=ws, env=env)
        assert added.returncode == 0, added.stdout + added.stderr
        assert "created" in added.stdout and "contracts/ledger.yaml" in added.stdout
        assert f"trust version 2 accepted: {key} may sign ledger's promotions" in added.stdout
        assert all(p.read_bytes() == data for p, data in before.items()), "an existing file was rewritten"
        contract = (ws / "contracts" / "ledger.yaml").read_text()
        assert "framework: ledger" in contract and "lea@example.org" in contract

        # the second framework validates next to the first (ids unique), routes, and promotes
        assert artigov("validate", cwd=ws, env=env).returncode == 0
        assert artigov("route", "check", cwd=ws, env=env).returncode == 0
        promoted = artigov("promote", "-f", "ledger", "-g", "draft", cwd=ws, env=env)
        assert promoted.returncode == 0, promoted.stdout + promoted.stderr

        # verify --all names every gate it had nothing to verify, in text and JSON
        checked = artigov("verify", "--all", cwd=ws, env=env)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "ledger gate draft: snapshot 1 ok" in checked.stdout
        for gate in ("ledger gate design", "payments gate draft", "payments gate design"):
            assert f"verify: {gate}: no snapshot" in checked.stdout, checked.stdout
        assert "3 gate(s) with no snapshot" in checked.stdout
        payload = json.loads(artigov("verify", "--all", "--format", "json", cwd=ws, env=env).stdout)
        assert {(u["framework"], u["gate"]) for u in payload["unverified"]} == {
            ("ledger", "design"),
            ("payments", "draft"),
            ("payments", "design"),
        }

        # again: refused, nothing written; a bare `init` in a workspace says what to do instead
        again = artigov("init", "--framework", "ledger", cwd=ws, env=env)
        assert again.returncode != 0 and "has a contract already" in again.stderr and "Traceback" not in again.stderr
        bare = artigov("init", cwd=ws, env=env)
        assert bare.returncode == 2 and "init --framework NAME" in bare.stderr


def test_contract_check_fails_on_a_committed_index_that_differs_from_the_files(
    artigov: Runner, example_copy: Path
) -> None:
    """A pull request that changes a document without its index line gets a red contract check
    (C017, in text, JSON and SARIF), not a green one judged on the stale index."""
    ws = example_copy  # index_committed: true
    args = ("contract", "check", "-f", "fwk-001", "--gate", "design", "--root", str(ws))
    assert artigov(*args).returncode == 0
    plan = ws / "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"
    plan.write_text(plan.read_text().replace("status: draft", "status: review"))
    text = artigov(*args)
    assert text.returncode == 1 and "C017" in text.stdout and "tp-core-2.0.0.md" in text.stdout, text.stdout
    sarif = json.loads(artigov(*args, "--format", "sarif").stdout)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]][:1] == ["C017"]
    assert artigov("index", "update", "--root", str(ws)).returncode in (0, 1)
    assert "C017" not in artigov(*args).stdout


def test_a_framework_reviewed_but_never_promoted_has_nothing_to_verify(artigov: Runner, tmp_path: Path) -> None:
    """``review`` writes a signed statement into the record before any promotion: ``verify --all``
    and ``status`` list the framework's gates as not promoted yet (CI stays green), while a
    framework folder with anything else in it (a decision log, here) is still verified."""
    with gnupg_home() as home:
        key = make_key(home, "maintainer")
        env = {"GNUPGHOME": str(home)}
        made = artigov(
            "init", "gov", "--framework", "payments", "--key", key, "--owner", "lea@example.org", cwd=tmp_path, env=env
        )
        assert made.returncode == 0, made.stderr
        ws = tmp_path / "gov"
        [plan] = (ws / "frameworks" / "payments").rglob("*.md")
        reviewed = artigov("review", plan, "--as", "lea@example.org", cwd=ws, env=env)
        assert reviewed.returncode == 0, reviewed.stdout + reviewed.stderr
        folder = ws / "governance" / "payments"
        assert [p.name for p in folder.iterdir()] == ["approvals"]
        checked = artigov("verify", "--all", cwd=ws, env=env)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "verify: payments gate draft: no snapshot: nothing promoted yet" in checked.stdout
        assert "FAILED" not in checked.stdout
        status = json.loads(artigov("status", "--format", "json", cwd=ws, env=env).stdout)
        assert not any(p.startswith("payments:") for p in status["problems"]), status["problems"]
        (folder / "decisions.jsonl").write_text("")  # not approvals alone: verified, and it fails
        failed = artigov("verify", "--all", cwd=ws, env=env)
        assert failed.returncode != 0 and "V001" in failed.stdout, failed.stdout
