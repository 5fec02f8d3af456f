from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from artigov.core.testing import make_artifact, make_workspace
from artigov.core.testkeys import gnupg_home, make_key
from artigov.core.workspace import Workspace, load_workspace
from artigov.index import rebuild

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


@dataclass
class Keys:
    home: Path
    good: str
    other: str


@pytest.fixture(scope="session")
def keys() -> Iterator[Keys]:
    with gnupg_home() as home:
        yield Keys(home, make_key(home, "good signer"), make_key(home, "other signer"))


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
