from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from artigov.core import ForkServer, Workspace, load_workspace
from artigov.core.testing import make_artifact, make_workspace
from artigov.core.testkeys import gnupg_home, make_key
from artigov.hydrate import determinism_door, door_env
from artigov.index import rebuild
from artigov.promote import VerificationError, promote, trust_init
from artigov.promote._verify import verify_snapshot

CONTRACT = """\
framework: f
allowed_kinds: [technical-plan, risk-register]
raci:
  technical-plan:
    accountable: [alice@example.org]
  risk-register:
    accountable: [alice@example.org]
gates:
  - name: design
    requires:
      technical-plan: approved
      risk-register: review
retention:
  keep_last: 2
rollback_triggers:
  - on: verify_failed
    action: rollback
  - on: checksum_drift
    action: rollback
"""


ALICE, CAROL = "alice@example.org", "carol@example.org"


@dataclass
class Keys:
    """Throwaway keys in one temporary GNUPGHOME: the release signer (trusted), another signer (not
    trusted), and two people who review and approve."""

    home: Path
    good: str
    other: str
    alice: str
    carol: str


@pytest.fixture(scope="session")
def keys() -> Iterator[Keys]:
    with gnupg_home() as home:
        yield Keys(
            home,
            make_key(home, "good signer"),
            make_key(home, "other signer"),
            make_key(home, "alice"),
            make_key(home, "carol"),
        )


def build_ws(root: Path, home: Path, key: str, trusted: list[str]) -> Workspace:
    config = textwrap.dedent(f"""\
        artifacts: [frameworks/**]
        signing:
          key: {key}
          trusted: [{", ".join(trusted)}]
          gnupghome: {home}
        """)
    files: dict[str, str | bytes] = {
        "contracts/f.yaml": CONTRACT,
        "frameworks/tp.md": make_artifact(
            "tp", status="approved", framework="f", extra="approved_by: [alice@example.org]", body="# Plan v1\n"
        ),
        "frameworks/rr.md": make_artifact(
            "rr", status="review", framework="f", kind="risk-register", extra="risks: [R-001]", body="# Risks\n"
        ),
    }
    ws = load_workspace(make_workspace(root, config, files))
    rebuild(ws)
    trust_init(ws, root_keys=trusted[:1] or [key])  # version 1 from these settings, as `artigov trust init` does
    return ws


