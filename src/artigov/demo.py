"""``artigov demo``: the whole story on a temp copy of the example workspace.

validate -> route check -> index rebuild -> hydrate -> contract check ->
promote -> (a second, bad promotion) -> verify -> tamper -> verify catches it
-> triggers -> rollback -> verify again -> history and audit chain.
Every step goes through the same functions as the command line, and the demo
fails (exit 1) if any step does not end as the story says it should.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from artigov.core import RecordLayout

__all__ = ["run_demo"]

#: The bundled example: the repository's (a checkout), else the copy inside the installed wheel.
_CHECKOUT_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workspace"
EXAMPLE = (
    _CHECKOUT_EXAMPLE
    if (_CHECKOUT_EXAMPLE / "artigov.yaml").is_file()
    else Path(__file__).resolve().parent / "examples" / "workspace"
)
FRAMEWORK = "fwk-001"
_LAYOUT = RecordLayout(FRAMEWORK)


def _git(ws: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-11-01T09:00:00Z", "GIT_COMMITTER_DATE": "2026-11-01T09:00:00Z"}
    subprocess.run(
        [
            "git",
            "-c",
            "user.email=demo@example.org",
            "-c",
            "user.name=artigov demo",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=ws,
        env=env,
        capture_output=True,
        check=True,
    )


APPROVER = "alice@example.org"


def _prepare(base: Path, example: Path) -> tuple[Path, Path, str]:
    from artigov.core import make_throwaway_key as make_key

    ws = base / "workspace"
    shutil.copytree(example, ws, ignore=shutil.ignore_patterns(".artigov", "*.lock"))
    home = base / "gnupg"
    home.mkdir(mode=0o700)
    key = make_key(home, "artigov demo signer")
    config = (ws / "artigov.yaml").read_text()
    config = config.replace("  key: null", f"  key: {key}\n  gnupghome: {home}")
    (ws / "artigov.yaml").write_text(config)
    _git(ws, "init", "-q")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "governance repository of fwk-001")
    return ws, home, key


def _tamper_object(ws: Path, sequence: int) -> str:
    """Flip a byte of an object only this snapshot holds (objects are shared, content-addressed)."""
    from artigov.promote import Manifest

    def manifest(n: int) -> Manifest:
        return Manifest.from_bytes((ws / "governance" / _LAYOUT.manifest(n)).read_bytes())

    earlier = {i.object for n in range(1, sequence) for i in manifest(n).inputs}
    item = next(i for i in manifest(sequence).inputs if i.object not in earlier)
    digest = item.object.removeprefix("sha256:")
    path = ws / "governance" / "objects" / "sha256" / digest[:2] / digest[2:]
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))
    return item.path


NEXT_PLAN = "frameworks/fwk-001/plans/technical/tp-core-1.1.0.md"


def _trust_people(ws: Path, home: Path) -> int:
    """Trust version 2: alice's approval key, proposed and signed by the root key (accepted at once)."""
    from artigov.commands.formats import Format
    from artigov.commands.trust import run_trust_propose
    from artigov.core import make_throwaway_key as make_key
    from artigov.promote import TrustChanges

    alice = make_key(home, "alice")  # the accountable approver, with her own key
    code = run_trust_propose(ws, TrustChanges(add_person=(f"{FRAMEWORK}:{APPROVER}:{alice}",)), None, [], Format.text)
    _git(ws, "add", "governance")
    _git(ws, "commit", "-qm", "trust version 2: alice's approval key")
    return code


def _bad_change(ws: Path) -> int:
    from artigov.commands.approve import run_transition
    from artigov.commands.formats import Format
    from artigov.contract import Signoff

    said = Signoff(APPROVER, comment="approved before the load test finished")
    code = run_transition(ws, "approve", ws / NEXT_PLAN, Format.text, said)
    _git(ws, "add", NEXT_PLAN, "artifacts_index.json", "governance")
    _git(ws, "commit", "-qm", "approve tp-core 1.1.0")
    print("    committed the document, its signed statement and alice's public key")
    return code


def _fresh_clone_verify(ws: Path, base: Path) -> int:
    from artigov.commands.audit import run_audit_verify
    from artigov.commands.formats import Format
    from artigov.commands.promote import run_verify

    clone = base / "auditor-clone"
    subprocess.run(["git", "clone", "-q", str(ws), str(clone)], capture_output=True, check=True)
    print(f"    cloned to {clone}: no {'.artigov'}/ state, only the committed record")
    code = run_verify(clone, FRAMEWORK, Format.text)
    return code or run_audit_verify(clone, Format.text)


def _tamper(ws: Path) -> int:
    print(f"    flipped a byte in the object of {_tamper_object(ws, 2)}")
    return 0


