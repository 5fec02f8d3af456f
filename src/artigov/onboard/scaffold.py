"""``artigov init``: scaffold a workspace that validates, routes and indexes clean at once."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artigov.core import DISTRIBUTIONS, ArtigovError, byte_exact_lines, record_binary_lines

__all__ = ["AddedFramework", "InitError", "add_framework", "init_workspace", "is_workspace"]


class InitError(ArtigovError):
    """The scaffold would overwrite files, or the framework name is invalid."""


def _framework_files(
    framework: str, owner: str, checksum: str, body: str, plan_id: str = "technical-plan"
) -> dict[str, str]:
    """A framework's contract and its starter technical plan (shared by a new workspace and by
    ``artigov init --framework F`` in an existing one)."""
    return {
        f"contracts/{framework}.yaml": f"""\
# Contract of {framework}: what may exist, and what each gate needs.
framework: {framework}
allowed_kinds: [technical-plan, action-plan, risk-register, summary-report]
draft_fallback: none
raci:
  technical-plan:
    responsible: [{owner}]
    accountable: [{owner}]
# Approvals are commands that write signed statements under governance/{framework}/approvals/:
# `artigov review PATH` (draft -> review), `artigov approve PATH`, `artigov reject PATH --comment`.
# Whoever submits a document for review may not approve it (forbid_self_approval, default true):
# make a second person responsible. Give each person their key in the signed trust document
# (a pull request cannot): artigov trust propose --add-person {framework}:{owner}:<fingerprint>
# then require signatures:
# require_signed_approvals: true
gates:
  - name: draft
    requires:
      technical-plan: draft
  - name: design
    requires:
      technical-plan: approved
retention:
  keep_last: 10
rollback_triggers:
  - on: verify_failed
    action: rollback
  - on: checksum_drift
    action: recommend
""",
        f"frameworks/{framework}/plans/technical/technical-plan-0.1.0.md": f"""\
---
id: {plan_id}
version: "0.1.0"
status: draft
framework: {framework}
kind: technical-plan
title: "Technical plan of {framework}"
checksum: {checksum}
---
{body}""",
    }


def _files(framework: str, owner: str, key: str | None = None, commit_index: bool = False) -> dict[str, str]:
    body = f"# Technical plan of {framework}\n\nGoals, scope, and the plan to reach them.\n"
    checksum = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    return {
        "artigov.yaml": """\
# artigov workspace (see https://github.com/artigov/artigov#readme)
artifacts:
  - frameworks/**
routing_map: artifact_routing.mdc
command_routing: routing_matrix.json
contracts: contracts
index: artifacts_index.json
index_committed: COMMITTED  # false: the index is local derived state (git-ignored, kept fresh by every command)
record: governance   # COMMITTED: keys, objects, HEAD, snapshots and decision log per framework
state_dir: .artigov  # LOCAL, git-ignored: lock, journal, stat cache, operational log
signing:
  key: KEY          # your signing key's fingerprint (gpg --list-secret-keys --with-colons)
# Whose signatures count is NOT set here (a pull request could edit this file): it is the signed
# trust document in governance/trust/ (artigov trust init | propose | sign | status).
""".replace("KEY", key or "null").replace("COMMITTED", "true" if commit_index else "false"),
        "artifact_routing.mdc": """\
---
description: Where each kind of artifact lives
version: 1
routes:
  technical-plan:
    dir: frameworks/{framework}/plans/technical
  action-plan:
    dir: frameworks/{framework}/plans/action
  risk-register:
    dir: frameworks/{framework}/registers/risk
  summary-report:
    dir: frameworks/{framework}/reports/summary
---
# Artifact routing

Each kind of artifact has one canonical folder; `artigov route check` reports
conflicts with the command routing in `routing_matrix.json` and misplaced files.
""",
        "routing_matrix.json": """\
{
  "version": 1,
  "commands": {
    "plan": {
      "description": "Drafts and revises plans",
      "produces": {
        "technical-plan": "frameworks/{framework}/plans/technical",
        "action-plan": "frameworks/{framework}/plans/action"
      }
    },
    "report": {
      "description": "Writes reports and registers",
      "produces": {
        "risk-register": "frameworks/{framework}/registers/risk",
        "summary-report": "frameworks/{framework}/reports/summary"
      }
    }
  }
}
""",
        **_framework_files(framework, owner, checksum, body),
        ".gitattributes": (
            "\n".join(byte_exact_lines("governance", ["frameworks/**"], "artifacts_index.json")) + "\n"
            "# Signed snapshot bytes and stored objects are never diffed or merged as text either.\n"
            + "\n".join(record_binary_lines("governance"))
            + "\n"
            + (
                "# The committed index merges by path with artigov's driver where configured (git config line: see\n"
                "# `artigov init` output); elsewhere git's own line merge, which its one-entry-per-line format suits.\n"
                "artifacts_index.json merge=artigov-index\n"
                if commit_index
                else ""
            )
        ),
        ".gitignore": ".artigov/\n.nox/\nartifacts_index.json.lock\ngovernance/*/snapshots/.*.tmp/\n"
        + ("" if commit_index else "# local, derived: every command that needs it builds it\nartifacts_index.json\n"),
        "tasks.py": '"""invoke tasks: `invoke --list` (invoke promote --framework F --gate G, invoke rehearse)."""\n\n'
        "from artigov.tasks import ns  # noqa: F401\n",
        "noxfile.py": NOXFILE,
        "requirements-artigov.txt": _requirements(),
        ".pre-commit-config.yaml": PRE_COMMIT.format(ref=_ref()),
        ".github/workflows/artigov.yml": _workflow(),
        "governance/keys/README.md": (
            "# Trusted public keys\n\n"
            "One armored public key per trusted signer, named `<FINGERPRINT>.asc`\n"
            "(`gpg --armor --export FPR > governance/keys/FPR.asc`). `artigov verify` imports\n"
            "these, and accepts a signature only by a key the signed trust document in\n"
            "`governance/trust/` allows (`artigov trust show`). `artigov promote`, `approve`\n"
            "and `trust propose` add the keys they use here when they are missing.\n"
        ),
    }


