"""One table over every verification code: each row damages a real record (real gpg, real files)
the way an attacker or an accident would, and verify must fail with exactly that code, at the step
that owns it. A code with no row, or a row whose step does not list its code, fails the table."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from artigov.contract import Signoff, transition
from artigov.core import Workspace, canonical_json, codes_of, digest_bytes, load_workspace, sign_detached, write_atomic
from artigov.core.testkeys import gnupg_home, make_key, revoke_key
from artigov.index import rebuild
from artigov.promote import PromoteOptions, TrustChanges, VerificationError, VerifyOptions, promote, trust_propose
from artigov.promote._store import GateHead, Head, ObjectStore, SnapshotStore
from artigov.promote._verify import STEPS, verify_snapshot

from .conftest import ALICE, CAROL, Keys, build_signed_approvals_ws, build_ws


@dataclass
class Case:
    """A damaged record: the workspace to verify and the arguments to verify it with."""

    ws: Workspace
    kwargs: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)


Damage = Callable[[Path, Keys, ExitStack], Case]


def _two_snapshots(root: Path, keys: Keys) -> Workspace:
    ws = build_ws(root, keys.home, keys.good, [keys.good])
    promote(ws, "f", "design")
    plan = ws.root / "frameworks/tp.md"
    plan.write_text(plan.read_text().replace("# Plan v1\n", "# Plan v2\n"))
    rebuild(ws)
    promote(ws, "f", "design")
    return ws


def _store(ws: Workspace) -> SnapshotStore:
    return SnapshotStore(ws, "f")


def _rewrite_head_manifest(ws: Workspace, change: Callable[[dict[str, Any]], None], sequence: int = 2) -> None:
    """Edit the head manifest (snapshot ``sequence``) and point HEAD at the edited bytes (so only
    the later check sees it)."""
    store = _store(ws)
    path = store.seq_dir(sequence) / "manifest.json"
    manifest = json.loads(path.read_bytes())
    change(manifest)
    data = canonical_json(manifest)
    path.chmod(0o644)
    path.write_bytes(data)
    digest = digest_bytes(data)
    write_atomic(store.head_path, Head(sequence, digest).with_gate("design", sequence, digest).to_bytes())


def _resign(ws: Workspace, sequence: int, key: str, home: Path) -> None:
    store = _store(ws)
    sig = store.seq_dir(sequence) / "manifest.json.asc"
    sig.chmod(0o644)
    sig.write_bytes(sign_detached(store.manifest_bytes(sequence), key, home))


def _gnupghome(ws: Workspace, gnupghome: Path) -> Workspace:
    text = ws.config_path.read_text()
    start = text.index("gnupghome: ")
    text = text[:start] + f"gnupghome: {gnupghome}" + text[text.index("\n", start) :]
    ws.config_path.write_text(text)
    return load_workspace(ws.root)


def _trust_version_2(ws: Workspace, keys: Keys, **changes: Any) -> None:
    trust_propose(ws, TrustChanges(**changes), keys=[keys.good])


def v001(root: Path, keys: Keys, _: ExitStack) -> Case:
    return Case(build_ws(root, keys.home, keys.good, [keys.good]), {})  # never promoted


def v002(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    _store(ws).head_path.unlink()
    return Case(ws, {})


def v003(root: Path, keys: Keys, _: ExitStack) -> Case:
    return Case(_two_snapshots(root, keys), {"sequence": 9})


def v004(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    path = _store(ws).seq_dir(2) / "manifest.json"
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b'"gate":"design"', b'"gate":"desigN"'))
    return Case(ws, {})


def v005(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    _rewrite_head_manifest(ws, lambda m: m.update(sequence=7))
    return Case(ws, {})


def v006(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    _rewrite_head_manifest(ws, lambda m: m.update(parent="sha256:" + "0" * 64))
    return Case(ws, {})


def v007(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    store = _store(ws)
    first = digest_bytes(store.manifest_bytes(1))
    shutil.rmtree(store.seq_dir(2))  # the newer folder removed: the decision log still remembers it
    write_atomic(store.head_path, Head(1, first).with_gate("design", 1, first).to_bytes())
    return Case(ws, {})


def v008(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    ObjectStore(ws).path_for(json.loads(_store(ws).manifest_bytes(2))["inputs"][0]["object"]).unlink()
    return Case(ws, {})


def v009(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    path = ObjectStore(ws).path_for(json.loads(_store(ws).manifest_bytes(2))["inputs"][0]["object"])
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"tampered\n")
    return Case(ws, {})


def v010(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    sig = _store(ws).seq_dir(2) / "manifest.json.asc"
    sig.chmod(0o644)
    sig.write_bytes(b"-----BEGIN PGP SIGNATURE-----\n\nnot a signature\n-----END PGP SIGNATURE-----\n")
    return Case(ws, {})


def v011(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    _resign(ws, 2, keys.other, keys.home)  # a valid signature by a key that is not trusted
    return Case(ws, {})


def v012(root: Path, keys: Keys, _: ExitStack) -> Case:
    expired = make_key(keys.home, "expired signer", expire="1d", faked_time="20200101T000000")
    ws = build_ws(root, keys.home, keys.good, [keys.good, expired])  # trust version 1 lets it sign
    promote(ws, "f", "design")
    _rewrite_head_manifest(ws, lambda m: m.update(signer=expired), sequence=1)
    store = _store(ws)
    gpg = ["gpg", "--homedir", str(keys.home), "--batch", "--faked-system-time", "20200101T120000"]
    signed = subprocess.run(
        [*gpg, "--armor", "--detach-sign", "--local-user", expired],
        input=store.manifest_bytes(1),
        capture_output=True,
        check=True,
    ).stdout
    (store.seq_dir(1) / "manifest.json.asc").chmod(0o644)
    (store.seq_dir(1) / "manifest.json.asc").write_bytes(signed)
    return Case(ws, {})


def v013(root: Path, keys: Keys, stack: ExitStack) -> Case:
    home = stack.enter_context(gnupg_home())
    key = make_key(home, "soon revoked")
    ws = build_ws(root, home, key, [key])
    promote(ws, "f", "design")
    revoke_key(home, key)
    return Case(ws, {})


def v014(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    _trust_version_2(ws, keys, remove_signer=(f"f:*:{keys.good}",))
    _rewrite_head_manifest(ws, lambda m: m.update(trust_version=2))  # names a version with no signer for f
    return Case(ws, {})


def v015(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = build_ws(root, keys.home, keys.good, [keys.good])
    promote(ws, "f", "design", PromoteOptions(expires_days=1))
    return Case(ws, {"now": time.time() + 2 * 86400})


def v016(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    _rewrite_head_manifest(ws, lambda m: m.update(unexpected_field=True))
    return Case(ws, {})


def v017(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    log = _store(ws).decisions_path
    log.write_bytes(log.read_bytes().replace(b'"outcome":"won"', b'"outcome":"lost"', 1))
    return Case(ws, {})


def v018(root: Path, keys: Keys, stack: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    (ws.keys_dir / f"{keys.good}.asc").unlink()  # a clone that has neither the committed key nor the keyring
    return Case(_gnupghome(ws, stack.enter_context(gnupg_home())), {})


def v019(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    store = _store(ws)
    head = store.head()
    assert head is not None
    forged = Head(head.sequence, head.digest, {**head.gates, "review": GateHead(1, head.digest)})
    write_atomic(store.head_path, forged.to_bytes())
    return Case(ws, {})


def v020(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = build_ws(root, keys.home, keys.good, [keys.good])
    promote(ws, "f", "design")
    plan = ws.root / "frameworks/tp.md"
    plan.write_text(plan.read_text().replace("# Plan v1\n", "# Plan v2\n"))
    rebuild(ws)
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core._workspace import load_workspace
        from artigov.promote import promote
        promote(load_workspace(Path({str(ws.root)!r})), "f", "design")
        """)
    env = {**os.environ, "ARTIGOV_FAULT": "before-head-move"}  # killed after its commit point
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=False).returncode == 70
    return Case(ws, {})


