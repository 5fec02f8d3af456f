"""``contract check``: does the framework's artifact set satisfy its contract (and a gate)?"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from artigov.contract._approvals import ApprovalChecker, current_statements
from artigov.contract._model import Contract, ContractError, Gate, load_contract
from artigov.core import Finding, Workspace, get_logger, sort_findings
from artigov.index import read_framework
from artigov.schema import STATUS_RANK

if TYPE_CHECKING:
    from artigov.index import Entries, Entry

__all__ = ["ContractReport", "check_all_gates", "check_contract"]

log = get_logger(__name__)


@dataclass
class ContractReport:
    """What ``contract check`` found for one framework (and gate): findings fail it, warnings do not."""

    framework: str
    gate: str | None
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    #: Things an auditor should know that do not fail the gate (unsigned approvals the contract allows).
    warnings: list[Finding] = field(default_factory=list)
    #: When time alone could change the result (a key or signature it relied on expires; epoch
    #: seconds), or None: a kept copy of this report holds until its inputs change.
    valid_until: int | None = None

    @property
    def ok(self) -> bool:
        """True when the gate passes (warnings do not count)."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON values (``artigov contract check --format json``)."""
        return {
            "framework": self.framework,
            "gate": self.gate,
            "ok": self.ok,
            "checked": self.checked,
            "findings": [f.to_dict() for f in self.findings],
            "warnings": [f.to_dict() for f in self.warnings],
        }


def _f(code: str, file: str, message: str, fix: str, pointer: str = "") -> Finding:
    return Finding(code=code, file=file, message=message, fix=fix, pointer=pointer)


def _gate_findings(ws: Workspace, contract: Contract, gate_name: str, entries: Entries, report: ContractReport) -> None:
    """What gate ``gate_name`` misses in ``entries``, added to ``report`` (its findings, its warnings,
    and until when the answer holds)."""
    rel = ws.rel(contract.path)
    gate = contract.gate(gate_name)
    if gate is None:
        names = ", ".join(g.name for g in contract.gates)
        report.findings.append(
            _f("C007", rel, f"no gate {gate_name!r} in the contract", f"use one of: {names}", "/gates")
        )
        return
    by_kind: dict[str, Entries] = {}
    for path, entry in entries.items():
        by_kind.setdefault(entry["kind"], {})[path] = entry
    checker = ApprovalChecker(ws, contract)
    with checker:
        gate_check = _GateCheck(contract, gate, rel, checker, report.warnings)
        for kind in sorted(gate.requires):
            report.findings += _kind_findings(gate_check, kind, by_kind.get(kind, {}))
        report.valid_until = checker.valid_until()


@dataclass(frozen=True)
class _GateCheck:
    """One gate of a contract (``rel``: the contract file) checked kind by kind; the approvals
    through ``checker``, warnings into ``warnings``."""

    contract: Contract
    gate: Gate
    rel: str
    checker: ApprovalChecker
    warnings: list[Finding]


def _kind_findings(run: _GateCheck, kind: str, of_kind: Entries) -> list[Finding]:
    """The gate's requirement for ``kind`` (``of_kind``: its entries): present, at its minimum
    status, approved as RACI says."""
    contract, gate, rel, checker, warnings = run.contract, run.gate, run.rel, run.checker, run.warnings
    minimum = gate.requires[kind]
    if not of_kind:
        return [
            _f(
                "C003",
                rel,
                f"gate {gate.name!r} requires a {kind!r} artifact; there is none",
                f"add a {kind!r} artifact with status {minimum} or better",
                f"/gates/{gate.name}/requires/{kind}",
            )
        ]
    eligible = {p: e for p, e in of_kind.items() if STATUS_RANK[e["status"]] >= STATUS_RANK[minimum]}
    if not eligible:
        best = max(of_kind.values(), key=lambda e: STATUS_RANK[e["status"]])["status"]
        return [
            _f(
                "C004",
                rel,
                f"gate {gate.name!r} requires {kind!r} at status {minimum} or better; the best is {best}",
                f"move a {kind!r} artifact to {minimum} (with its approval)",
                f"/gates/{gate.name}/requires/{kind}",
            )
        ]
    findings: list[Finding] = []
    unsigned: list[str] = []
    body_only: list[str] = []
    accountable = set(contract.accountable(kind))
    for path, entry in sorted(eligible.items()):
        if entry["status"] != "approved":
            continue
        findings += _raci_findings(kind, gate, path, list(entry.get("approved_by", [])), accountable)
        findings.extend(checker.findings(path, entry, gate.name))
        if not contract.require_signed_approvals and _unsigned(checker, entry):
            unsigned.append(path)
        if checker.body_only(entry):
            body_only.append(path)
    if unsigned:
        warnings.append(_unsigned_warning(kind, unsigned))
    if body_only:
        warnings.append(_body_only_warning(kind, body_only))
    return findings


def _raci_findings(kind: str, gate: Gate, path: str, approvers: list[str], accountable: set[str]) -> list[Finding]:
    """C005 when the approved ``path`` has fewer approvers than the gate needs; C006 for each
    approver RACI does not make accountable for ``kind``."""
    findings: list[Finding] = []
    if len(approvers) < gate.min_approvals:
        findings.append(
            _f(
                "C005",
                path,
                f"approved {kind!r} has {len(approvers)} approver(s); gate {gate.name!r} needs {gate.min_approvals}",
                f"add approved_by: [{', '.join(sorted(accountable)) or '<accountable person>'}]",
                "/approved_by",
            )
        )
    for person in approvers:
        if person not in accountable:
            who = ", ".join(sorted(accountable)) or "nobody (add RACI for this kind)"
            findings.append(
                _f(
                    "C006",
                    path,
                    f"{person} approved this {kind!r} but is not accountable for it under RACI (accountable: {who})",
                    "have an accountable person approve it, or fix the RACI",
                    "/approved_by",
                )
            )
    return findings


