"""The approval story in a repository made by `artigov init`, through the real command line:
review -> approve (signed) -> promote -> edit after approval -> the gate refuses -> approve again
-> promote; then the report, rendered in headless Chromium and printed to PDF, names the approver
of every input of snapshot 2."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from artigov.core.testkeys import gnupg_home, key_expiry, make_key

Runner = Callable[..., subprocess.CompletedProcess[str]]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ALICE, CAROL = "alice@example.org", "carol@example.org"


def _git(ws: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args], cwd=ws, check=True, capture_output=True
    )


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("class") == "input":
            self.inputs.append(a)


@pytest.fixture(scope="module")
def keys():  # type: ignore[no-untyped-def]
    with gnupg_home() as home:
        yield home, make_key(home, "release signer"), make_key(home, "alice"), make_key(home, "carol")


def _signed_governance_repo(artigov: Runner, ws: Path, keys) -> None:  # type: ignore[no-untyped-def]
    """A repository made by ``artigov init`` with signed approvals required: the root of trust, then
    the people's approval keys in trust version 2 (signed by the root key), indexed and committed."""
    home, signer, alice, carol = keys
    assert artigov("init", ws, "--framework", "fx", "--owner", ALICE).returncode == 0
    config = (ws / "artigov.yaml").read_text().replace("  key: null", f"  key: {signer}\n  gnupghome: {home}")
    (ws / "artigov.yaml").write_text(config)
    contract = ws / "contracts" / "fx.yaml"
    text = contract.read_text().replace(f"    responsible: [{ALICE}]", f"    responsible: [{CAROL}]")
    contract.write_text(text + "require_signed_approvals: true\n")
    assert artigov("trust", "init", "--root", ws).returncode == 0
    people = artigov(
        "trust", "propose", "--add-person", f"fx:{ALICE}:{alice}", "--add-person", f"fx:{CAROL}:{carol}", "--root", ws
    )
    assert people.returncode == 0 and "version 2 accepted" in people.stdout, people.stdout + people.stderr
    assert artigov("index", "rebuild", "--root", ws).returncode == 0
    _git(ws, "init", "-q")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "governance repository")


def _edit_body(path: Path, added: str) -> None:
    """Append ``added`` to the document's body and set its checksum to match (a valid edit)."""
    head, body = path.read_text().split("\n---\n", 1)
    body += added
    checksum = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    path.write_text(re.sub(r"checksum: \S+", f"checksum: {checksum}", head) + "\n---\n" + body)