def run_demo(directory: Path | None = None, example: Path = EXAMPLE) -> int:
    """Run the story; return 0 if every step ended as expected."""
    from artigov.commands.contract import run_contract_check
    from artigov.commands.formats import Format
    from artigov.commands.hydrate import HydrateOptions, run_hydrate
    from artigov.commands.index import run_index
    from artigov.commands.promote import run_promote, run_rollback, run_verify
    from artigov.commands.route import run_route_check
    from artigov.commands.trust import run_trust_init
    from artigov.commands.validate import run_validate
    from artigov.core import DEFAULT_LOCK_TIMEOUT
    from artigov.hydrate import DeterminismCheck
    from artigov.promote import PromoteOptions, RollbackOptions

    if not (example / "artigov.yaml").is_file():
        print(
            f"artigov: error: the example workspace is not at {example} (fix: run from a source checkout of artigov, "
            "or pass --example DIR)"
        )
        return 2
    base = (
        Path(tempfile.mkdtemp(prefix="agdemo-", dir="/tmp" if Path("/tmp").is_dir() else None))
        if directory is None
        else directory.resolve()  # the config names the keyring by this path: never relative
    )
    base.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ARTIGOV_ACTOR", "demo@example.org")
    ws, home, key = _prepare(base, example)
    text = Format.text
    signed_and_committed = PromoteOptions(key=key, commit=True)

    trust_people = partial(_trust_people, ws, home)
    bad_change = partial(_bad_change, ws)
    fresh_clone_verify = partial(_fresh_clone_verify, ws, base)
    tamper = partial(_tamper, ws)

    steps: list[tuple[str, int, Callable[[], int]]] = [
        (
            "trust init: version 1 of the root of trust (governance/trust/): the demo key is root and signs every gate",
            0,
            lambda: run_trust_init(ws, [key], 1, [], text),
        ),
        (
            "trust propose --add-person: version 2 gives alice her approval key, signed by the root key, accepted",
            0,
            trust_people,
        ),
        ("validate: every artifact carries checked metadata", 0, lambda: run_validate(ws, [], text)),
        (
            "route check: every kind in its canonical folder, no conflict with the command routing",
            0,
            lambda: run_route_check(ws, text),
        ),
        (
            "index rebuild: the crash-safe artifacts_index.json",
            0,
            lambda: run_index("rebuild", ws, text, DEFAULT_LOCK_TIMEOUT),
        ),
        (
            "hydrate --deterministic: the inputs of stage 'design', same plan over 5 runs",
            0,
            lambda: run_hydrate(ws, FRAMEWORK, "design", text, HydrateOptions(DeterminismCheck())),
        ),
        (
            "contract check --gate design: required kinds, statuses, RACI approvals",
            0,
            lambda: run_contract_check(ws, FRAMEWORK, "design", text),
        ),
        (
            "contract check --gate release: fails, and says why",
            1,
            lambda: run_contract_check(ws, FRAMEWORK, "release", text),
        ),
        (
            "promote --gate design --commit: snapshot 1, signed with the demo key, committed to git",
            0,
            lambda: run_promote(ws, FRAMEWORK, "design", text, signed_and_committed),
        ),
        (
            "approve: alice approves tp-core 1.1.0 too early (a signed approval statement, re-indexed, committed)",
            0,
            bad_change,
        ),
        (
            "promote --gate design --commit again: snapshot 2 picks the new plan",
            0,
            lambda: run_promote(ws, FRAMEWORK, "design", text, signed_and_committed),
        ),
        (
            "verify: snapshot 2 is signed by a key trust version 2 lets sign, chained to 1, objects intact",
            0,
            lambda: run_verify(ws, FRAMEWORK, text),
        ),
        ("tamper: flip one byte of a stored input of snapshot 2", 0, tamper),
        ("verify: catches the tampered object", 1, lambda: run_verify(ws, FRAMEWORK, text)),
        (
            "rollback --to 1 --reason ... --commit: restore snapshot 1 byte-for-byte, recorded as new snapshot 3",
            0,
            lambda: run_rollback(
                ws, FRAMEWORK, text, "tp-core 1.1.0 was approved by mistake", RollbackOptions(key, True, to=1)
            ),
        ),
        ("verify again: the head (snapshot 3) verifies", 0, lambda: run_verify(ws, FRAMEWORK, text)),
        (
            "an auditor's fresh clone: verify and audit verify from the committed record alone",
            0,
            fresh_clone_verify,
        ),
    ]
    print(f"artigov demo: framework {FRAMEWORK} in {ws}")
    print(f"(a throwaway signing key {key} in {home})\n")
    failed = None
    for number, (title, expected, step) in enumerate(steps, start=1):
        print(f"{number:>2}. {title}")
        code = step()
        if code != expected:
            failed = (number, title, code, expected)
            break
        print()
    _history(ws)
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, check=False)
    if failed:
        number, title, code, expected = failed
        print(f"demo: step {number} ({title}) exited {code}, expected {expected}")
        return 1
    print(f"demo: done. Workspace: {ws}")
    print(f"      record (committed): {ws / 'governance'}")
    print(f"      decision log: {ws / 'governance' / _LAYOUT.decisions} (artigov audit show --root {ws})")
    print(f"      operational log (local): {ws / '.artigov' / 'audit.jsonl'}")
    return 0


def _history(ws: Path) -> None:
    from artigov.core import load_workspace
    from artigov.promote import history

    rows = history(load_workspace(ws), FRAMEWORK)
    if rows:
        print("history:")
        for r in rows:
            back = f", rollback of {r.rollback_of}" if r.rollback_of else ""
            print(f"    snapshot {r.sequence}: {r.status}, gate {r.gate}{back}")
