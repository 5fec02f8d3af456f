from __future__ import annotations

from pathlib import Path

import pytest

from artigov.contract import ContractError, check_contract, load_contract
from artigov.core import load_workspace
from artigov.core.testing import make_artifact, make_workspace
from artigov.index import rebuild

CONTRACT = """\
framework: f
allowed_kinds: [technical-plan, risk-register]
raci:
  technical-plan:
    accountable: [alice@example.org]
  risk-register:
    accountable: [bob@example.org]
gates:
  - name: design
    requires:
      technical-plan: approved
  - name: draft-review
    requires:
      technical-plan: draft
      risk-register: review
rollback_triggers:
  - on: verify_failed
    action: rollback
"""


def _ws(tmp_path: Path, files: dict[str, str | bytes], contract: str = CONTRACT):  # type: ignore[no-untyped-def]
    ws = load_workspace(make_workspace(tmp_path, files={"contracts/f.yaml": contract, **files}))
    rebuild(ws)
    return ws


def _codes(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in report.findings]


def test_contract_loads_with_yaml12_trigger_keys(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {})
    contract = load_contract(ws, "f")
    assert contract.triggers[0].on == "verify_failed"
    assert [g.name for g in contract.gates] == ["design", "draft-review"]


def test_gate_passes_with_accountable_approval(tmp_path: Path) -> None:
    art = make_artifact("tp", status="approved", framework="f", extra="approved_by: [alice@example.org]")
    report = check_contract(_ws(tmp_path, {"frameworks/tp.md": art}), "f", "design")
    assert report.ok, report.findings


@pytest.mark.parametrize(
    ("files", "gate", "code"),
    [
        ({}, "design", "C003"),
        ({"frameworks/tp.md": make_artifact("tp", status="review", framework="f")}, "design", "C004"),
        ({"frameworks/tp.md": make_artifact("tp", status="approved", framework="f")}, "design", "C005"),
        (
            {
                "frameworks/tp.md": make_artifact(
                    "tp", status="approved", framework="f", extra="approved_by: [mallory@example.org]"
                )
            },
            "design",
            "C006",
        ),
        ({"frameworks/x.md": make_artifact("x", framework="f", kind="summary-report")}, None, "C002"),
        ({}, "nope", "C007"),
    ],
)
def test_each_finding_code(tmp_path: Path, files: dict[str, str | bytes], gate: str | None, code: str) -> None:
    report = check_contract(_ws(tmp_path, files), "f", gate)
    assert code in _codes(report), report.findings
    assert all(f.fix for f in report.findings)


def test_unknown_framework(tmp_path: Path) -> None:
    report = check_contract(_ws(tmp_path, {}), "nope")
    assert _codes(report) == ["C001"] and "known frameworks: f" in report.findings[0].fix


@pytest.mark.parametrize(
    ("contract", "code"),
    [
        ("framework: f\nallowed_kinds: []\ngates: []\n", "C008"),
        ("framework: f\nallowed_kinds: [a]\ngates: [{name: g, requires: {b: approved}}]\n", "C009"),
        ("framework: other\nallowed_kinds: [a]\ngates: [{name: g, requires: {a: approved}}]\n", "C009"),
        ("framework: f\nallowed_kinds: [a]\ngates: [{name: g, requires: {a: final}}]\n", "C008"),
        ("framework: f\nallowed_kinds: [a]\n  bad: indent\n", "C008"),
    ],
)
def test_invalid_contracts(tmp_path: Path, contract: str, code: str) -> None:
    ws = _ws(tmp_path, {}, contract)
    with pytest.raises(ContractError) as info:
        load_contract(ws, "f")
    assert info.value.findings[0].code == code
    assert _codes(check_contract(ws, "f"))[0] == code