def test_signed_approval_story_and_its_report(artigov: Runner, tmp_path: Path, keys, printed_pages) -> None:  # type: ignore[no-untyped-def]
    alice = keys[2]
    ws = tmp_path / "gov"
    _signed_governance_repo(artigov, ws, keys)
    plan = "frameworks/fx/plans/technical/technical-plan-0.1.0.md"

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return artigov(*args, cwd=ws)

    def commit(message: str) -> None:
        _git(ws, "add", "-A")
        _git(ws, "commit", "-qm", message)

    # A stranger to the RACI may not approve; nobody skips review.
    skipped = run("approve", plan, "--as", ALICE)
    assert skipped.returncode == 1 and "A001" in skipped.stderr and "review first" in skipped.stderr
    assert run("review", plan, "--as", CAROL).returncode == 0
    approved = run("approve", plan, "--as", ALICE, "--comment", "v0.1 reads well", "--format", "json")
    assert approved.returncode == 0, approved.stderr
    first = json.loads(approved.stdout)
    assert first["command"] == "approve" and first["fingerprint"] == alice and first["changed"] is True
    commit("approve the plan")
    assert run("promote", "--framework", "fx", "--gate", "design", "--commit").returncode == 0
    # an auditor's table: a recorded approval shows its approver and the time of their statement,
    # not the promoter (ARTIGOV_ACTOR) and the time of the promotion that logged it
    table = run("audit", "show", "--framework", "fx").stdout.splitlines()
    recorded = [line for line in table if "approval_recorded" in line and "approve" in line]
    assert recorded and all(ALICE in line and "tests@example.org" not in line for line in recorded), table
    assert any(first["time"][:19].replace("T", " ") in line for line in recorded), (first["time"], recorded)

    _edit_body(ws / plan, "\nA late edit nobody approved.\n")
    assert run("index", "update").returncode == 0
    commit("edit the approved plan")
    gate = run("contract", "check", "--framework", "fx", "--gate", "design")
    assert gate.returncode == 1 and "C011" in gate.stdout
    refused = run("promote", "--framework", "fx", "--gate", "design")
    assert refused.returncode == 1 and "C011" in refused.stdout + refused.stderr
    assert run("approve", plan, "--as", ALICE, "--comment", "the late edit is fine").returncode == 0
    commit("approve the edit")
    promoted = run("promote", "--framework", "fx", "--gate", "design", "--commit", "--format", "json")
    assert promoted.returncode == 0, promoted.stderr
    assert run("verify", "--framework", "fx").returncode == 0

    diff = json.loads(run("diff", "--framework", "fx", "1", "2", "--format", "json").stdout)
    assert [c["fields"] for c in diff["changed"]] == [["checksum"]] and diff["ok"] is True

    page = tmp_path / "report.html"
    assert run("report", "--framework", "fx", "--out", page).returncode == 0
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed (.ci/run installs Debian's chromium)")
    profile = tmp_path / "chromium-profile"
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    parser = _Inputs()
    parser.feed(dom)
    two = [r for r in parser.inputs if r["data-sequence"] == "2"]
    assert two and all(r["data-approvers"] == ALICE for r in two)
    one = [r for r in parser.inputs if r["data-sequence"] == "1"]
    assert one and all(r["data-reviewers"] == CAROL for r in one)  # the review of that content
    assert "alice &lt;alice@example.org&gt;" in dom or "alice <alice@example.org>" in dom  # name from her key
    first_page = printed_pages(page, profile)[0]
    assert "Snapshot history" in first_page and "current" in first_page and "superseded" in first_page


def test_removing_a_risk_after_approval_makes_the_approval_stale(artigov: Runner, tmp_path: Path, keys) -> None:  # type: ignore[no-untyped-def]
    """An approval covers the metadata, not only the body: a risk removed from an approved risk
    register's `risks:` list (the body untouched) fails the gate until it is approved again."""
    home, signer, alice, _carol = keys
    ws = tmp_path / "gov"
    assert artigov("init", ws, "--framework", "fx", "--owner", ALICE).returncode == 0
    config = (ws / "artigov.yaml").read_text().replace("  key: null", f"  key: {signer}\n  gnupghome: {home}")
    (ws / "artigov.yaml").write_text(config)
    contract = ws / "contracts" / "fx.yaml"
    text = contract.read_text().replace(
        "      technical-plan: approved", "      technical-plan: draft\n      risk-register: approved"
    )
    text = text.replace("raci:\n", f"raci:\n  risk-register:\n    accountable: [{ALICE}]\n", 1)
    contract.write_text(text + "require_signed_approvals: true\n")
    register = ws / "frameworks/fx/registers/risk/risks-1.0.0.md"
    register.parent.mkdir(parents=True)
    register.write_text(
        '---\nid: risks\nversion: "1.0.0"\nstatus: review\nframework: fx\nkind: risk-register\n'
        "risks: [R-001, R-002]\n---\n# Risks\n"
    )
    assert artigov("trust", "init", "--root", ws).returncode == 0
    assert artigov("trust", "propose", "--add-person", f"fx:{ALICE}:{alice}", "--root", ws).returncode == 0
    assert artigov("index", "rebuild", "--root", ws).returncode == 0
    approved = artigov("approve", register, "--as", ALICE, "--root", ws)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    gate = ["contract", "check", "--framework", "fx", "--gate", "design", "--root", ws]
    assert artigov(*gate).returncode == 0
    register.write_text(register.read_text().replace("risks: [R-001, R-002]", "risks: [R-001]"))
    assert artigov("index", "update", "--root", ws).returncode == 0
    stale = artigov(*gate)
    assert stale.returncode == 1 and "C011" in stale.stdout and "other metadata" in stale.stdout, stale.stdout
    refused = artigov("promote", "--framework", "fx", "--gate", "design", "--allow-dirty", "--root", ws)
    assert refused.returncode == 1 and "C011" in refused.stdout + refused.stderr


def test_status_keeps_signed_gates_only_until_a_key_expires(artigov: Runner, tmp_path: Path, keys) -> None:  # type: ignore[no-untyped-def]
    """With signed approvals required, the gate checks status keeps hold until the first approval
    key the checks relied on expires; an approval, or an edit after it, is seen on the next run."""
    home, _signer, alice, carol = keys
    ws = tmp_path / "gov"
    _signed_governance_repo(artigov, ws, keys)
    plan = "frameworks/fx/plans/technical/technical-plan-0.1.0.md"

    def design(*args: str) -> dict:  # type: ignore[type-arg]
        out = json.loads(artigov("status", "--format", "json", *args, cwd=ws).stdout)
        return next(g for g in out["frameworks"][0]["gates"] if g["gate"] == "design")

    assert artigov("review", plan, "--as", CAROL, cwd=ws).returncode == 0
    assert design()["passes"] is False  # in review: not approved yet
    assert artigov("approve", plan, "--as", ALICE, cwd=ws).returncode == 0
    assert design()["passes"] is True  # the approval is seen (index and approvals changed)
    kept = json.loads((ws / ".artigov" / "derived-status.json").read_text())
    assert kept["value"]["valid_until"] == min(key_expiry(home, alice), key_expiry(home, carol))
    assert design()["passes"] is True  # read from what was kept
    _edit_body(ws / plan, "\nA late edit nobody approved.\n")
    assert artigov("index", "update", cwd=ws).returncode == 0
    late = design()
    assert late["passes"] is False and "C011" in late["first_finding"]
