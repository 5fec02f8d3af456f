"""Trust that survives git (DESIGN section 14), tried as a team: a repository made by `artigov init`,
a bare remote with artigov's pre-receive hook, clones for two maintainers, an outsider, CI and an
auditor, and real `git push`, `pull --rebase`, `revert`, `merge -X ours` and force-pushes.

Each case is an attack or an accident that every check used to pass; each must now be refused
with one line naming the file and the fix, while ordinary work (a promotion, an approval, a recorded
prune, a trust rotation signed by the root keys) goes through.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from artigov.core.testing import GIT_ENV, git
from artigov.core.testkeys import gnupg_home, make_key

PLAN = "frameworks/fw/plans/technical/technical-plan-0.1.0.md"


@dataclass
class Team:
    """The shared remote and the people: a maintainer (root key ``m``, may sign every gate), a
    second maintainer (``m2``, allowed to sign by trust version 2), an outsider (``o``)."""

    base: Path
    remote: Path
    home: Path
    m: str
    m2_home: Path
    m2: str
    o_home: Path
    o: str

    def clone(self, name: str) -> Path:
        where = self.base / name
        git(self.base, "clone", "-q", str(self.remote), str(where))
        return where

    def env(self, home: Path | None = None, epoch: int = 1764000000) -> dict[str, str]:
        return {"GNUPGHOME": str(home or self.home), "SOURCE_DATE_EPOCH": str(epoch), **GIT_ENV}

    def art(
        self,
        *args: str | Path,
        cwd: Path,
        home: Path | None = None,
        epoch: int = 1764000000,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        full = {**os.environ, "ARTIGOV_ACTOR": "tests@example.org", **self.env(home, epoch), **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "artigov.cli", *map(str, args)],
            cwd=cwd,
            env=full,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def ok(self, *args: str | Path, cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
        done = self.art(*args, cwd=cwd, **kw)  # type: ignore[arg-type]
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def promote(
        self,
        where: Path,
        gate: str = "draft",
        *,
        home: Path | None = None,
        epoch: int = 1764000000,
        key: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        extra = ["--key", key] if key else []
        return self.art("promote", "-f", "fw", "-g", gate, "--commit", *extra, cwd=where, home=home, epoch=epoch)

    def push(self, where: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return git(where, "push", "origin", *(args or ("HEAD:main",)), check=False)


def _share_key(src: Path, dst: Path, fpr: str) -> None:
    exported = subprocess.run(
        ["gpg", "--homedir", str(src), "--armor", "--export", fpr], capture_output=True, check=True
    ).stdout
    subprocess.run(["gpg", "--homedir", str(dst), "--import"], input=exported, capture_output=True, check=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    """`artigov init --key` (trust version 1), version 2 adding a second maintainer's key (signed by
    the root key), one promotion, all pushed to a bare remote that runs artigov's pre-receive hook."""
    base = tmp_path_factory.mktemp("team")
    with gnupg_home() as home, gnupg_home() as m2_home, gnupg_home() as o_home:
        m, m2, o = make_key(home, "maintainer"), make_key(m2_home, "second maintainer"), make_key(o_home, "outsider")
        for src, dst, fpr in ((m2_home, home, m2), (o_home, m2_home, o), (home, m2_home, m)):
            _share_key(src, dst, fpr)  # each can see the others' public keys, as from a key server
        team = Team(base, base / "remote.git", home, m, m2_home, m2, o_home, o)
        repo = base / "repo"
        made = team.art("init", repo, "--framework", "fw", "--key", m, cwd=base)
        assert made.returncode == 0, made.stdout + made.stderr
        team.ok("index", "rebuild", cwd=repo)
        team.ok("trust", "propose", "--add-signer", f"fw:*:{m2}", cwd=repo)  # accepted: the root key signs it
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "governance repository")
        assert team.promote(repo).returncode == 0
        git(base, "clone", "-q", "--bare", str(repo), str(team.remote))
        team.ok("hook", "install", team.remote, cwd=base)
        yield team


@pytest.fixture
def team(template: Team, tmp_path: Path) -> Team:
    """A private copy of the remote (hook included) for one test."""
    remote = tmp_path / "remote.git"
    shutil.copytree(template.remote, remote, symlinks=True)
    return Team(tmp_path, remote, template.home, template.m, template.m2_home, template.m2, template.o_home, template.o)