#: The repository artigov is installed from, and the tag that pins it.
SOURCE_REPO = "https://github.com/artigov/artigov"


def _ref() -> str:
    from artigov.core import distribution_version

    return "v" + (distribution_version() or distribution_version("artigov-core") or "0+unknown")


def _workflow() -> str:
    """The CI workflow (artigov's ``examples/ci/github-actions.yml``), pinned to this version."""
    text = (Path(__file__).parent.parent / "templates" / "github-actions.yml").read_text("utf-8")
    return re.sub(r"(?m)^(  ARTIGOV_REF: )v\S+", rf"\g<1>{_ref()}", text, count=1)


def _requirements() -> str:
    ref = _ref()
    lines = [
        "# What `nox` installs artigov from in this repository: PINNED (a tag or a commit, never a branch).",
        "# Point it elsewhere by editing these lines: wheels (./wheels/artigov_core-0.1.0-py3-none-any.whl ...),",
        "# a checkout (/path/to/artigov/packages/core ... and /path/to/artigov), or another git ref.",
        "# ARTIGOV_SOURCE=/path/to/artigov-checkout overrides this file for one run.",
        *(f"artigov-{p} @ git+{SOURCE_REPO}@{ref}#subdirectory=packages/{p}" for p in DISTRIBUTIONS),
        f"artigov @ git+{SOURCE_REPO}@{ref}",
    ]
    return "\n".join(lines) + "\n"


NOXFILE = '''"""nox sessions of this governance repository (written by `artigov init`).

    nox -s check                 what CI checks: validate, route check, every gate of every
                                 contract, index verify, verify --all, audit verify
    nox -s rehearse              crash sweeps and rollback playbooks on a temporary copy of
                                 this repository (never the repository itself)
    nox -s rehearse -- --quick   the same, faster (crash only at each record step)

artigov is installed from requirements-artigov.txt (pinned), or from the checkout that
ARTIGOV_SOURCE names.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["check"]
PACKAGES = ("core", "schema", "index", "router", "contract", "hydrate", "promote")


def install_artigov(session: nox.Session) -> None:
    source = os.environ.get("ARTIGOV_SOURCE")
    if source:
        session.install(*(f"{source}/packages/{name}" for name in PACKAGES), source)
    else:
        session.install("-r", "requirements-artigov.txt")


@nox.session
def check(session: nox.Session) -> None:
    """The gates CI runs (examples/ci/github-actions.yml in artigov), in one session."""
    install_artigov(session)
    session.run("artigov", "validate")
    session.run("artigov", "route", "check")
    # every framework the repository knows (a contract, an artifact, a record): none is skipped
    frameworks = session.run("artigov", "contract", "frameworks", silent=True) or ""
    for framework in frameworks.split():
        session.run("artigov", "contract", "check", "--framework", framework, "--all-gates")
    session.run("artigov", "index", "verify", "--full")
    session.run("artigov", "verify", "--all")
    session.run("artigov", "audit", "verify")


@nox.session
def rehearse(session: nox.Session) -> None:
    """Crash and rollback rehearsals of this repository (on a temporary copy)."""
    install_artigov(session)
    session.run("artigov", "rehearse", *session.posargs)
'''

PRE_COMMIT = """\
# pre-commit hooks (https://pre-commit.com): run `pre-commit install` once per clone.
# pre-commit installs artigov (at `rev`) into the hooks' own environment: nothing to install first.
repos:
  - repo: https://github.com/artigov/artigov
    rev: {ref}   # pinned, like requirements-artigov.txt
    hooks:
      - id: artigov-checks   # validate the staged files, index verify, route check: one run
"""