def _approved(root: Path, keys: Keys) -> tuple[Workspace, Path]:
    ws = build_signed_approvals_ws(root, keys)
    plan = ws.root / "frameworks/tp.md"
    transition(ws, plan, "review", Signoff(who=CAROL))
    done = transition(ws, plan, "approve", Signoff(who=ALICE))
    promote(ws, "f", "design")
    return ws, ws.root / str(done.statement)


def v021(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws, statement = _approved(root, keys)
    statement.write_text(json.dumps({**json.loads(statement.read_bytes()), "comment": "forged"}))
    return Case(ws, {})


def v022(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws, statement = _approved(root, keys)
    review = next((ws.record_dir / "f/approvals/tp/1.0.0").glob(f"{CAROL}*.json.asc"))
    statement.with_name(statement.name + ".asc").write_bytes(review.read_bytes())  # carol's signature on alice's
    return Case(ws, {})


def t001(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    shutil.rmtree(ws.record_dir / "trust")  # a pull request deletes the root of trust
    return Case(ws, {})


def t002(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    doc = ws.record_dir / "trust/000001/trust.json"
    doc.chmod(0o644)
    doc.write_bytes(json.dumps(json.loads(doc.read_bytes()), indent=1).encode())  # no longer canonical
    return Case(ws, {})


def t003(root: Path, keys: Keys, _: ExitStack) -> Case:
    """A pull request writes version 2 letting an outsider sign, without the root's signature."""
    ws = _two_snapshots(root, keys)
    first = ws.record_dir / "trust/000001/trust.json"
    doc = json.loads(first.read_bytes())
    doc.update(version=2, previous=digest_bytes(first.read_bytes()))
    doc["frameworks"]["f"]["signers"]["*"].append(keys.other)
    doc["frameworks"]["f"]["signers"]["*"].sort()
    (ws.record_dir / "trust/000002").mkdir()
    (ws.record_dir / "trust/000002/trust.json").write_bytes(canonical_json(doc))
    return Case(ws, {})


def t004(root: Path, keys: Keys, _: ExitStack) -> Case:
    return Case(_two_snapshots(root, keys), {}, {"ARTIGOV_TRUST_PIN": "sha256:" + "1" * 64})


def t006(root: Path, keys: Keys, _: ExitStack) -> Case:
    ws = _two_snapshots(root, keys)
    _rewrite_head_manifest(ws, lambda m: m.update(trust_version=7))  # a version that does not exist
    return Case(ws, {})


#: The codes verify_snapshot can fail with (T005 refuses a trust proposal: not a verification code).
VERIFY_CODES = [c.code for c in (*codes_of("V"), *codes_of("T")) if c.code != "T005"]
TABLE: dict[str, Damage] = {name.upper(): damage for name, damage in globals().items() if name[:2] in ("v0", "t0")}


def test_the_table_has_a_row_for_every_verification_code_and_a_step_owns_each() -> None:
    catalogued = sorted(VERIFY_CODES)
    assert sorted(TABLE) == catalogued
    owned = {code for step in STEPS for code in step.codes}
    assert owned == set(catalogued)


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as s:
        yield s


@pytest.mark.parametrize("code", sorted(TABLE))
def test_each_damage_fails_verify_with_its_code_at_its_step(
    code: str, tmp_path: Path, keys: Keys, stack: ExitStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    case = TABLE[code](tmp_path / "ws", keys, stack)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    options = dict(case.kwargs)
    sequence = options.pop("sequence", None)
    with pytest.raises(VerificationError) as info:
        verify_snapshot(case.ws, "f", sequence, VerifyOptions(**options))
    error = info.value
    assert error.code == code, str(error)
    step = next(s for s in STEPS if s.name == error.step)
    assert code in step.codes, f"{code} raised by step {step.name}, which lists {step.codes}"


def test_each_step_emits_its_own_decision(tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A good snapshot: every step says it passed, in order; a damaged one: the steps before the
    failing one passed, and the failing one says which code."""
    from artigov.core import capture

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    ws = _two_snapshots(tmp_path / "ws", keys)
    with capture() as events:
        verify_snapshot(ws, "f")
    said = [(e["subject"], e["outcome"]) for e in events if e["event"] == "verify_step"]
    assert said == [(step.name, "passed") for step in STEPS]
    ObjectStore(ws).path_for(json.loads(_store(ws).manifest_bytes(2))["inputs"][0]["object"]).unlink()
    with capture() as events, pytest.raises(VerificationError):
        verify_snapshot(ws, "f")
    said = [(e["subject"], e["outcome"], e.get("code")) for e in events if e["event"] == "verify_step"]
    failed_at = [s.name for s in STEPS].index("objects")
    assert said[:failed_at] == [(s.name, "passed", None) for s in STEPS[:failed_at]]
    assert said[failed_at:] == [("objects", "failed", "V008")]
