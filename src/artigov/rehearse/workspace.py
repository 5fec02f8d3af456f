"""A rehearsal runs on a temporary copy of the workspace you are in, never on the workspace itself.

The copy holds the workspace's own artifacts, contracts, routing and committed
record (``.git``, the local state folder and tool caches are left out), plus
throwaway GPG keys in a temp GNUPGHOME under a short path: ``trusted``
(made the signing key in the copy's ``artigov.yaml``, and the root key and a
signer of every gate in the copy's trust versions), ``untrusted`` (in the
same keyring, allowed nothing), and one approval key per person a contract makes
accountable for a kind (given to them, in that framework, by a new trust version
of the copy), so a rehearsal that edits an approved document approves it again
through the real ``approve``, as its team would: signed approvals on or off. The copy's trust chain is re-rooted on the
throwaway key: each version keeps who may sign what and whose approval keys
count, so the committed record keeps verifying in the copy (its signers'
public keys are in the record's ``keys/`` folder), and the throwaway key can
sign rehearsal promotions. The real trust chain is never touched.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from artigov.core import EXIT_USAGE, ArtigovError, load_yaml, without_faults

__all__ = [
    "Rehearsal",
    "RehearsalError",
    "approve_again",
    "cli_env",
    "mutate_workspace",
    "rehearsal_copy",
    "tail",
]

#: Never copied: git's own folder and tool caches (the state folder is left out by name below).
_SKIP = {".git", ".nox", ".venv", "venv", ".tox", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


def tail(done: subprocess.CompletedProcess[str], lines: int = 4) -> str:
    """The last ``lines`` lines a command printed (stdout, then stderr), whole: a message is never
    cut in the middle of a value."""
    said = [line for line in (done.stdout + "\n" + done.stderr).splitlines() if line.strip()]
    return " / ".join(said[-lines:]) or f"(nothing printed, exit {done.returncode})"


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a rehearsal's command: this one without fault settings, plus ``extra``."""
    full = without_faults(os.environ)
    full.update({"ARTIGOV_ACTOR": "rehearsal@example.org", **(extra or {})})
    return full


class RehearsalError(ArtigovError):
    """The workspace cannot be rehearsed as it is (no framework, no contract, no passing gate, ...)."""

    exit_code = EXIT_USAGE


@dataclass
class Rehearsal:
    """A prepared copy: where it is, its keyring, the throwaway keys' fingerprints."""

    source: Path
    ws: Path
    home: Path
    keys: dict[str, str]
    gates: dict[str, str] = field(default_factory=dict)  # framework -> the first gate that passes
    people: dict[str, str] = field(default_factory=dict)  # an accountable person -> their throwaway key

    def cli(self, *args: str, env: dict[str, str] | None = None, root: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the real command line on the copy (never on the source workspace)."""
        from artigov.rehearse._warm import run_cli

        return run_cli([*args, *(["--root", str(self.ws)] if root else [])], self.ws, cli_env(env))

    def close(self) -> None:
        """Stop the rehearsal keyring's gpg-agent."""
        subprocess.run(
            ["gpgconf", "--homedir", str(self.home), "--kill", "gpg-agent"], capture_output=True, check=False
        )


def _ignore(state_name: str | None) -> Any:
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in _SKIP or n == state_name}

    return ignore


def rehearsal_copy(source: Path, scratch: Path, *, name: str = "ws") -> Rehearsal:
    """Copy the workspace at ``source`` into ``scratch``/``name`` and give it throwaway keys.

    Raises:
        RehearsalError: ``source`` is no workspace, or its config cannot be read.
    """
    from artigov.core import load_workspace
    from artigov.core import make_throwaway_key as make_key

    ws_source = load_workspace(source)
    state = ws_source.state_dir
    state_name = state.name if state.parent == ws_source.root else None
    ws = scratch / name
    shutil.copytree(ws_source.root, ws, symlinks=True, ignore=_ignore(state_name))
    home = scratch / f"gpg-{name}"
    home.mkdir(mode=0o700)
    keys = {
        "trusted": make_key(home, "rehearsal trusted"),
        "untrusted": make_key(home, "rehearsal untrusted"),
    }
    config_path = ws / ws_source.config_path.relative_to(ws_source.root)
    config = load_yaml(config_path.read_text("utf-8")) or {}
    signing = dict(config.get("signing") or {})
    signing["key"] = keys["trusted"]
    signing["trusted"] = [*(signing.get("trusted") or []), keys["trusted"]]
    signing["gnupghome"] = str(home)
    config["signing"] = signing
    config_path.write_text(
        "# a rehearsal copy: throwaway keys added (the real workspace is untouched)\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        "utf-8",
    )
    copy = load_workspace(ws)
    _reroot_trust(copy, keys["trusted"])
    people = _approval_keys(copy, home)
    return Rehearsal(ws_source.root, ws, home, keys, people=people)