def _check_name(framework: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", framework):
        raise InitError(
            f"invalid framework name {framework!r}", fix="use letters, digits, '_', '.' and '-', not starting with '.'"
        )


def init_workspace(
    directory: Path,
    framework: str = "my-framework",
    owner: str = "owner@example.org",
    key: str | None = None,
    *,
    commit_index: bool = False,
) -> list[Path]:
    """Write the scaffold into ``directory``; refuse (writing nothing) if any file exists.

    Raises:
        InitError: an invalid framework name, or files that already exist.
    """
    _check_name(framework)
    if key is not None and not re.fullmatch(r"[0-9A-Fa-f]{40}", key):
        raise InitError(f"--key {key!r} is not a key fingerprint", fix="give the full 40-hex-digit fingerprint")
    files = _files(framework, owner, key.upper() if key else None, commit_index)
    existing = sorted(rel for rel in files if (directory / rel).exists())
    if existing:
        raise InitError(
            f"{directory}: would overwrite {', '.join(existing)}; nothing was written",
            fix="run `artigov init` in an empty folder, or move those files away",
        )
    written = []
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def is_workspace(directory: Path) -> bool:
    """Does ``directory`` hold an artigov workspace (its ``artigov.yaml``)?"""
    return (directory / "artigov.yaml").is_file()


@dataclass(frozen=True)
class AddedFramework:
    """What ``artigov init --framework F`` wrote into an existing workspace."""

    written: list[Path]
    plan: str  # the starter plan, relative to the root
    routed: bool  # the routing map places the plan where it was written
    trust: str  # what happened to trust (one line)


def add_framework(directory: Path, framework: str, owner: str = "owner@example.org") -> AddedFramework:
    """Add ``framework`` to the workspace in ``directory``: its contract and starter technical plan
    (where the routing map puts a technical plan of it), and, where the record has trust and the
    workspace a signing key, a trust version that lets that key sign its promotions (accepted at
    once when this machine holds enough root keys, else proposed: ``artigov trust sign``).
    Nothing that exists is overwritten.

    Raises:
        InitError: an invalid name, a framework that has a contract already, or files in the way.
    """
    from artigov.core import load_workspace
    from artigov.router import NoRouteError, canonical_path, load_routing_map

    _check_name(framework)
    ws = load_workspace(directory)
    body = f"# Technical plan of {framework}\n\nGoals, scope, and the plan to reach them.\n"
    checksum = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    plan_id = f"{framework}-technical-plan"  # ids are unique in the workspace, across frameworks
    files = _framework_files(framework, owner, checksum, body, plan_id)
    contract_rel, plan_default = list(files)
    contract = ws.contracts_dir / f"{framework}.yaml"
    if contract.exists():
        raise InitError(
            f"{ws.rel(contract)}: framework {framework!r} has a contract already; nothing was written",
            fix="pick another name, or edit that contract",
        )
    plan_rel, routed = plan_default, False
    try:
        meta = {"framework": framework, "kind": "technical-plan", "id": plan_id, "version": "0.1.0"}
        plan_rel, routed = canonical_path(load_routing_map(ws), plan_default, meta), True
    except (NoRouteError, ArtigovError):
        pass  # no route for technical plans: the default folder, and the caller says so
    targets = {contract: files[contract_rel], ws.root / plan_rel: files[plan_default]}
    existing = sorted(ws.rel(p) for p in targets if p.exists())
    if existing:
        raise InitError(
            f"{directory}: would overwrite {', '.join(existing)}; nothing was written",
            fix="move those files away, or pick another framework name",
        )
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return AddedFramework(list(targets), plan_rel, routed, _trust_for(ws, framework))


def _trust_for(ws: Any, framework: str) -> str:
    """Let the workspace's signing key sign ``framework``'s promotions in a new trust version."""
    from artigov.promote import TrustChanges, has_trust, trust_propose

    key = ws.signing.key
    if not has_trust(ws):
        return "no trust yet: `artigov trust init --key FPR` names who may sign (every framework)"
    if not key:
        return (
            f"trust: no signing.key in artigov.yaml; let a key sign {framework}'s promotions with "
            f"`artigov trust propose --add-signer {framework}:*:FPR`"
        )
    try:
        result = trust_propose(ws, TrustChanges(add_signer=(f"{framework}:*:{key}",)))
    except ArtigovError as e:
        return f"trust: not changed ({e.message}); run `artigov trust propose --add-signer {framework}:*:{key}`"
    if result.state == "accepted":
        return f"trust version {result.version} accepted: {key} may sign {framework}'s promotions"
    return (
        f"trust version {result.version} proposed in {result.folder}/ ({key} may sign {framework}'s promotions): "
        "the root keys sign it with `artigov trust sign`"
    )
