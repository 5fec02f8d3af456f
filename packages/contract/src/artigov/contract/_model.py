"""Framework contracts: ``contracts/<framework>.yaml``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.contract.errors import ContractError
from artigov.core import (
    Check,
    Finding,
    Workspace,
    YamlSafetyError,
    check_framework_name,
    compile_schema,
    load_yaml,
    packaged_schema,
)

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

__all__ = ["Contract", "ContractError", "Gate", "Trigger", "contract_frameworks", "contract_path", "load_contract"]


@dataclass(frozen=True)
class Gate:
    """A gate of a contract: the status each kind must have, and how many approvals it needs."""

    name: str
    requires: dict[str, str]
    min_approvals: int = 1


@dataclass(frozen=True)
class Trigger:
    """A rollback trigger: the event it watches (``on``) and what it does (``action``)."""

    on: str
    action: str


@dataclass(frozen=True)
class Contract:
    """A framework's contract, loaded and checked: allowed kinds, gates, RACI, people, triggers, retention."""

    framework: str
    path: Path
    allowed_kinds: tuple[str, ...]
    gates: tuple[Gate, ...]
    raci: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    draft_fallback: str = "none"
    keep_last: int | None = None
    keep_days: int | None = None
    triggers: tuple[Trigger, ...] = ()
    people: dict[str, tuple[str, ...]] = field(default_factory=dict)
    require_signed_approvals: bool = False
    forbid_self_approval: bool = True

    def gate(self, name: str) -> Gate | None:
        """The gate called ``name``, or None."""
        return next((g for g in self.gates if g.name == name), None)

    def accountable(self, kind: str) -> tuple[str, ...]:
        """Who is accountable for ``kind`` under the contract's RACI (none: nobody)."""
        return self.raci.get(kind, {}).get("accountable", ())

    def role_of(self, person: str, kind: str) -> str | None:
        """``person``'s RACI role for ``kind`` (accountable wins over responsible), or None."""
        roles = self.raci.get(kind, {})
        for role in ("accountable", "responsible", "consulted", "informed"):
            if person in roles.get(role, ()):
                return role
        return None

    def keys_of(self, person: str) -> tuple[str, ...]:
        """The key fingerprints ``people:`` gives ``person`` (empty if none)."""
        return self.people.get(person, ())


def contract_path(ws: Workspace, framework: str) -> Path:
    """Where the contract of ``framework`` lives: ``contracts/<framework>.yaml``."""
    return ws.contracts_dir / f"{framework}.yaml"


def contract_frameworks(ws: Workspace) -> list[str]:
    """The frameworks that have a contract (``contracts/<name>.yaml``), sorted."""
    return sorted(p.stem for p in ws.contracts_dir.glob("*.yaml")) if ws.contracts_dir.is_dir() else []


