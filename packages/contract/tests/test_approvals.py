"""Signed status transitions and the gate's approval checks, with real gpg keys (no mocks).

Three throwaway keys: alice (accountable for technical plans), carol (responsible for them) and
mallory (a stranger the contract does not know).
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from artigov.contract._approvals import statements_for
from artigov.contract._check import check_contract
from artigov.contract._transition import Signoff, transition
from artigov.contract.errors import TransitionError
from artigov.core import Workspace, load_workspace, publish_public_key
from artigov.core.testing import make_artifact, make_workspace
from artigov.core.testkeys import gnupg_home, make_key, write_trust
from artigov.index import rebuild

ALICE, CAROL = "alice@example.org", "carol@example.org"


@dataclass
class Keys:
    home: Path
    alice: str
    carol: str
    mallory: str
    root: str


@pytest.fixture(scope="module")
def keys() -> Iterator[Keys]:
    with gnupg_home() as home:
        yield Keys(
            home, make_key(home, "alice"), make_key(home, "carol"), make_key(home, "mallory"), make_key(home, "root")
        )


def contract(keys: Keys, *, signed: bool = True, people: str | None = None, extra: str = "") -> str:
    return (
        textwrap.dedent(f"""\
        framework: f
        allowed_kinds: [technical-plan, risk-register]
        require_signed_approvals: {str(signed).lower()}
        raci:
          technical-plan:
            responsible: [{CAROL}]
            accountable: [{ALICE}]
          risk-register:
            accountable: [{ALICE}]
        gates:
          - name: design
            requires:
              technical-plan: approved
        """)
        + extra
    )


def make_ws(root: Path, keys: Keys, *, status: str = "draft", **kw: object) -> Workspace:
    config = f"artifacts: [frameworks/**]\nsigning:\n  gnupghome: {keys.home}\n"
    files: dict[str, str | bytes] = {
        "contracts/f.yaml": contract(keys, **kw),  # type: ignore[arg-type]
        "frameworks/tp.md": make_artifact(
            "tp",
            status=status,
            framework="f",
            extra="# the plan's owner keeps this comment\ntitle: Plan",
            body="# Plan v1\n",
        ),
    }
    ws = load_workspace(make_workspace(root, config, files))
    rebuild(ws)
    given = kw.get("people")
    text = given if isinstance(given, str) else f"  {ALICE}: [{keys.alice}]\n  {CAROL}: [{keys.carol}]\n"
    # whose approval keys count: the trust document (a contract's people: counts for nothing)
    write_trust(ws, keys.root, people={"f": yaml.safe_load("people:\n" + text)["people"] or {}})
    return ws


def gate(ws: Workspace) -> list[str]:
    return [f.code for f in check_contract(ws, "f", "design").findings]


def tp(ws: Workspace) -> Path:
    return ws.root / "frameworks/tp.md"


def test_review_then_signed_approval_passes_the_gate(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys)
    before = tp(ws).read_text()
    sub = transition(ws, tp(ws), "review", Signoff(who=CAROL))
    assert (sub.from_status, sub.to_status, sub.role, sub.fingerprint) == ("draft", "review", "responsible", keys.carol)
    done = transition(ws, tp(ws), "approve", Signoff(who=ALICE, comment="looks right"))
    assert (done.from_status, done.to_status, done.role, done.fingerprint) == (
        "review",
        "approved",
        "accountable",
        keys.alice,
    )
    text = tp(ws).read_text()
    # Edited in place: the comment and the body stay, status/approved_by/updated_at are set.
    assert "# the plan's owner keeps this comment" in text and text.endswith("# Plan v1\n")
    assert "status: approved" in text and f"- {ALICE}" in text and "updated_at:" in text
    assert before.split("---")[2] == text.split("---")[2]  # the body, byte for byte
    st = json.loads((ws.root / done.statement).read_bytes())  # type: ignore[operator]
    assert st["checksum"] == done.checksum and st["decision"] == "approve" and st["comment"] == "looks right"
    assert (ws.root / f"{done.statement}.asc").is_file() and (ws.keys_dir / f"{keys.alice}.asc").is_file()
    # The signature verifies with plain gpg against the committed key alone.
    with gnupg_home() as fresh:
        subprocess.run(
            ["gpg", "--homedir", str(fresh), "--import", str(ws.keys_dir / f"{keys.alice}.asc")],
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            [
                "gpg",
                "--homedir",
                str(fresh),
                "--status-fd",
                "1",
                "--verify",
                f"{ws.root / done.statement}.asc",
                str(ws.root / done.statement),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    assert out.returncode == 0 and f"VALIDSIG {keys.alice}" in out.stdout
    assert gate(ws) == []
    # Idempotent: approving the same content again changes nothing.
    again = transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    assert not again.changed and len(statements_for(ws, "f", "tp", "1.0.0")) == 2


def test_refused_transitions_each_have_their_code_and_write_nothing(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys)
    snapshot = {p: p.read_bytes() for p in ws.root.rglob("*") if p.is_file() and ".artigov" not in p.parts}

    def refused(code: str, action: str, **kw: object) -> TransitionError:
        with pytest.raises(TransitionError) as e:
            transition(ws, tp(ws), action, Signoff(**kw))  # type: ignore[arg-type]
        assert e.value.code == code, str(e.value)
        assert e.value.fix
        return e.value

    assert "review first" in refused("A001", "approve", who=ALICE).fix  # skips review
    refused("A003", "review", who="mallory@example.org")  # RACI gives the stranger no role
    refused("A007", "reject", who=ALICE)  # a rejection needs a reason
    refused("A008", "review", who="../../etc")
    refused("A004", "review", who=CAROL, key=keys.mallory)  # someone else's key
    transition(ws, tp(ws), "review", Signoff(who=ALICE))  # alice submits it herself...
    refused("A002", "approve", who=ALICE)  # ...so she may not approve it
    refused("A003", "approve", who=CAROL)  # responsible is not accountable
    assert {p for p in ws.root.rglob("*") if p.is_file() and ".artigov" not in p.parts} - set(snapshot) == {
        p for p in (ws.record_dir / "f" / "approvals").rglob("*") if p.is_file()
    }  # alice's public key was committed with the trust version already


def test_only_a_valid_artifact_moves(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys)
    tp(ws).write_text(tp(ws).read_text().replace("status: draft", "status: drafty"))
    for target in (tp(ws), ws.root / "frameworks", tmp_path / "elsewhere.md"):
        with pytest.raises(TransitionError) as e:
            transition(ws, target, "review", Signoff(who=CAROL))
        assert e.value.code == "A006" and e.value.fix


def test_no_key_where_signatures_are_required_is_refused(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review", people=f"  {CAROL}: [{keys.carol}]\n")
    with pytest.raises(TransitionError) as e:
        transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    assert e.value.code == "A005"


def _approve_by_hand(ws: Workspace) -> None:
    path = tp(ws)
    path.write_text(path.read_text().replace("status: review", f"status: approved\napproved_by: [{ALICE}]"))
    rebuild(ws)


def test_unsigned_approved_by_fails_a_gate_that_requires_signatures(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review")
    _approve_by_hand(ws)
    assert gate(ws) == ["C010"]


def test_unsigned_approved_by_is_a_warning_where_signatures_are_not_required(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review", signed=False)
    _approve_by_hand(ws)
    report = check_contract(ws, "f", "design")
    assert report.ok and [w.code for w in report.warnings] == ["C015"]


def test_an_edit_after_approval_makes_it_stale_until_approved_again(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review")
    transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    tp(ws).write_text(tp(ws).read_text().replace("# Plan v1", "# Plan v1, edited"))
    rebuild(ws)
    assert gate(ws) == ["C011"]
    again = transition(ws, tp(ws), "approve", Signoff(who=ALICE, comment="re-read the edit"))
    assert again.changed and again.from_status == "approved" and again.statement.endswith(f"{ALICE}.2.json")  # type: ignore[union-attr]
    assert gate(ws) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("title: Plan", "title: Plan (renamed)"),  # the title changed after approval
        ("title: Plan", "title: Plan\nscope: [everything]"),  # a field added
    ],
)
def test_a_metadata_edit_after_approval_makes_it_stale(tmp_path: Path, keys: Keys, before: str, after: str) -> None:
    ws = make_ws(tmp_path, keys, status="review")
    done = transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    statement = json.loads((ws.root / str(done.statement)).read_bytes())
    assert statement["metadata"].startswith("sha256:") and statement["format_version"] == 2
    tp(ws).write_text(tp(ws).read_text().replace(before, after))
    rebuild(ws)
    findings = check_contract(ws, "f", "design").findings
    assert [f.code for f in findings] == ["C011"] and "other metadata" in findings[0].message
    transition(ws, tp(ws), "approve", Signoff(who=ALICE, comment="re-read the metadata"))
    assert gate(ws) == []


def test_the_fields_a_transition_writes_do_not_make_an_approval_stale(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review")
    transition(ws, tp(ws), "approve", Signoff(who=ALICE))  # it wrote status, approved_by and updated_at itself
    import re

    text = tp(ws).read_text()
    edited = re.sub(r"^updated_at:.*$", "updated_at: '2030-01-01T00:00:00Z'", text, count=1, flags=re.MULTILINE)
    assert edited != text
    tp(ws).write_text(edited)
    rebuild(ws)
    assert gate(ws) == []


def test_a_statement_from_before_metadata_was_covered_passes_with_a_warning(tmp_path: Path, keys: Keys) -> None:
    from artigov.core import canonical_json, sign_detached

    ws = make_ws(tmp_path, keys, status="review")
    done = transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    path = ws.root / str(done.statement)
    old = json.loads(path.read_bytes())
    for field in ("metadata", "trust_version"):
        del old[field]
    old["format_version"] = 1
    data = canonical_json(old)
    path.chmod(0o644)
    path.write_bytes(data)
    path.with_name(path.name + ".asc").write_bytes(sign_detached(data, keys.alice, keys.home))
    report = check_contract(ws, "f", "design")
    assert report.findings == [] and [w.code for w in report.warnings] == ["C016"]
    assert "cover the body only" in report.warnings[0].message


def _resigned(ws: Workspace, statement: str, key: str, home: Path) -> None:
    from artigov.core import sign_detached

    path = ws.root / statement
    path.with_name(path.name + ".asc").write_bytes(sign_detached(path.read_bytes(), key, home))


def test_a_statement_signed_by_someone_elses_key_is_refused(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review")
    done = transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    _resigned(ws, str(done.statement), keys.carol, keys.home)  # carol signs a statement that names alice
    assert gate(ws) == ["C012"]
    assert "signed by carol@example.org's key" in check_contract(ws, "f", "design").findings[0].message


def test_a_stranger_signing_is_refused(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review")
    done = transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    publish_public_key(ws, keys.mallory)  # even with the stranger's key committed
    _resigned(ws, str(done.statement), keys.mallory, keys.home)
    assert gate(ws) == ["C012"]


def test_a_key_the_contract_gives_counts_for_nothing(tmp_path: Path, keys: Keys) -> None:
    """A pull request adds mallory's key to alice in the contract's (retired) people: and approves as
    alice with it: the trust document says whose key is whose, so the approval cannot count."""
    ws = make_ws(tmp_path, keys, status="review", signed=True, people=f"  {CAROL}: [{keys.carol}]\n")
    path = ws.root / "contracts/f.yaml"
    path.write_text(path.read_text() + f"people:\n  {ALICE}: [{keys.mallory}]\n")
    with pytest.raises(TransitionError) as e:
        transition(ws, tp(ws), "approve", Signoff(who=ALICE, key=keys.mallory))
    assert e.value.code == "A004" and "trust version 1 gives no key for alice@example.org" in str(e.value)
    unsigned = make_ws(tmp_path / "b", keys, status="review", signed=False, people=f"  {CAROL}: [{keys.carol}]\n")
    # allowed unsigned... signed anyway
    transition(unsigned, tp(unsigned), "approve", Signoff(who=ALICE, key=keys.mallory))
    (unsigned.root / "contracts/f.yaml").write_text(contract(keys) + f"people:\n  {ALICE}: [{keys.mallory}]\n")
    publish_public_key(unsigned, keys.mallory)
    assert gate(unsigned) == ["C013"]  # its trust version gives alice no key: never checked against the contract


def test_a_tampered_statement_is_refused(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review")
    done = transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    path = ws.root / str(done.statement)
    path.write_bytes(path.read_bytes().replace(b'"comment":""', b'"comment":"forged"'))
    assert gate(ws) == ["C012"]


def test_the_approvers_key_must_be_committed(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review")
    transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    (ws.keys_dir / f"{keys.alice}.asc").unlink()
    assert gate(ws) == ["C013"]


def test_a_rejection_sends_it_back_and_blocks_the_old_approval(tmp_path: Path, keys: Keys) -> None:
    ws = make_ws(tmp_path, keys, status="review")
    transition(ws, tp(ws), "approve", Signoff(who=ALICE))
    done = transition(ws, tp(ws), "reject", Signoff(who=ALICE, comment="risk R-2 is missing"))
    assert (done.from_status, done.to_status) == ("approved", "draft")
    assert "status: draft" in tp(ws).read_text()
    # Someone puts the approval back by hand: the latest word of alice is a rejection.
    tp(ws).write_text(
        tp(ws)
        .read_text()
        .replace("status: draft", "status: approved")
        .replace("approved_by: []", f"approved_by: [{ALICE}]")
    )
    rebuild(ws)
    assert "C014" in gate(ws)


def test_a_statement_reads_back_through_its_type_byte_for_byte(tmp_path: Path, keys: Keys) -> None:
    """What review/approve write is what ApprovalStatement.to_bytes gives back from from_bytes;
    a file that is not a statement (other type, missing field, wrong type) is refused and approves nothing."""
    from artigov.contract import ApprovalStatement
    from artigov.contract._approvals import read_statement

    ws = make_ws(tmp_path, keys)
    transition(ws, tp(ws), "review", Signoff(who=CAROL))
    done = transition(ws, tp(ws), "approve", Signoff(who=ALICE, comment="looks right"))
    path = ws.root / str(done.statement)
    data = path.read_bytes()
    st = ApprovalStatement.from_bytes(data)
    assert st.to_bytes() == data
    assert (st.decision, st.from_status, st.to_status, st.approver) == ("approve", "review", "approved", ALICE)
    assert st.covers_metadata and st.metadata is not None and st.trust_version == 1
    body = json.loads(data)
    format_1 = {k: v for k, v in body.items() if k not in ("metadata", "trust_version")} | {"format_version": 1}
    old = ApprovalStatement.from_bytes(json.dumps(format_1).encode())
    assert not old.covers_metadata and old.metadata is None and old.trust_version is None
    for broken, said in (
        ({**body, "type": "something-else"}, "not an artigov approval statement"),
        ({k: v for k, v in body.items() if k != "checksum"}, "checksum"),
        ({**body, "trust_version": "2"}, "trust_version"),
        ({**body, "format_version": 3}, "format_version"),
    ):
        with pytest.raises(ValueError, match=said):
            ApprovalStatement.from_bytes(json.dumps(broken).encode())
    path.chmod(0o644)
    path.write_bytes(json.dumps({**body, "id": 5}).encode())
    unread = read_statement(ws, path)
    assert unread is not None and unread.body is None and unread.decision == "" and unread.approver == ""
