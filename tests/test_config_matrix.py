"""Every configuration artigov recommends, as a new team meets it: a repository made by
`artigov init`, {1, 3} frameworks x signed approvals {off, on} x {nested, flat} document folders.
In each: author, review, approve, promote, edit and approve again, promote, roll back, commit,
clone as an auditor, and run every shell step of the CI workflow `artigov init` wrote on that clone
with an empty GnuPG home, the pre-commit hooks on every file, and `artigov rehearse --quick` (a
3-framework cell rehearses one framework, a different one per cell, except the largest, which
rehearses all three; the signed 3-framework cells are marked slow: CI runs them too)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from artigov.core.testkeys import gnupg_home, make_key

if TYPE_CHECKING:
    from conftest import HooksSource  # the hooks_source fixture: this checkout at the commit under test


#: Where the `.pre-commit-config.yaml` of `artigov init` takes the hooks from.
PUBLISHED = "https://github.com/artigov/artigov"
AL, BO = "al@example.org", "bo@example.org"
#: The scaffold's nested folders (plans/technical, ...) and the flat layout's (one folder per kind
#: directly under the framework's).
FLAT = {
    "frameworks/{framework}/plans/technical": "frameworks/{framework}/technical-plan",
    "frameworks/{framework}/plans/action": "frameworks/{framework}/action-plan",
    "frameworks/{framework}/registers/risk": "frameworks/{framework}/risk-register",
    "frameworks/{framework}/reports/summary": "frameworks/{framework}/summary-report",
}


@pytest.fixture(scope="module")
def keys() -> Iterator[tuple[Path, str, str, str]]:
    with gnupg_home() as home:
        yield home, make_key(home, "maintainer"), make_key(home, "al"), make_key(home, "bo")


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


class Cell:
    """One configuration's repository and the commands run in it."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root, self.home = root, home
        self.ws = root / "gov"

    def artigov(self, *args: str, cwd: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GNUPGHOME": str(self.home), "ARTIGOV_ACTOR": "maintainer@example.org"}
        done = subprocess.run(
            [sys.executable, "-m", "artigov.cli", *args],
            cwd=cwd or self.ws,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if ok:
            assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
        return done


def _flatten(ws: Path) -> None:
    """One folder per kind directly under the framework's (the routing map and the command routing
    agree), and the starter plans moved there with `artigov route fix --apply`."""
    for name in ("artifact_routing.mdc", "routing_matrix.json"):
        path = ws / name
        text = path.read_text()
        for nested, flat in FLAT.items():
            text = text.replace(nested, flat)
        path.write_text(text)


@dataclass(frozen=True)
class Setting:
    """One cell's configuration: how many frameworks, signed approvals on or off, flat or nested
    document folders, and the one framework a 3-framework cell rehearses (a different one in each,
    so all three are rehearsed in each setting; None: all of them)."""

    count: int
    signed: bool
    flat: bool
    only: str | None = None

    @property
    def frameworks(self) -> list[str]:
        return ["payments", "ledger", "audit"][: self.count]


def _make(cell: Cell, keys: tuple[Path, str, str, str], setting: Setting) -> None:
    _home, maintainer, al, bo = keys
    frameworks, signed, flat = setting.frameworks, setting.signed, setting.flat
    made = cell.artigov("init", "gov", "--framework", frameworks[0], "--owner", AL, "--key", maintainer, cwd=cell.root)
    assert ".github/workflows/artigov.yml" in made.stdout
    for name in frameworks[1:]:
        cell.artigov("init", "--framework", name, "--owner", AL)
    if flat:
        _flatten(cell.ws)
        moved = cell.artigov("route", "fix", "--apply")
        assert "technical-plan/" in moved.stdout, moved.stdout
    for name in frameworks:
        contract = cell.ws / "contracts" / f"{name}.yaml"
        text = contract.read_text().replace(f"    responsible: [{AL}]", f"    responsible: [{BO}]")
        if signed:
            text = text.replace("# require_signed_approvals: true", "require_signed_approvals: true")
        contract.write_text(text)
    if signed:
        grants = [f"{name}:{person}:{key}" for name in frameworks for person, key in ((AL, al), (BO, bo))]
        cell.artigov("trust", "propose", *(a for grant in grants for a in ("--add-person", grant)))
    _git(cell.ws, "init", "-q")
    _git(cell.ws, "add", "-A")
    _git(cell.ws, "commit", "-qm", "a governance repository made by artigov init")


def _plans(ws: Path) -> dict[str, str]:
    found = {}
    for path in sorted((ws / "frameworks").rglob("*.md")):
        meta = yaml.safe_load(path.read_text().split("---\n")[1])
        found[str(meta["framework"])] = str(path.relative_to(ws))
    return found


def _approve(cell: Cell, plan: str, signed: bool, al: str) -> None:
    cell.artigov("approve", plan, "--as", AL, *(["--key", al] if signed else []))


def _story(cell: Cell, frameworks: list[str], signed: bool, al: str) -> str:
    """Author, review, approve, promote, edit, approve again, promote, roll back: the base commit."""
    base = _git(cell.ws, "rev-parse", "HEAD")
    plans = _plans(cell.ws)
    assert sorted(plans) == sorted(frameworks)
    for name in frameworks:
        cell.artigov("review", plans[name], "--as", BO)
        _approve(cell, plans[name], signed, al)
        _git(cell.ws, "add", "-A")
        _git(cell.ws, "commit", "-qm", f"{name}: plan reviewed and approved")
        cell.artigov("promote", "-f", name, "-g", "design", "--commit")
        path = cell.ws / plans[name]
        head, body = path.read_text().split("\n---\n", 1)
        body += "\nA second thought.\n"
        checksum = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
        lines = [f"checksum: {checksum}" if line.startswith("checksum:") else line for line in head.splitlines()]
        path.write_text("\n".join(lines) + "\n---\n" + body)
        refused = cell.artigov("contract", "check", "-f", name, "--gate", "design", ok=False)
        assert refused.returncode == 1 and "C011" in refused.stdout  # the approval is for other content
        _approve(cell, plans[name], signed, al)
        _git(cell.ws, "add", "-A")
        _git(cell.ws, "commit", "-qm", f"{name}: plan revised and approved again")
        cell.artigov("promote", "-f", name, "-g", "design", "--commit")
        cell.artigov("rollback", "-f", name, "--to", "1", "--reason", "matrix", "--commit")
    return base


def _ci_steps(cell: Cell, base: str) -> None:
    """Every shell step of the gates job `artigov init` wrote, on an auditor's clone, as GitHub runs
    them (bash -e -o pipefail), with an empty GnuPG home and the pin as a repository variable."""
    clone = cell.root / "auditor"
    _git(cell.root, "clone", "-q", str(cell.ws), str(clone))
    workflow = yaml.safe_load((clone / ".github" / "workflows" / "artigov.yml").read_text())
    empty = cell.root / "empty-gnupg"
    empty.mkdir(mode=0o700)
    (cell.root / "runner").mkdir()
    github_env = cell.root / "github_env"
    github_env.write_text("")
    pin = "sha256:" + hashlib.sha256((clone / "governance/trust/000001/trust.json").read_bytes()).hexdigest()
    for step in workflow["jobs"]["gates"]["steps"]:
        if "run" not in step or step["name"].startswith("Install"):
            continue
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "GNUPGHOME": str(empty),
            "GITHUB_ENV": str(github_env),
            "RUNNER_TEMP": str(cell.root / "runner"),
            "ARTIGOV_TRUST_PIN": pin,
            "BASE": base,
            **dict(line.split("=", 1) for line in github_env.read_text().split()),
        }
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        sarif = {f.name: f.read_text()[-1500:] for f in sorted((cell.root / "runner").rglob("*.sarif"))}
        assert done.returncode == 0, (step["name"], done.stdout[-3000:], done.stderr[-3000:], sarif)
    assert github_env.read_text() == ""  # no step found anything
    assert _git(clone, "status", "--porcelain") == ""
    assert list(empty.iterdir()) == []


def _pre_commit(cell: Cell, hooks: HooksSource) -> None:
    """The hooks `artigov init` configured (its `.pre-commit-config.yaml`, pointed at this checkout
    at the commit under test instead of the published tag), on every file, installed by pre-commit
    itself into its store."""
    config = (cell.ws / ".pre-commit-config.yaml").read_text()
    pointed = re.sub(r"(?m)^(\s*rev: )\S+", rf"\g<1>{hooks.rev}", config.replace(PUBLISHED, str(hooks.repo)), count=1)
    assert f"repo: {hooks.repo}" in pointed and f"rev: {hooks.rev}" in pointed, config
    (cell.root / "pre-commit-config.yaml").write_text(pointed)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")},
        "PRE_COMMIT_HOME": str(hooks.home),
        "GNUPGHOME": str(cell.home),
    }
    run = [
        sys.executable,
        "-m",
        "pre_commit",
        "run",
        "--all-files",
        "--verbose",  # the hook's own output, passed or not
        "--config",
        str(cell.root / "pre-commit-config.yaml"),
    ]
    hooks_run = subprocess.run(run, cwd=cell.ws, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert hooks_run.returncode == 0, hooks_run.stdout[-3000:] + hooks_run.stderr[-3000:]
    # init configures the one hook that runs the three checks (`artigov hook pre-commit`)
    assert "artigov checks" in hooks_run.stdout
    for said in ("artifact(s) checked", "index verify: ok", "route check:"):
        assert said in hooks_run.stdout, hooks_run.stdout[-3000:]


def _run_cell(tmp_path: Path, keys: tuple[Path, str, str, str], hooks: HooksSource, setting: Setting) -> Cell:
    cell = Cell(tmp_path, keys[0])
    _make(cell, keys, setting)
    base = _story(cell, setting.frameworks, setting.signed, keys[2])
    _ci_steps(cell, base)
    _pre_commit(cell, hooks)
    return cell


def _rehearse(cell: Cell, frameworks: list[str], only: str | None) -> None:
    """``artigov rehearse --quick`` in the cell: every framework, or ``only`` one of them."""
    chosen = [only] if only else frameworks
    rehearsed = cell.artigov("rehearse", "--quick", *(a for f in chosen for a in ("-f", f)))
    out = rehearsed.stdout
    assert f"playbooks: {5 * len(chosen)}/{5 * len(chosen)} passed" in out, out[-3000:]
    assert "rows held" in out, out[-3000:]
    for framework in frameworks:  # a framework not chosen is not rehearsed
        assert (f"{framework} (gate" in out) == (framework in chosen), out[:600]


CELLS = [
    pytest.param(Setting(1, signed=False, flat=False), id="1fw-unsigned-nested"),
    pytest.param(Setting(1, signed=False, flat=True), id="1fw-unsigned-flat"),
    pytest.param(Setting(1, signed=True, flat=False), id="1fw-signed-nested"),
    pytest.param(Setting(1, signed=True, flat=True), id="1fw-signed-flat"),
    pytest.param(Setting(3, signed=False, flat=False, only="ledger"), id="3fw-unsigned-nested"),
    pytest.param(Setting(3, signed=False, flat=True, only="audit"), id="3fw-unsigned-flat"),
    pytest.param(Setting(3, signed=True, flat=False), marks=pytest.mark.slow, id="3fw-signed-nested"),
    pytest.param(Setting(3, signed=True, flat=True, only="payments"), marks=pytest.mark.slow, id="3fw-signed-flat"),
]


@pytest.mark.parametrize("setting", CELLS)
def test_a_configuration_works_end_to_end(
    tmp_path: Path, keys: tuple[Path, str, str, str], hooks_source: HooksSource, setting: Setting
) -> None:
    cell = _run_cell(tmp_path, keys, hooks_source, setting)
    _rehearse(cell, setting.frameworks, setting.only)