def _schema() -> dict[str, Any]:
    return packaged_schema("artigov.contract", "contract.schema.json")


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    """The full validator, loaded only to explain a contract the compiled check doubts (importing
    jsonschema costs every command that reads a contract ~65 ms: the promote's determinism
    subprocess included)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema())


@lru_cache(maxsize=1)
def _certainly_valid() -> Check:
    """The check compiled from the schema file: True only for contracts certainly valid."""
    return compile_schema(_schema())


def load_contract(ws: Workspace, framework: str) -> Contract:
    """Load and check ``contracts/<framework>.yaml`` (see :func:`_load_contract`); a file whose
    stamp (size, mtime, ctime, inode) is unchanged is not parsed and checked again."""
    path = contract_path(ws, check_framework_name(framework))
    try:
        st = path.stat()
    except OSError:
        return _load_contract(ws, framework)
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, str(ws.root))
    cached = _LOADED.get(key)
    if cached is None:
        cached = _load_contract(ws, framework)
        if time.time_ns() - st.st_mtime_ns < _RACY_NS:
            return cached  # written just now: a same-size rewrite in the same clock tick would look alike
        if len(_LOADED) > 256:
            _LOADED.clear()
        _LOADED[key] = cached
    return cached


#: Contracts already loaded in this process, by file stamp (files older than _RACY_NS only).
_RACY_NS = 2_000_000_000
_LOADED: dict[tuple[str, int, int, int, int, str], Contract] = {}


def _load_contract(ws: Workspace, framework: str) -> Contract:
    """Load and check ``contracts/<framework>.yaml``.

    Raises:
        ContractError: C001 when there is no contract; C008 findings for
            every schema problem and C009 for inconsistencies (a gate or RACI
            entry for a kind the contract does not allow, a duplicate gate,
            a framework field that does not match the file name).
    """
    path = contract_path(ws, check_framework_name(framework))
    rel = ws.rel(path) if path.is_relative_to(ws.root) else str(path)
    if not path.is_file():
        known = contract_frameworks(ws)
        raise ContractError(
            [
                Finding(
                    "C001",
                    rel,
                    f"no contract for framework {framework!r}",
                    f"create {rel}" + (f" (known frameworks: {', '.join(known)})" if known else ""),
                )
            ]
        )
    try:
        value = load_yaml(path.read_text("utf-8"))
    except UnicodeDecodeError:
        raise ContractError([Finding("C008", rel, "not UTF-8", "save it as UTF-8")]) from None
    except YamlSafetyError as e:
        raise ContractError([Finding("C008", rel, e.message, e.fix or "fix the YAML", e.line)]) from None
    findings = (
        []
        if _certainly_valid()(value)
        else [
            Finding(
                "C008",
                rel,
                err.message,
                "see schemas/contract.schema.json",
                None,
                "/" + "/".join(map(str, err.absolute_path)),
            )
            for err in sorted(_validator().iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
        ]
    )
    if findings:
        raise ContractError(findings)
    assert isinstance(value, dict)
    return _build(value, path, rel, framework)


def _gates(value: dict[str, Any], rel: str, allowed: tuple[str, ...], findings: list[Finding]) -> list[Gate]:
    """The contract's gates; a gate declared twice, or requiring a kind not allowed, adds a C009."""
    gates = []
    seen: set[str] = set()
    for i, g in enumerate(value["gates"]):
        if g["name"] in seen:
            findings.append(
                Finding(
                    "C009",
                    rel,
                    f"gate {g['name']!r} is declared twice",
                    "give each gate a distinct name",
                    pointer=f"/gates/{i}/name",
                )
            )
        seen.add(g["name"])
        for kind in g["requires"]:
            if kind not in allowed:
                findings.append(
                    Finding(
                        "C009",
                        rel,
                        f"gate {g['name']!r} requires {kind!r}, which allowed_kinds does not list",
                        f"add {kind!r} to allowed_kinds",
                        pointer=f"/gates/{i}/requires/{kind}",
                    )
                )
        gates.append(Gate(g["name"], dict(g["requires"]), int(g.get("min_approvals", 1))))
    return gates


def _people(value: dict[str, Any], rel: str, findings: list[Finding]) -> dict[str, tuple[str, ...]]:
    """Person -> their key fingerprints (upper case); a key given to two people adds a C009."""
    people = {person: tuple(f.upper() for f in fprs) for person, fprs in value.get("people", {}).items()}
    owners: dict[str, str] = {}
    for person, fprs in sorted(people.items()):
        for fpr in fprs:
            if fpr in owners:
                findings.append(
                    Finding(
                        "C009",
                        rel,
                        f"key {fpr} is given to both {owners[fpr]} and {person}",
                        "give each person their own key: an approval must name one approver",
                        pointer=f"/people/{person}",
                    )
                )
            owners[fpr] = person
    return people


def _build(value: dict[str, Any], path: Path, rel: str, framework: str) -> Contract:
    findings: list[Finding] = []
    allowed = tuple(value["allowed_kinds"])
    if value["framework"] != framework:
        findings.append(
            Finding(
                "C009",
                rel,
                f"framework {value['framework']!r} does not match the file name {path.name}",
                f"set framework: {framework}",
                pointer="/framework",
            )
        )
    gates = _gates(value, rel, allowed, findings)
    raci = {}
    for kind, roles in value.get("raci", {}).items():
        if kind not in allowed:
            findings.append(
                Finding(
                    "C009",
                    rel,
                    f"RACI for {kind!r}, which allowed_kinds does not list",
                    f"add {kind!r} to allowed_kinds or remove its RACI",
                    pointer=f"/raci/{kind}",
                )
            )
        raci[kind] = {role: tuple(people) for role, people in roles.items()}
    people = _people(value, rel, findings)
    if findings:
        raise ContractError(findings)
    retention = value.get("retention", {})
    return Contract(
        framework=framework,
        path=path,
        allowed_kinds=allowed,
        gates=tuple(gates),
        raci=raci,
        draft_fallback=value.get("draft_fallback", "none"),
        keep_last=retention.get("keep_last"),
        keep_days=retention.get("keep_days"),
        triggers=tuple(Trigger(t["on"], t["action"]) for t in value.get("rollback_triggers", [])),
        people=people,
        require_signed_approvals=bool(value.get("require_signed_approvals", False)),
        forbid_self_approval=bool(value.get("forbid_self_approval", True)),
    )
