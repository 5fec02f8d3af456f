"""Fitting the ecosystem: init, pre-commit hooks, SARIF, the CI template, completion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from jsonschema import Draft4Validator

if TYPE_CHECKING:
    from conftest import HooksSource

REPO = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text())
Runner = Callable[..., subprocess.CompletedProcess[str]]


def test_init_scaffold_validates_routes_and_indexes_clean(artigov: Runner, tmp_path: Path) -> None:
    target = tmp_path / "new"
    created = artigov("init", target, "--framework", "fwk-new")
    assert created.returncode == 0, created.stderr
    for command in (
        ["validate"],
        ["route", "check"],
        ["index", "rebuild"],
        ["index", "verify"],
        ["contract", "check", "-f", "fwk-new", "--gate", "draft"],
    ):
        result = artigov(*command, cwd=target)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    attributes = (target / ".gitattributes").read_text()
    assert "governance/objects/** binary" in attributes and "governance/*/snapshots/** binary" in attributes
    assert ".artigov/" in (target / ".gitignore").read_text().splitlines()
    assert "record: governance" in (target / "artigov.yaml").read_text()


def test_init_refuses_to_overwrite_and_writes_nothing(artigov: Runner, tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("# mine\n")
    result = artigov("init", tmp_path)
    assert result.returncode == 2 and "would overwrite .gitignore" in result.stderr
    assert (tmp_path / ".gitignore").read_text() == "# mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore"]
    (tmp_path / "artigov.yaml").write_text("# mine\n")  # a workspace: init adds frameworks to it, nothing else
    result = artigov("init", tmp_path)
    assert result.returncode == 2 and "is a workspace already" in result.stderr
    assert "nothing was written" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore", "artigov.yaml"]
    bad = artigov("init", tmp_path / "x", "--framework", "../evil")
    assert bad.returncode == 2 and not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("args", "root"),
    [
        (["validate"], REPO / "tests" / "data" / "broken"),
        (["route", "check"], REPO / "tests" / "data" / "routing"),
        (["contract", "check", "-f", "fwk-001", "--gate", "release"], None),
    ],
)
def test_sarif_output_validates_against_the_sarif_2_1_0_schema(
    artigov: Runner, example_copy: Path, tmp_path: Path, args: list[str], root: Path | None
) -> None:
    if root is None:
        assert artigov("index", "rebuild", "--root", example_copy).returncode == 0
        ws = example_copy
    else:
        ws = tmp_path / "ws"
        shutil.copytree(root, ws, ignore=shutil.ignore_patterns(".artigov"))
    result = artigov(*args, "--format", "sarif", "--root", ws)
    assert result.returncode == 1
    log = json.loads(result.stdout)
    errors = sorted(Draft4Validator(SARIF_SCHEMA).iter_errors(log), key=str)
    assert errors == [], errors[:3]
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert run["results"], "findings expected"
    for res in run["results"]:
        assert res["ruleId"] in rule_ids
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
    if args[0] == "validate":
        assert any("region" in r["locations"][0]["physicalLocation"] for r in run["results"])


def _sarif_multitool() -> str | None:
    """Microsoft's SARIF Multitool (.ci/run installs it from npm and names it in SARIF_MULTITOOL)."""
    default = Path.home() / ".cache" / "artigov-ci" / "sarif-multitool" / "node_modules" / "@microsoft"
    for candidate in (os.environ.get("SARIF_MULTITOOL"), str(default / "sarif-multitool-linux" / "Sarif.Multitool")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if os.environ.get("CI"):
        pytest.fail("SARIF_MULTITOOL is not installed: .ci/run installs it from the npm registry")
    pytest.skip("the SARIF Multitool is not installed (npm install @microsoft/sarif-multitool)")


def _multitool_problems(tool: str, sarif: Path) -> list[str]:
    """What the Multitool's SARIF and GitHub rules say about the file ([] when it is clean)."""
    report = sarif.with_suffix(".validation.sarif")
    done = subprocess.run(
        [tool, "validate", str(sarif), "--rule-kind", "Gh;Sarif", "--output", str(report), "--log", "ForceOverwrite"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [str(p["message"]) for p in json.loads(report.read_text())["runs"][0].get("results", [])]


@pytest.mark.parametrize(("command", "data"), [("validate", "broken"), ("route check", "routing")])
def test_github_accepts_the_sarif_by_the_sarif_multitools_github_rules(
    artigov: Runner, tmp_path: Path, command: str, data: str
) -> None:
    """Every rule has fullDescription and help (GH2012), every result a region and a fingerprint."""
    tool = _sarif_multitool()
    ws = tmp_path / "ws"
    shutil.copytree(REPO / "tests" / "data" / data, ws)
    sarif = tmp_path / "out.sarif"
    sarif.write_text(artigov(*command.split(), "--format", "sarif", "--root", ws).stdout)
    log = json.loads(sarif.read_text())
    results = log["runs"][0]["results"]
    assert results and all("region" in r["locations"][0]["physicalLocation"] for r in results)
    prints = [r["partialFingerprints"]["artigovFinding/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    problems = _multitool_problems(tool, sarif)
    assert problems == [], problems[:3]


def test_a_fingerprint_survives_lines_moving_above_the_finding(artigov: Runner, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(REPO / "tests" / "data" / "broken", ws)

    def prints() -> dict[str, tuple[str, int]]:
        log = json.loads(artigov("validate", "--format", "sarif", "artifacts/version-float.md", cwd=ws).stdout)
        return {
            r["partialFingerprints"]["artigovFinding/v1"]: (
                r["ruleId"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in log["runs"][0]["results"]
        }

    before = prints()
    path = ws / "artifacts" / "version-float.md"
    path.write_text(path.read_text().replace("---\n", "---\n# a comment\n", 1))
    after = prints()
    assert before.keys() == after.keys()
    assert [line + 1 for _, line in before.values()] == [line for _, line in after.values()]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args], cwd=cwd, check=True, capture_output=True
    )


def test_pre_commit_try_repo_runs_the_hooks(artigov: Runner, tmp_path: Path, hooks_source: HooksSource) -> None:
    """The hooks as a new team uses them: in a repository made by `artigov init`, with no artigov on
    the PATH (pre-commit installs it into the hooks' own environment: `language: python`). First
    `pre-commit try-repo` of this checkout (its own new store: the environment is built here); then
    one hook on a staged bad file, from the store the test run shares (tests/conftest.py), where the
    same hooks' environment is built once for every test that runs them."""
    repo = tmp_path / "governance"
    assert artigov("init", repo, "--framework", "fx").returncode == 0
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "init")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")},
        "PATH": os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "artigov").exists()),
        "PRE_COMMIT_HOME": str(hooks_source.home),
        "ARTIGOV_ACTOR": "tests@example.org",
    }

    def pre_commit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    clean = pre_commit("try-repo", str(REPO), "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    for hook in ("artigov checks", "artigov validate", "artigov route check", "artigov index verify"):
        assert hook in clean.stdout
    plan = repo / "frameworks/fx/plans/technical/technical-plan-0.1.0.md"
    plan.write_text(plan.read_text().replace("status: draft", "status: final"))
    _git(repo, "add", "-A")
    config = tmp_path / "hooks.yaml"
    hooks = [{"id": "artigov-validate"}, {"id": "artigov-checks"}]
    config.write_text(
        yaml.safe_dump({"repos": [{"repo": str(hooks_source.repo), "rev": hooks_source.rev, "hooks": hooks}]})
    )
    for hook in ("artigov-validate", "artigov-checks"):
        staged = pre_commit("run", hook, "--config", str(config))
        assert staged.returncode == 1
        assert "technical-plan-0.1.0.md:" in staged.stdout and "S014" in staged.stdout, staged.stdout


def test_pre_commit_hooks_manifest_is_well_formed() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    ids = {h["id"] for h in hooks}
    assert ids == {"artigov-checks", "artigov-validate", "artigov-route-check", "artigov-index-verify"}
    by_id = {h["id"]: h for h in hooks}
    assert by_id["artigov-validate"]["pass_filenames"] is True
    assert by_id["artigov-route-check"]["pass_filenames"] is False
    # the one `artigov init` configures: the staged files, and it runs when none is staged too
    checks = by_id["artigov-checks"]
    assert (checks["pass_filenames"], checks["always_run"], checks["require_serial"]) == (True, True, True)
    assert checks["entry"] == "artigov hook pre-commit"
    assert all(h["additional_dependencies"] == checks["additional_dependencies"] for h in hooks)


def test_ci_template_runs_the_gates_and_nightly_rehearsals(artigov: Runner, tmp_path: Path) -> None:
    workflow = yaml.safe_load((REPO / "examples" / "ci" / "github-actions.yml").read_text())
    text = (REPO / "examples" / "ci" / "github-actions.yml").read_text()
    # `artigov init` writes this workflow (pinned to the installed version), byte for byte
    packaged = REPO / "src" / "artigov" / "templates" / "github-actions.yml"
    assert packaged.read_text() == text, "examples/ci/github-actions.yml and the packaged template differ"
    assert artigov("init", tmp_path / "gov").returncode == 0
    written = (tmp_path / "gov" / ".github" / "workflows" / "artigov.yml").read_text()
    assert yaml.safe_load(written)["jobs"] == workflow["jobs"]
    assert set(workflow["jobs"]) == {"gates", "rehearse"}
    for command in (
        "artigov validate",
        "artigov route check",
        "artigov contract check",
        "artigov index verify",
        "artigov verify",
        "nox -s rehearse",
        "upload-sarif",
    ):
        assert command in text, command
    assert workflow[True]["schedule"]  # YAML 1.1 reads the `on:` key as True


def test_ci_template_steps_really_check_every_gate_and_the_committed_record(artigov: Runner, tmp_path: Path) -> None:
    """Run the gates job's own shell steps (not install or upload) in a fresh clone of a promoted
    repository: the record verifies from the clone alone, and the release gate that fails in the
    example is caught (the old template ran `contract check` without a gate and passed)."""
    import os
    import sys

    workflow = yaml.safe_load((REPO / "examples" / "ci" / "github-actions.yml").read_text())
    assert workflow["env"]["ARTIGOV_REF"].startswith("v")  # pinned, never a moving branch
    assert workflow["permissions"]["security-events"] == "write"
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(tmp_path / "d" / "workspace"), str(clone)], check=True)
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_ENV": str(github_env),
        "GNUPGHOME": str(tmp_path / "empty-gnupg"),
        "RUNNER_TEMP": str(runner_temp),
    }
    (tmp_path / "empty-gnupg").mkdir(mode=0o700)
    import hashlib

    # The values GitHub fills in: the pin (a repository variable) and the pull request's base.
    pin = "sha256:" + hashlib.sha256((clone / "governance/trust/000001/trust.json").read_bytes()).hexdigest()
    github = {"ARTIGOV_TRUST_PIN": pin, "BASE": "HEAD~3"}

    def run_steps() -> dict[str, int]:
        outcomes = {}
        for step in workflow["jobs"]["gates"]["steps"]:
            if "run" not in step or step["name"].startswith("Install"):
                continue
            step_env = {**env, **dict(line.split("=", 1) for line in github_env.read_text().split())}
            for name in (*workflow["env"], *step.get("env", {})):
                if name in github:
                    step_env[name] = github[name]
            done = subprocess.run(
                ["bash", "-e", "-c", step["run"]], cwd=clone, env=step_env, capture_output=True, text=True, check=False
            )
            outcomes[step["name"]] = done.returncode
        return outcomes

    outcomes = run_steps()
    assert outcomes["Validate artifacts (SARIF)"] == 0 and outcomes["Route check (SARIF)"] == 0
    sarifs = sorted((runner_temp / "sarif").glob("*.sarif"))
    assert [p.name for p in sarifs] == ["contract-fwk-001.sarif", "routes.sarif", "validate.sarif"]
    ids = [json.loads(p.read_text())["runs"][0]["automationDetails"]["id"] for p in sarifs]
    assert len(set(ids)) == len(ids) and "artigov/contract-check/fwk-001/all-gates/" in ids, ids
    # the checkout is left as it was, and the empty GnuPG home stays empty (verification reads the
    # record's committed keys only)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    assert status.stdout == ""
    assert list((tmp_path / "empty-gnupg").iterdir()) == []
    assert "CONTRACT_FAILED=1" in github_env.read_text()  # the release gate fails, and CI says so
    assert outcomes["Fail on findings"] != 0
    assert outcomes["Index matches the files"] == 0
    assert outcomes["Every framework's signed record verifies (keys from the signed trust versions)"] == 0
    assert outcomes["Decision logs hold what the snapshots pin"] == 0
    grew = "The record only grew (since the pull request's base, or the previous main)"
    assert outcomes[grew] == 0
    # A pull request that reverts the rollback's commit: the record alone still verifies, but it shrank.
    github["BASE"] = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, check=True, capture_output=True, text=True
    ).stdout.strip()
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "revert", "--no-edit", "HEAD"],
        cwd=clone,
        check=True,
        capture_output=True,
    )
    github_env.write_text("")
    assert run_steps()[grew] == 1
    github["ARTIGOV_TRUST_PIN"] = "sha256:" + "0" * 64  # a pin that version 1 does not match
    assert run_steps()["Every framework's signed record verifies (keys from the signed trust versions)"] == 1