def _forge_trust_version(where: Path, add_signer: str, sign_with: tuple[Path, str] | None = None) -> None:
    """What a pull request can do with a text editor: write trust version 3 letting ``add_signer``
    sign every gate (optionally with a signature by a non-root key)."""
    trust = where / "governance/trust"
    newest = max(int(p.name) for p in trust.iterdir() if p.name.isdigit())
    data = (trust / f"{newest:06d}/trust.json").read_bytes()
    doc = json.loads(data)
    import hashlib

    doc.update(version=newest + 1, previous="sha256:" + hashlib.sha256(data).hexdigest())
    doc["frameworks"]["fw"]["signers"]["*"] = sorted({*doc["frameworks"]["fw"]["signers"]["*"], add_signer})
    folder = trust / f"{newest + 1:06d}"
    folder.mkdir()
    body = (json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n").encode()
    (folder / "trust.json").write_bytes(body)
    if sign_with is not None:
        home, key = sign_with
        sig = subprocess.run(
            ["gpg", "--homedir", str(home), "--armor", "--detach-sign", "--local-user", key],
            input=body,
            capture_output=True,
            check=True,
        ).stdout
        (folder / f"{key}.asc").write_bytes(sig)


# ---------------------------------------------------------------- a PR cannot make its own key trusted


def test_a_pr_trusting_an_outsider_in_artigov_yaml_cannot_promote(team: Team) -> None:
    pr = team.clone("outsider")
    config = (pr / "artigov.yaml").read_text().replace(f"key: {team.m}", f"key: {team.o}")
    (pr / "artigov.yaml").write_text(config + f"  trusted: [{team.o}]\n")
    refused = team.promote(pr, home=team.o_home)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"refusing to sign with {team.o}: trust version 2 does not let it sign gate 'draft'" in refused.stderr
    assert "artigov trust propose --add-signer" in refused.stderr
    assert not (pr / "governance/fw/snapshots/000002").exists()


def test_a_pr_that_writes_its_own_trust_version_fails_verify_and_the_push(team: Team) -> None:
    pr = team.clone("outsider")
    _forge_trust_version(pr, team.o, sign_with=(team.o_home, team.o))  # "signed", by a key that is not root
    # artigov will not promote under it...
    refused = team.promote(pr, home=team.o_home, key=team.o)
    assert refused.returncode == 1 and "T003" in refused.stderr
    # ...and once committed, CI's fresh clone names the version and the signatures it lacks
    git(pr, "add", "-A")
    git(pr, "commit", "-q", "-m", "trust me")
    failed = team.art("verify", "--all", cwd=pr, home=team.o_home)
    assert failed.returncode == 1
    line = next(x for x in failed.stdout.splitlines() if "T003" in x)
    assert "trust version 3" in line and f"missing: {team.m}" in line and "not a root key" in line
    pushed = team.push(pr)
    assert pushed.returncode != 0 and "REFUSED: T003" in pushed.stderr, pushed.stderr


def test_an_outsider_key_in_the_contracts_people_cannot_approve_as_alice(team: Team) -> None:
    pr = team.clone("outsider")
    contract = pr / "contracts/fw.yaml"
    contract.write_text(
        contract.read_text().replace("people:\n", "")
        + f"require_signed_approvals: true\npeople:\n  owner@example.org: [{team.o}]\n"
    )
    plan = pr / PLAN
    plan.write_text(plan.read_text().replace("status: draft", "status: review"))
    team.ok("index", "update", cwd=pr)
    refused = team.art("approve", PLAN, "--as", "owner@example.org", "--key", team.o, cwd=pr, home=team.o_home)
    assert refused.returncode == 1 and "A004" in refused.stderr
    assert "trust version 2 gives no key for owner@example.org" in refused.stderr


def test_a_pin_outside_the_repository_makes_version_1_a_fixed_point(team: Team) -> None:
    ci = team.clone("ci")
    status = json.loads(team.ok("trust", "status", "--format", "json", cwd=ci, home=team.o_home).stdout)
    pin = status["first_digest"]
    assert status["pinned"] is False and "trusted on first use" in status["note"]
    pinned = team.ok("verify", "--all", "--trust-pin", pin, cwd=ci, home=team.o_home)
    assert "matches the pin" in pinned.stdout
    # A PR replaces version 1 wholesale (its own root key, re-signed): only the pin notices at once
    shutil.rmtree(ci / "governance/trust")
    team.ok("trust", "init", "--key", team.o, "--root-key", team.o, cwd=ci, home=team.o_home)
    wrong = team.art("verify", "--all", cwd=ci, home=team.o_home, env={"ARTIGOV_TRUST_PIN": pin})
    assert wrong.returncode == 1 and "T004" in wrong.stdout
    # and --since names the rewritten trust versions
    since = team.art("verify", "--since", "origin/main", cwd=ci, home=team.o_home)
    assert since.returncode == 1 and "G004" in since.stdout and "trust version 1" in since.stdout


# ---------------------------------------------------------------- the record only grows


def _second_promotion(team: Team, where: Path, epoch: int, home: Path | None = None) -> None:
    done = team.promote(where, home=home, epoch=epoch, key=team.m2 if home == team.m2_home else None)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_race_resolved_by_rebase_theirs_is_caught_and_refused(team: Team) -> None:
    a, b = team.clone("a"), team.clone("b")
    _second_promotion(team, a, 1764000100)
    assert team.push(a).returncode == 0  # the first maintainer publishes snapshot 2
    _second_promotion(team, b, 1764000200, team.m2_home)  # the second promoted from the same main
    assert team.push(b).returncode != 0  # not a fast-forward
    rebased = git(b, "pull", "--rebase", "origin", "main", check=False)
    assert rebased.returncode != 0  # the record conflicts: a real fork
    git(b, "checkout", "--theirs", "governance")  # under rebase, --theirs is HIS commit
    git(b, "add", "-A")
    git(b, "-c", "core.editor=true", "rebase", "--continue")
    since = team.art("verify", "--since", "origin/main", cwd=b, home=team.m2_home)
    assert since.returncode == 1, since.stdout
    assert "G001 governance/fw/snapshots/000002/: snapshot 2 of 'fw' was replaced" in since.stdout
    pushed = team.push(b)  # a fast-forward now: git alone would take it
    assert pushed.returncode != 0 and "REFUSED: G001" in pushed.stderr
    auditor = team.clone("auditor")
    assert team.ok("verify", "--all", cwd=auditor, home=team.o_home)  # the first maintainer's snapshot stands


@pytest.mark.parametrize("pull_rebase", ["true", "false"])
def test_the_readme_recipe_for_a_refused_push_keeps_both_promotions(team: Team, pull_rebase: str) -> None:
    a, b = team.clone("a"), team.clone("b")
    git(b, "config", "pull.rebase", pull_rebase)
    _second_promotion(team, a, 1764000100)
    assert team.push(a).returncode == 0
    _second_promotion(team, b, 1764000200, team.m2_home)
    assert team.push(b).returncode != 0
    # The recipe (README, "Two promotions race"): drop your unpublished promotion commit, pull, promote again.
    git(b, "reset", "--keep", "HEAD~1")
    git(b, "pull", "-q", "origin", "main")
    _second_promotion(team, b, 1764000300, team.m2_home)
    assert team.ok("verify", "--since", "origin/main", cwd=b, home=team.m2_home)
    pushed = team.push(b)
    assert pushed.returncode == 0, pushed.stderr
    auditor = team.clone("auditor")
    heads = json.loads((auditor / "governance/fw/HEAD").read_text())
    assert heads["sequence"] == 3
    manifests = [json.loads((auditor / f"governance/fw/snapshots/{n:06d}/manifest.json").read_text()) for n in (2, 3)]
    assert [m["signer"] for m in manifests] == [team.m, team.m2]  # both promotions are in the record
    assert team.ok("verify", "--all", cwd=auditor, home=team.o_home)


def test_a_revert_of_a_promotion_is_a_freeze_and_is_refused(team: Team) -> None:
    a = team.clone("a")
    _second_promotion(team, a, 1764000100)
    assert team.push(a).returncode == 0
    git(a, "revert", "--no-edit", "HEAD")  # HEAD, the newest snapshot and the log all go back together
    since = team.art("verify", "--since", "origin/main", cwd=a)
    assert since.returncode == 1
    assert "G001" in since.stdout and "G002" in since.stdout and "G003" in since.stdout
    assert "moved back from snapshot 2" in since.stdout
    assert team.ok("verify", "--all", cwd=a)  # on its own, the reverted record still verifies...
    pushed = team.push(a)
    assert pushed.returncode != 0 and "REFUSED" in pushed.stderr  # ...but the server refuses it


def test_a_merge_with_x_ours_of_two_promotions_is_refused(team: Team) -> None:
    a, b = team.clone("a"), team.clone("b")
    git(b, "checkout", "-q", "-b", "feature")
    _second_promotion(team, b, 1764000200, team.m2_home)
    assert team.push(b, "feature").returncode == 0  # a new branch: accepted, its record verifies
    _second_promotion(team, a, 1764000100)
    assert team.push(a).returncode == 0
    git(b, "fetch", "-q", "origin")
    git(b, "merge", "-q", "--no-edit", "-X", "ours", "origin/main")
    git(b, "checkout", "-q", "-B", "main")
    pushed = team.push(b, "main")
    assert pushed.returncode != 0 and "REFUSED: G001" in pushed.stderr and "snapshot 2" in pushed.stderr


def test_a_force_push_that_drops_a_promotion_is_refused(team: Team) -> None:
    a = team.clone("a")
    _second_promotion(team, a, 1764000100)
    assert team.push(a).returncode == 0
    git(a, "reset", "-q", "--hard", "HEAD~1")
    pushed = team.push(a, "--force", "HEAD:main")
    assert pushed.returncode != 0 and "REFUSED" in pushed.stderr and "removed" in pushed.stderr


def test_ordinary_work_is_accepted_promotion_approval_prune_and_a_trust_rotation(team: Team) -> None:
    a = team.clone("a")
    contract = a / "contracts/fw.yaml"
    contract.write_text(contract.read_text().replace("keep_last: 10", "keep_last: 1"))
    git(a, "commit", "-q", "-am", "keep one snapshot")
    assert team.push(a).returncode == 0
    _second_promotion(team, a, 1764000100)
    assert team.push(a).returncode == 0, "an ordinary promotion"
    _second_promotion(team, a, 1764000200)
    assert team.push(a).returncode == 0
    team.ok("review", PLAN, "--as", "owner@example.org", cwd=a)
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "review")
    pushed = team.push(a)
    assert pushed.returncode == 0 and "accepted" in pushed.stderr, "an approval statement"
    team.ok("prune", "-f", "fw", "--apply", cwd=a)
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "prune")
    assert not (a / "governance/fw/snapshots/000001").exists()
    assert team.push(a).returncode == 0, "a recorded prune"
    # A rotation to two root keys, threshold 2: pending until the second holder signs in their clone
    team.ok("trust", "propose", "--add-root", team.m2, "--threshold", "2", cwd=a)
    status = json.loads(team.ok("trust", "status", "--format", "json", cwd=a).stdout)
    assert status["pending"][0]["state"] == "pending" and team.m2 in status["pending"][0]["missing"][0]
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "propose trust version 3")
    assert team.push(a).returncode == 0  # a proposal counts for nothing, and breaks nothing
    b = team.clone("b")
    signed = team.ok("trust", "sign", cwd=b, home=team.m2_home)
    assert "version 3 accepted" in signed.stdout
    git(b, "add", "-A")
    git(b, "commit", "-q", "-m", "trust version 3")
    assert team.push(b).returncode == 0
    # From now on one root key alone cannot change trust
    team.ok("trust", "propose", "--add-signer", f"fw:*:{team.o}", cwd=b, home=team.m2_home)
    assert (b / "governance/trust/pending/000004").is_dir() and not (b / "governance/trust/000004").exists()
    git(a, "pull", "-q", "origin", "main")
    _forge_trust_version(a, team.o, sign_with=(team.home, team.m))  # one root signature of two
    failed = team.art("verify", "--all", cwd=a)
    assert failed.returncode == 1 and "needs 2 signature(s)" in failed.stdout


