"""A team's own governance repository, made by `artigov init`: nox -s rehearse and invoke promote work in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from artigov.core.testkeys import gnupg_home, make_key

REPO = Path(__file__).resolve().parent.parent


def _run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 1800
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _git(cwd: Path, *args: str) -> None:
    done = _run(cwd, "git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args)
    assert done.returncode == 0, done.stderr


def _new_repository(root: Path, key: str, home: Path, people: dict[str, str] | None = None) -> Path:
    """A repository made by `artigov init`; with ``people`` (person -> key), in the configuration its
    contract recommends: signed approvals required, each person's key in the signed trust document,
    the plan reviewed and approved through the real commands."""
    ws = root / "governance"
    made = _run(root, sys.executable, "-m", "artigov.cli", "init", str(ws), "--framework", "fx", "--owner", "al@x.org")
    assert made.returncode == 0, made.stdout + made.stderr
    for name in ("tasks.py", "noxfile.py", "requirements-artigov.txt", ".pre-commit-config.yaml"):
        assert (ws / name).is_file(), name
    plan = ws / "frameworks" / "fx" / "plans" / "technical" / "technical-plan-0.1.0.md"
    if people is None:
        plan.write_text(plan.read_text().replace("status: draft", "status: approved\napproved_by: [al@x.org]"))
    (ws / "frameworks" / "fx" / "plans" / "action").mkdir(parents=True)
    (ws / "frameworks" / "fx" / "plans" / "action" / "rollout-1.0.0.md").write_text(
        '---\nid: rollout\nversion: "1.0.0"\nstatus: draft\nframework: fx\nkind: action-plan\n---\n# Rollout\n'
    )
    (ws / "frameworks" / "fx" / "registers" / "risk").mkdir(parents=True)
    (ws / "frameworks" / "fx" / "registers" / "risk" / "risks-1.0.0.md").write_text(
        '---\nid: risks\nversion: "1.0.0"\nstatus: review\nframework: fx\nkind: risk-register\n'
        "risks: [R-001]\n---\n# Risks\n"
    )
    config = (ws / "artigov.yaml").read_text().replace("  key: null", f"  key: {key}\n  gnupghome: {home}")
    (ws / "artigov.yaml").write_text(config)

    def artigov(*args: str) -> None:
        done = _run(ws, sys.executable, "-m", "artigov.cli", *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)

    artigov("trust", "init")  # the key is root
    if people is not None:
        contract = ws / "contracts" / "fx.yaml"
        text = contract.read_text().replace("    responsible: [al@x.org]", "    responsible: [bo@x.org]")
        register = "  risk-register:\n    responsible: [bo@x.org]\n    accountable: [al@x.org]\n"
        text = text.replace("raci:\n", "raci:\n" + register)
        contract.write_text(text.replace("# require_signed_approvals: true", "require_signed_approvals: true"))
        artigov("trust", "propose", *(a for p, k in people.items() for a in ("--add-person", f"fx:{p}:{k}")))
        artigov("index", "rebuild")
        artigov("review", str(plan.relative_to(ws)), "--as", "bo@x.org")
        artigov("approve", str(plan.relative_to(ws)), "--as", "al@x.org")
        artigov("contract", "check", "-f", "fx", "--gate", "design")
    artigov("index", "rebuild")
    _git(ws, "init", "-q")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "governance repository")
    return ws


@pytest.mark.slow
def test_nox_rehearse_and_invoke_promote_pass_in_a_repository_made_by_artigov_init(tmp_path: Path) -> None:
    # The configuration the contract `artigov init` writes recommends: signed approvals required
    # (every rehearsal that edits an approved input has it approved again, signed, by its approver).
    with gnupg_home() as home:
        key = make_key(home, "team maintainer")
        people = {"al@x.org": make_key(home, "al"), "bo@x.org": make_key(home, "bo")}
        ws = _new_repository(tmp_path, key, home, people)
        env = {"ARTIGOV_SOURCE": str(REPO), "ARTIGOV_ACTOR": "ci@example.org"}

        def tree() -> dict[str, bytes]:
            return {
                str(p.relative_to(ws)): p.read_bytes()
                for p in sorted(ws.rglob("*"))
                if p.is_file() and ".nox" not in p.parts and ".git" not in p.parts
            }

        before = tree()
        rehearsed = _run(ws, sys.executable, "-m", "nox", "-s", "rehearse", "--", "all", "--quick", env=env)
        out = rehearsed.stdout + rehearsed.stderr
        assert rehearsed.returncode == 0, out[-4000:]
        assert "rehearse: on a temporary copy of" in out and "fx (gate draft)" in out
        assert "commit points (fx promote)" in out and "commit points (fx rollback)" in out
        assert "commit points (fx approve)" in out and "rows held" in out
        assert "  fx promote: step " in out and "  playbook crash-during-promotion (fx): passed" in out  # progress
        assert "playbooks: 5/5 passed" in out
        assert tree() == before  # the repository (even its local state folder) is never written
        assert _run(ws, "git", "status", "--porcelain").stdout == ""

        promoted = _run(ws, sys.executable, "-m", "invoke", "promote", "--framework", "fx", "--gate", "design")
        assert promoted.returncode == 0, promoted.stdout + promoted.stderr
        assert "==> promote" in promoted.stdout
        assert (ws / "governance" / "fx" / "snapshots" / "000001" / "manifest.json.asc").is_file()
        assert _run(ws, sys.executable, "-m", "artigov.cli", "verify", "--all").returncode == 0


def test_rehearse_says_what_a_workspace_needs_never_a_traceback(tmp_path: Path, artigov) -> None:  # type: ignore[no-untyped-def]
    ws = tmp_path / "ws"
    assert artigov("init", ws, "--framework", "fx").returncode == 0
    for plan in (ws / "frameworks").rglob("*.md"):
        plan.unlink()  # no gate can pass without its technical plan
    result = artigov("rehearse", "playbooks", cwd=ws)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no framework has a gate that passes" in result.stderr and "contract check" in result.stderr
    other = artigov("rehearse", "--quick", "-f", "ledger", cwd=ws)  # no such framework: named, with the ones there are
    assert other.returncode == 2 and "cannot rehearse ledger" in other.stderr and "fx" in other.stderr
    for contract in (ws / "contracts").glob("*.yaml"):
        contract.unlink()
    result = artigov("rehearse", cwd=ws)
    assert result.returncode == 2 and "holds no contract" in result.stderr and "Traceback" not in result.stderr
    bad = artigov("rehearse", "everything", cwd=ws)
    assert bad.returncode == 2 and "unknown rehearsal" in bad.stderr