def _approval_keys(ws: Any, home: Path) -> dict[str, str]:
    """A throwaway key for each person a contract makes accountable for a kind, given to them in
    each such framework by one new trust version of the copy (signed by its throwaway root key)."""
    from artigov.contract import contract_frameworks, load_contract
    from artigov.core import make_throwaway_key as make_key
    from artigov.promote import TrustChanges, trust_propose

    where: dict[str, set[str]] = {}
    for framework in contract_frameworks(ws):
        try:
            contract = load_contract(ws, framework)
        except ArtigovError:
            continue  # find_gates reports a contract that cannot be read
        for kind in contract.raci:
            for person in contract.accountable(kind):
                where.setdefault(person, set()).add(framework)
    people = {person: make_key(home, f"rehearsal {person.split('@')[0]}") for person in sorted(where)}
    grants = tuple(f"{f}:{person}:{people[person]}" for person in sorted(where) for f in sorted(where[person]))
    if grants:
        trust_propose(ws, TrustChanges(add_person=grants), keys=[ws.signing.key])
    return people


def approve_again(run: Rehearsal, ws: Path, rel: str, meta: str | None = None) -> str | None:
    """After a rehearsal edited the approved document ``rel`` (its sidecar ``meta``) in the copy
    ``ws``: have its approvers approve the new content through the real ``approve`` (signed with
    their throwaway keys), as the team would before promoting it; None, or what went wrong. A
    document in another status, or one whose contract neither requires signed approvals nor holds
    a statement about it, needs nothing."""
    from artigov.contract import load_contract, statements_for
    from artigov.core import load_workspace
    from artigov.schema import ArtifactLoadError, ArtifactUnit, load_unit

    loaded = load_workspace(ws)
    try:
        artifact = load_unit(ws, ArtifactUnit(rel, meta))
    except ArtifactLoadError:
        return None  # not loadable: validation and the gate say so
    if artifact.status != "approved":
        return None
    framework = artifact.framework
    try:
        contract = load_contract(loaded, framework)
    except ArtigovError:
        return None
    stated = statements_for(loaded, framework, artifact.id, artifact.version)
    if not contract.require_signed_approvals and not stated:
        return None
    accountable = contract.accountable(artifact.kind)
    approvers = [str(p) for p in artifact.metadata.get("approved_by", [])]
    listed = [p for p in approvers if p in accountable] or list(accountable[:1])
    return _approve_as(run, ws, rel, listed)


def _approve_as(run: Rehearsal, ws: Path, rel: str, people: list[str]) -> str | None:
    """Approve ``rel`` in the copy ``ws`` as each of ``people``, with their rehearsal keys, through
    the real ``approve``; None, or what went wrong."""
    from artigov.rehearse._warm import run_cli

    for person in people:
        key = run.people.get(person)
        if key is None:
            return f"{rel}: no rehearsal key for {person}"
        done = run_cli(["approve", rel, "--as", person, "--key", key, "--comment", "edit"], ws, cli_env())
        if done.returncode != 0:
            return f"approve {rel} as {person} failed (exit {done.returncode}): {tail(done)}"
    return None


def _reroot_trust(ws: Any, key: str) -> None:
    """Give the copy a trust chain rooted on ``key``: the same versions (who may sign which gate,
    whose approval keys count), ``key`` added as a signer of every gate, each signed by ``key``."""
    from artigov.contract import contract_frameworks
    from artigov.core import (
        ANY_GATE,
        TRUST_DIR,
        TRUST_DOC,
        FrameworkTrust,
        TrustDocument,
        TrustError,
        publish_public_key,
        sign_detached,
        signature_name,
        trust_folder,
    )
    from artigov.promote import has_trust, trust_init

    if not has_trust(ws):
        trust_init(ws, root_keys=[key])
        return
    trust = ws.record_dir / TRUST_DIR
    originals = []
    for folder in sorted(p for p in trust.iterdir() if p.is_dir() and p.name.isdigit()):
        try:
            originals.append(TrustDocument.from_bytes((folder / TRUST_DOC).read_bytes()))
        except (OSError, TrustError) as e:
            raise RehearsalError(f"cannot rehearse: {ws.rel(folder)} is not a trust version ({e})") from None
    shutil.rmtree(trust)
    publish_public_key(ws, key)
    previous = None
    for doc in originals:
        frameworks = {name: f for name, f in doc.frameworks.items()}
        for name in contract_frameworks(ws):
            frameworks.setdefault(name, FrameworkTrust())
        rerooted = TrustDocument(
            version=doc.version,
            root_keys=(key,),
            threshold=1,
            frameworks={
                name: FrameworkTrust(
                    signers={**f.signers, ANY_GATE: tuple(sorted({*f.signers.get(ANY_GATE, ()), key}))},
                    people=f.people,
                )
                for name, f in frameworks.items()
            },
            previous=previous,
        )
        data = rerooted.to_bytes()
        folder = trust / trust_folder(doc.version)
        folder.mkdir(parents=True)
        (folder / TRUST_DOC).write_bytes(data)
        (folder / signature_name(key)).write_bytes(sign_detached(data, key, ws.signing.gnupghome))
        previous = rerooted.digest