def test_trust_versions_and_signers_are_decision_events_and_in_the_report(team: Team) -> None:
    a = team.clone("a")
    events = [json.loads(x) for x in (a / "governance/fw/decisions.jsonl").read_text().splitlines()]
    trusted = [e for e in events if e["event"] == "trust_version_recorded"]
    assert [e["data"]["version"] for e in trusted] == [1, 2]
    assert trusted[1]["data"]["signers"] == {"*": sorted([team.m, team.m2])}
    promoted = next(e for e in events if e["event"] == "snapshot_promoted")
    assert promoted["data"]["signer"] == team.m and promoted["data"]["trust_version"] == 2
    team.ok("report", "-f", "fw", "--out", "report.html", cwd=a)
    html = (a / "report.html").read_text()
    assert "Trust history" in html and team.m2 in html


def test_a_snapshot_signed_by_a_key_never_allowed_is_caught_even_behind_a_newer_head(team: Team) -> None:
    """A key "trusted for one promotion and removed again": whatever the config said then, the
    snapshot names the trust version it was signed under, and verify --all checks every snapshot of
    the chain against it, not only each gate's current one."""
    a = team.clone("a")
    _second_promotion(team, a, 1764000100)  # snapshot 2; then snapshot 3 on top
    _second_promotion(team, a, 1764000200)
    sig = a / "governance/fw/snapshots/000002/manifest.json.asc"
    data = (a / "governance/fw/snapshots/000002/manifest.json").read_bytes()
    forged = subprocess.run(
        ["gpg", "--homedir", str(team.o_home), "--armor", "--detach-sign", "--local-user", team.o],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    sig.chmod(0o644)
    sig.write_bytes(forged)
    (a / f"governance/keys/{team.o}.asc").write_bytes(
        subprocess.run(
            ["gpg", "--homedir", str(team.o_home), "--armor", "--export", team.o], capture_output=True, check=True
        ).stdout
    )
    head_only = team.art("verify", "-f", "fw", cwd=a)
    assert head_only.returncode == 0  # the head (snapshot 3) itself is fine...
    everything = team.art("verify", "--all", cwd=a)
    assert everything.returncode == 1 and "V011" in everything.stdout and "snapshot 2" in everything.stdout