def test_every_commands_json_names_the_command_and_validates_against_the_published_schema(
    artigov: Runner, tmp_path: Path
) -> None:
    import sys

    from jsonschema import Draft202012Validator

    schema = json.loads((REPO / "schemas" / "cli-output.schema.json").read_text())
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    plan = "frameworks/fwk-001/plans/technical/tp-core-1.0.0.md"
    runs = [
        ["validate"],
        ["route", "check"],
        ["route", "resolve", plan],
        ["route", "fix"],
        ["contract", "check", "-f", "fwk-001", "--gate", "design"],
        ["hydrate", "-f", "fwk-001", "--stage", "design"],
        ["index", "add", plan],
        ["index", "update"],
        ["index", "rebuild"],
        ["index", "verify"],
        ["index", "recover"],
        ["promote", "-f", "fwk-001", "-g", "design"],
        ["verify", "-f", "fwk-001"],
        ["verify", "--all"],
        ["triggers", "-f", "fwk-001"],
        ["snapshots", "-f", "fwk-001"],
        ["audit", "verify"],
        ["rollback", "-f", "fwk-001", "--to", "1", "--reason", "schema test"],
        ["prune", "-f", "fwk-001"],
        ["review", "frameworks/fwk-001/registers/risk/rr-main-1.2.0.md", "--as", "bob@example.org"],
        ["approve", "frameworks/fwk-001/registers/risk/rr-main-1.2.0.md", "--as", "alice@example.org"],
        ["reject", "frameworks/fwk-001/registers/risk/rr-main-1.2.0.md", "--as", "alice@example.org", "--comment", "x"],
        ["diff", "-f", "fwk-001", "1", "3"],
        ["schema", "show", "risk-register"],
        ["status"],
        ["adopt", "-f", "fwk-001"],
        ["trust", "status"],
        ["trust", "show"],
        ["trust", "propose", "--add-person", "fwk-001:bob@example.org:" + "A" * 40],
    ]
    seen = set()
    for args in runs:
        result = artigov(*args, "--format", "json", cwd=ws)
        assert "Traceback" not in result.stderr, args
        payload = json.loads(result.stdout)
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(payload)]
        assert errors == [], (args, errors, result.stdout[:500])
        seen.add(payload["command"])
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ws, capture_output=True, text=True, check=True
    ).stdout.strip()
    (ws / "governance" / "fwk-001" / "HEAD").unlink()
    repaired = json.loads(artigov("repair-head", "-f", "fwk-001", "--format", "json", cwd=ws).stdout)
    assert list(Draft202012Validator(schema).iter_errors(repaired)) == []
    seen.add(repaired["command"])
    hook = subprocess.run(
        [sys.executable, "-m", "artigov.cli", "hook", "pre-receive", "--git-dir", str(ws / ".git"), "--format", "json"],
        input=f"{'0' * 40} {head} refs/heads/main\n",
        capture_output=True,
        text=True,
        check=False,
    )
    payload = json.loads(hook.stdout)
    assert list(Draft202012Validator(schema).iter_errors(payload)) == [] and payload["ok"], hook.stdout
    seen.add(payload["command"])
    # every command's JSON was checked; migrate-record needs a record in the old layout, trust init an
    # empty record and trust sign a pending proposal (the same TrustResult as propose: test_trust_team)
    hooked = artigov("hook", "pre-commit", plan, "--format", "json", cwd=ws)
    payload = json.loads(hooked.stdout)
    assert list(Draft202012Validator(schema).iter_errors(payload)) == [], hooked.stdout[:500]
    seen.add(payload["command"])
    assert seen == set(schema["properties"]["command"]["enum"]) - {"migrate-record", "trust init", "trust sign"}