@pytest.fixture
def ws(tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    return build_ws(tmp_path / "ws", keys.home, keys.good, [keys.good])


@pytest.fixture
def ws_factory(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """build_ws(root, home, key, trusted), with SOURCE_DATE_EPOCH pinned."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    return build_ws


def build_signed_approvals_ws(root: Path, keys: Keys) -> Workspace:
    """A workspace whose contract requires signed approvals: carol reviews, alice approves."""
    config = textwrap.dedent(f"""\
        artifacts: [frameworks/**]
        signing:
          key: {keys.good}
          trusted: [{keys.good}]
          gnupghome: {keys.home}
        """)
    contract = textwrap.dedent(f"""\
        framework: f
        allowed_kinds: [technical-plan]
        require_signed_approvals: true
        people:
          {ALICE}: [{keys.alice}]
          {CAROL}: [{keys.carol}]
        raci:
          technical-plan:
            responsible: [{CAROL}]
            accountable: [{ALICE}]
        gates:
          - name: design
            requires:
              technical-plan: approved
        """)
    files: dict[str, str | bytes] = {
        "contracts/f.yaml": contract,
        "frameworks/tp.md": make_artifact("tp", framework="f", body="# Plan v1\n"),
    }
    ws = load_workspace(make_workspace(root, config, files))
    rebuild(ws)
    trust_init(ws)  # people: of the contract become the approval keys of trust version 1
    return ws


def verify_code(ws: Workspace, sequence: int | None = None) -> str:
    """The code ``verify_snapshot`` fails with (it must fail)."""
    with pytest.raises(VerificationError) as info:
        verify_snapshot(ws, "f", sequence)
    return info.value.code


def flip_byte(path: Path, offset: int = 40) -> None:
    """Flip one bit of a (read-only) record file."""
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def edit_plan(ws: Workspace, text: str) -> None:
    """Replace the plan's body and re-index (a new input for the next snapshot)."""
    path = ws.root / "frameworks/tp.md"
    path.write_text(path.read_text().replace("# Plan v1\n", text))
    rebuild(ws)


def fault_script(call: str) -> str:
    """A subprocess that runs one record command as a library call, an ArtigovError as one line."""
    return textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from artigov.core.errors import ArtigovError
        from artigov.core._logconfig import configure_logging
        from artigov.core._workspace import load_workspace
        from artigov.promote import RollbackOptions, promote, prune, rollback
        configure_logging("console", "error")
        ws = load_workspace(Path(sys.argv[1]))
        try:
            {call}
        except ArtigovError as e:
            print(e)
            sys.exit(e.exit_code)
        """)


#: What the fault sweeps' fork server imports once (every step's script imports from these).
FAULT_PRELOAD = ("artigov.core", "artigov.contract", "artigov.index", "artigov.promote", "gnupg", "jsonschema", "yaml")

#: How :func:`fault_runs` interrupts a step: a crash (the process exits), ENOSPC, EIO.
FAULT_MODES = ("crash", "enospc", "eio")


def fault_runs(
    template: Path, tmp_path: Path, call: str, probe: Any, modes: Sequence[str] = FAULT_MODES
) -> Iterator[tuple[Path, Any, str, str]]:
    """Every file-system step of ``call`` (counted by running ``probe`` on a copy), crashed, failed
    with ENOSPC and with EIO (or only ``modes``: a sweep split by mode runs side by side), each on a
    fresh copy of ``template``: yields (copy, result, mode, where)."""

    from artigov.core import load_workspace, steps_taken

    counted = tmp_path / "probe"
    shutil.copytree(template, counted, symlinks=True)
    before = steps_taken()
    probe(load_workspace(counted))
    total = steps_taken() - before
    assert total >= 10
    scratch = tmp_path / "tmp"  # what a crashed step leaves in the temporary folder (its verifying keyring)
    scratch.mkdir()
    base = {**os.environ, "TMPDIR": str(scratch)}
    # Each step a process of its own, forked from one warm one; a promotion's determinism rerun is
    # forked too, from a door started with the seed the rerun asks for (as in a rehearsal).
    with ForkServer(FAULT_PRELOAD) as server, rerun_door() as door:
        base.update(door)
        for step in range(1, total + 1):
            for mode in modes:
                run = tmp_path / f"run-{step}-{mode}"
                shutil.copytree(template, run, symlinks=True)
                env = {**base, "ARTIGOV_FAULT_STEP": str(step), "ARTIGOV_FAULT_MODE": mode}
                done = server.run([str(run)], tmp_path, env, code=fault_script(call))
                where = f"step {step} {mode}: {done.stdout}{done.stderr}"
                assert "Traceback" not in done.stderr, where
                assert done.returncode in ((70,) if mode == "crash" else (0, 1)), where
                yield run, done, mode, where
                shutil.rmtree(run)


@contextmanager
def rerun_door() -> Iterator[dict[str, str]]:
    """A door for promotions' determinism reruns (what a rehearsal gives its commands), named in
    this process's environment too, so a test's own promotions between forked steps use it: yields
    the variable to give the forked steps."""
    with determinism_door() as door:
        named = door_env(door)
        os.environ.update(named)
        try:
            yield named
        finally:
            for name in named:
                del os.environ[name]


def two_file_history(ws: Workspace) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Snapshot 1 and 2 differ in both inputs; returns (files of 1, files of 2)."""
    names = ("frameworks/tp.md", "frameworks/rr.md")
    promote(ws, "f", "design")
    old = {n: (ws.root / n).read_bytes() for n in names}
    rr = ws.root / "frameworks/rr.md"
    rr.write_text(rr.read_text().replace("# Risks\n", "# Risks, revised\n"))
    edit_plan(ws, "# Plan v2\n")  # rebuilds the index
    promote(ws, "f", "design")
    return old, {n: (ws.root / n).read_bytes() for n in names}


def mid_switch(root: Path) -> bool:
    """A crash between the renames of a switch: the journal says switching, so the next command finishes it."""
    journal = root / ".artigov" / "restore-f.journal"
    return journal.is_file() and b'"switching"' in journal.read_bytes()