def _unsigned(checker: ApprovalChecker, entry: Entry) -> bool:
    """True if an approver is listed without a signed statement (allowed by this contract)."""
    if entry["id"] not in checker.ids:
        return bool(entry.get("approved_by"))
    current = current_statements(checker.statements(entry))
    return any((st := current.get(who)) is None or st.signature is None for who in entry.get("approved_by", []))


def _per_kind(code: str, paths: list[str], message: str, fix: str) -> Finding:
    """ONE warning per kind, naming the first document (``{first}``, ``{more}`` in the texts): a large
    framework must not print thousands."""
    first = sorted(paths, key=lambda p: p.encode("utf-8"))[0]
    more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
    return _f(code, first, message.format(first=first, more=more), fix.format(first=first), "/approved_by")


def _unsigned_warning(kind: str, paths: list[str]) -> Finding:
    return _per_kind(
        "C015",
        paths,
        f"{len(paths)} approved {kind!r} document(s) list approvers without a signed approval statement: "
        "{first}{more} (accepted: the contract does not set require_signed_approvals)",
        "have each approver run `artigov approve PATH` (e.g. artigov approve {first}), "
        "then set require_signed_approvals: true",
    )


def _body_only_warning(kind: str, paths: list[str]) -> Finding:
    return _per_kind(
        "C016",
        paths,
        f"{len(paths)} approved {kind!r} document(s) rest on approvals that cover the body only (made before "
        "statements covered the metadata): {first}{more}; a later metadata edit would not make them stale",
        "have the approver approve again to cover the metadata too (e.g. artigov approve {first})",
    )


def check_contract(
    ws: Workspace, framework: str, gate: str | None = None, *, entries: Entries | None = None
) -> ContractReport:
    """Check the contract itself and the allowed kinds; with ``gate``, the gate's requirements too.

    The artifact set is the framework's slice of the index (recovered first), or ``entries`` when
    the caller already read it (path -> entry, this framework's only).
    """
    report = ContractReport(framework, gate)
    try:
        contract = load_contract(ws, framework)
    except ContractError as e:
        report.findings = e.findings
        _log(report)
        return report
    rel = ws.rel(contract.path)
    if entries is None:
        entries = read_framework(ws, framework).entries
    report.checked = len(entries)
    for path, entry in sorted(entries.items()):
        if entry["kind"] not in contract.allowed_kinds:
            report.findings.append(
                _f(
                    "C002",
                    path,
                    f"kind {entry['kind']!r} is not allowed in framework {framework!r}",
                    f"add {entry['kind']!r} to allowed_kinds in {rel}, or move the artifact out",
                    "/kind",
                )
            )
    if gate is not None:
        _gate_findings(ws, contract, gate, entries, report)
    report.findings = sort_findings(report.findings)
    report.warnings = sort_findings(report.warnings)
    _log(report)
    return report


def _earliest(a: int | None, b: int | None) -> int | None:
    """The earlier of two ``valid_until`` times (None: never)."""
    return b if a is None else a if b is None else min(a, b)


def _log(report: ContractReport) -> None:
    for f in report.findings:
        log.info(
            "contract_finding",
            audit=True,
            framework=report.framework,
            subject=f.file,
            outcome="finding",
            code=f.code,
            gate=report.gate,
            message=f.message,
        )
    log.info(
        "gate_checked" if report.gate else "contract_checked",
        audit=True,
        framework=report.framework,
        subject=report.gate or report.framework,
        outcome="passed" if report.ok else "failed",
        findings=len(report.findings),
    )


def stale_index_finding(ws: Workspace) -> Finding | None:
    """C017 when the workspace COMMITS its index (``index_committed: true``) and that index differs
    from the files (a local index is kept fresh by the reader itself): the finding a contract check
    in CI adds, so a pull request that changes a document without its index line is never green."""
    if not ws.index_committed:
        return None
    from artigov.index import verify_by_stats

    drift = verify_by_stats(ws, refresh=False)  # a committed index: nothing to refresh
    if drift.ok:
        return None
    paths = [*drift.added, *drift.changed, *drift.removed]
    return _f(
        "C017",
        ws.rel(ws.index_path),
        f"the committed index differs from the files in {len(paths)} path(s) (first: {paths[0]}): "
        "the gates were checked against the index, not the documents",
        "run `artigov index update`, review the change, and commit the index",
        "",
    )


def check_all_gates(ws: Workspace, framework: str) -> ContractReport:
    """The contract and every one of its gates, as one report (each finding once)."""
    entries = read_framework(ws, framework).entries
    base = check_contract(ws, framework, None, entries=entries)
    try:
        contract = load_contract(ws, framework)
    except ContractError:
        return base
    report = ContractReport(framework, "*", list(base.findings), base.checked)
    seen = {f.sort_key() for f in report.findings}
    warned: set[tuple[bytes, int, str, str, str]] = set()
    for gate in contract.gates:
        one = check_contract(ws, framework, gate.name, entries=entries)
        report.valid_until = _earliest(report.valid_until, one.valid_until)
        for finding in one.findings:
            if finding.sort_key() not in seen:
                seen.add(finding.sort_key())
                report.findings.append(finding)
        for warning in one.warnings:
            if warning.sort_key() not in warned:
                warned.add(warning.sort_key())
                report.warnings.append(warning)
    report.findings = sort_findings(report.findings)
    report.warnings = sort_findings(report.warnings)
    return report