def test_three_frameworks_give_three_sarif_runs_code_scanning_keeps_apart(artigov: Runner, tmp_path: Path) -> None:
    """One upload of every framework's contract SARIF: each valid SARIF 2.1.0, each run with its own
    automationDetails.id (code scanning rejects two runs of one tool with the same category), and
    clean by the SARIF Multitool's GitHub rules."""
    ws = tmp_path / "gov"
    assert artigov("init", ws, "--framework", "payments").returncode == 0
    for name in ("ledger", "audit"):
        added = artigov("init", "--framework", name, cwd=ws)
        assert added.returncode == 0, added.stdout + added.stderr
    listed = artigov("contract", "frameworks", cwd=ws).stdout.split()
    assert listed == ["audit", "ledger", "payments"]
    logs = {}
    for name in listed:
        done = artigov("contract", "check", "-f", name, "--all-gates", "--format", "sarif", cwd=ws)
        assert done.returncode == 1  # the design gate needs an approved plan: a finding to upload
        logs[name] = tmp_path / f"contract-{name}.sarif"
        logs[name].write_text(done.stdout)
    ids = []
    for path in logs.values():
        log = json.loads(path.read_text())
        assert sorted(Draft4Validator(SARIF_SCHEMA).iter_errors(log), key=str) == []
        ids.append(log["runs"][0]["automationDetails"]["id"])
    assert ids == [f"artigov/contract-check/{name}/all-gates/" for name in listed]
    tool = _sarif_multitool()
    for path in logs.values():
        problems = _multitool_problems(tool, path)
        assert problems == [], problems[:3]