def find_gates(run: Rehearsal, only: Sequence[str] | None = None) -> dict[str, str]:
    """Every framework with a contract (or those in ``only``), and the first of its gates whose
    contract check passes.

    Raises:
        RehearsalError: no contract at all, a framework in ``only`` without one, or no framework
            with a passing gate (the line says what the workspace needs).
    """
    from artigov.contract import check_contract, load_contract
    from artigov.core import load_workspace

    updated = run.cli("index", "update")
    if updated.returncode not in (0, 1):
        raise RehearsalError(f"index update failed in the rehearsal copy: {(updated.stdout + updated.stderr)[-400:]}")
    ws = load_workspace(run.ws)
    frameworks = sorted(p.stem for p in ws.contracts_dir.glob("*.yaml")) if ws.contracts_dir.is_dir() else []
    if not frameworks:
        raise RehearsalError(
            f"nothing to rehearse: {ws.rel(ws.contracts_dir)}/ holds no contract",
            fix="add contracts/<framework>.yaml with at least one gate (artigov init writes one)",
        )
    unknown = sorted(set(only or []) - set(frameworks))
    if unknown:
        raise RehearsalError(
            f"cannot rehearse {', '.join(unknown)}: no contract in {ws.rel(ws.contracts_dir)}/",
            fix="name a framework with a contract: " + ", ".join(frameworks),
        )
    frameworks = sorted(set(only)) if only else frameworks
    gates: dict[str, str] = {}
    tried: list[str] = []
    for framework in frameworks:
        try:
            contract = load_contract(ws, framework)
        except ArtigovError as e:
            tried.append(f"{framework}: {e.message}")
            continue
        for gate in contract.gates:
            if check_contract(ws, framework, gate.name).ok:
                gates[framework] = gate.name
                break
        else:
            names = ", ".join(g.name for g in contract.gates) or "no gates"
            tried.append(f"{framework}: no gate passes ({names})")
    if not gates:
        raise RehearsalError(
            "nothing to rehearse: no framework has a gate that passes its contract check (" + "; ".join(tried) + ")",
            fix="make one gate pass: artigov contract check -f FRAMEWORK --all-gates says what it needs",
        )
    run.gates = gates
    return gates


_ID_LINE = re.compile(r"^id:[ \t]*.*$", re.MULTILINE)


def indexed_paths(ws: Path) -> list[str]:
    """The paths the copy's index holds (the artifacts a rehearsal may change)."""
    from artigov.core import load_workspace
    from artigov.index import IndexMissingError, read_index

    try:
        return sorted(read_index(load_workspace(ws)).entries)
    except IndexMissingError:
        return []


def mutate_workspace(ws: Path, seed: int, *, changes: int = 3, edits_only: bool = False) -> list[str]:
    """Change up to ``changes`` indexed artifacts (a line appended), and unless ``edits_only``, delete
    one and add copies of frontmatter artifacts under new names and ids: the touched paths."""
    rng = random.Random(seed)
    existing = indexed_paths(ws)
    touched: list[str] = []
    for rel in rng.sample(existing, min(changes + (0 if edits_only else 1), len(existing))):
        path = ws / rel
        if not edits_only and not touched:
            path.unlink()
        else:
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"\nChanged in rehearsal {rng.random()}\n")
        touched.append(rel)
    if not edits_only:
        texts = [rel for rel in existing if (ws / rel).is_file() and (ws / rel).read_bytes().startswith(b"---")]
        for j, rel in enumerate(texts[:changes]):
            src = ws / rel
            new_id = f"rehearsal-{seed}-{j}"
            text = _ID_LINE.sub(f"id: {new_id}", src.read_text("utf-8"), count=1)
            target = src.with_name(f"{new_id}{src.suffix}")
            target.write_text(text, "utf-8")
            touched.append(target.relative_to(ws).as_posix())
    return sorted(touched)
