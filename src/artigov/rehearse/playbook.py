"""Rollback playbooks: rehearsal steps run through the real command line.

Each playbook (``playbooks/*.yaml``, schema ``schemas/playbook.schema.json``)
runs on a temporary copy of ``examples/workspace`` with throwaway GPG keys in
a temp GNUPGHOME under a short path: ``trusted`` (the signing key, listed in
``signing.trusted``) and ``untrusted`` (in the same keyring, not trusted).
Run them all with ``nox -s rehearse`` or ``python -m artigov.rehearse.playbook``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artigov.core.faults import FAULT_EXIT_CODE
from artigov.core.safeyaml import load_yaml

__all__ = ["PlaybookResult", "main", "run_playbook"]

REPO = Path(__file__).resolve().parents[3]


@dataclass
class PlaybookResult:
    name: str
    steps: int = 0
    passed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.steps == self.passed and not self.problems


class _Run:
    def __init__(self, ws: Path, home: Path, keys: dict[str, str], framework: str) -> None:
        self.ws, self.home, self.keys, self.framework = ws, home, keys, framework
        self.states: dict[str, dict[str, Any]] = {}

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full = {k: v for k, v in os.environ.items() if not k.startswith("ARTIGOV_FAULT")}
        full.update({"ARTIGOV_ACTOR": "rehearsal@example.org", **(env or {})})
        return subprocess.run(
            [sys.executable, "-m", "artigov.cli", *args, "--root", str(self.ws)],
            env=full,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    @property
    def record(self) -> Path:
        return self.ws / "governance" / self.framework

    def snapshot_dir(self, n: int) -> Path:
        return self.record / "snapshots" / f"{n:06d}"

    def state(self) -> dict[str, Any]:
        files = {
            p.relative_to(self.ws).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((self.ws / "frameworks").rglob("*"))
            if p.is_file()
        }
        head = json.loads((self.record / "HEAD").read_text())
        manifest = json.loads((self.snapshot_dir(head["sequence"]) / "manifest.json").read_text())
        return {"files": files, "index": (self.ws / "artifacts_index.json").read_bytes(), "head": manifest["inputs"]}

    def step(self, step: dict[str, Any]) -> str | None:
        """Run one step; return a problem or None."""
        kind, arg = next((k, v) for k, v in step.items())
        if kind == "note":
            return None
        if kind == "promote":
            key = self.keys[arg.get("key", "trusted")]
            r = self.cli("promote", "-f", self.framework, "-g", arg["gate"], "--key", key)
            want = arg.get("expect_exit", 0)
            return None if r.returncode == want else f"promote exit {r.returncode} (want {want}): {r.stdout}{r.stderr}"
        if kind == "edit":
            path = self.ws / arg["path"]
            text = path.read_text()
            if arg["replace"] not in text:
                return f"edit: {arg['replace']!r} not found in {arg['path']}"
            path.write_text(text.replace(arg["replace"], arg["with"], 1))
            if arg.get("reindex"):
                r = self.cli("index", "update")
                return None if r.returncode == 0 else f"index update exit {r.returncode}: {r.stdout}{r.stderr}"
            return None
        if kind == "tamper":
            return self._tamper(arg["target"], arg.get("snapshot"))
        if kind == "run":
            r = self.cli(*arg["command"])
            want = arg.get("expect_exit", 0)
            return None if r.returncode == want else f"{arg['command']} exit {r.returncode}: {r.stdout}{r.stderr}"
        if kind == "crash":
            r = self.cli(*arg["command"], env={"ARTIGOV_FAULT": arg["point"]})
            if r.returncode != FAULT_EXIT_CODE:
                return f"crash at {arg['point']}: exit {r.returncode}, want {FAULT_EXIT_CODE}: {r.stdout}{r.stderr}"
            return None
        if kind == "replay":
            data = (self.snapshot_dir(arg["to"]) / "manifest.json").read_bytes()
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            gate = json.loads(data)["gate"]
            head = {"digest": digest, "gates": {gate: {"digest": digest, "sequence": arg["to"]}}, "sequence": arg["to"]}
            (self.record / "HEAD").write_text(json.dumps(head, sort_keys=True, separators=(",", ":")) + "\n")
            return None
        if kind == "verify":
            args = ["verify", "-f", self.framework, "--format", "json"]
            if "snapshot" in arg:
                args += ["--snapshot", str(arg["snapshot"])]
            r = self.cli(*args)
            try:
                payload = json.loads(r.stdout)
            except ValueError:
                return f"verify printed no JSON: {r.stdout}{r.stderr}"
            got = "ok" if payload.get("ok") else payload.get("code")
            want = arg.get("expect", "ok")
            return None if got == want else f"verify gave {got} ({payload.get('message')}), want {want}"
        if kind == "check_triggers":
            r = self.cli("triggers", "-f", self.framework, "--format", "json")
            fired = sorted(t["on"] for t in json.loads(r.stdout)["fired"])
            want = sorted(arg.get("expect_fired", []))
            return None if fired == want else f"triggers fired {fired}, want {want}"
        if kind == "rollback":
            reason = arg.get("reason", "rehearsal")
            args = ["rollback", "-f", self.framework, "--key", self.keys["trusted"], "--reason", reason]
            if "to" in arg:
                args += ["--to", str(arg["to"])]
            r = self.cli(*args)
            return None if r.returncode == 0 else f"rollback exit {r.returncode}: {r.stdout}{r.stderr}"
        if kind == "record":
            self.states[arg] = self.state()
            return None
        if kind == "assert_same":
            now, then = self.state(), self.states[arg["as"]]
            diff = [part for part in arg.get("parts", ["files", "index", "head"]) if now[part] != then[part]]
            return f"differs from {arg['as']!r} in: {', '.join(diff)}" if diff else None
        return f"unknown step {kind!r}"

    def _tamper(self, target: str, snapshot: int | None) -> str | None:
        head = json.loads((self.record / "HEAD").read_text())
        folder = self.snapshot_dir(snapshot or head["sequence"])
        if target == "object":
            obj = json.loads((folder / "manifest.json").read_text())["inputs"][0]["object"].removeprefix("sha256:")
            path = self.ws / "governance" / "objects" / "sha256" / obj[:2] / obj[2:]
        else:
            path = folder / ("manifest.json" if target == "manifest" else "manifest.json.asc")
        path.chmod(0o644)
        data = bytearray(path.read_bytes())
        offset = len(data) // 2 if target != "signature" else data.index(b"\n\n") + 12
        data[offset] = ord("A") if data[offset] != ord("A") else ord("B")
        path.write_bytes(bytes(data))
        return None


def _prepare(scratch: Path) -> tuple[Path, Path, dict[str, str]]:
    from artigov.promote.testing import make_key

    ws = scratch / "ws"
    shutil.copytree(REPO / "examples" / "workspace", ws, ignore=shutil.ignore_patterns(".artigov"))
    home = scratch / "gpg"
    home.mkdir(mode=0o700)
    keys = {"trusted": make_key(home, "rehearsal trusted"), "untrusted": make_key(home, "rehearsal untrusted")}
    config = (ws / "artigov.yaml").read_text()
    config = config.replace("  key: null", f"  key: {keys['trusted']}").replace(
        "  trusted: []", f"  trusted: [{keys['trusted']}]\n  gnupghome: {home}"
    )
    (ws / "artigov.yaml").write_text(config)
    return ws, home, keys


def run_playbook(path: Path) -> PlaybookResult:
    """Run one playbook on a fresh temp workspace with fresh keys."""
    spec = load_yaml(path.read_text("utf-8"))
    result = PlaybookResult(spec["name"])
    # Short path: the gpg-agent socket must stay under 108 bytes.
    with tempfile.TemporaryDirectory(prefix="agpb-", dir="/tmp" if Path("/tmp").is_dir() else None) as tmp:
        scratch = Path(tmp)
        ws, home, keys = _prepare(scratch)
        run = _Run(ws, home, keys, spec.get("framework", "fwk-001"))
        try:
            first = run.cli("index", "rebuild")
            if first.returncode != 0:
                result.problems.append(f"index rebuild failed: {first.stderr}")
                return result
            for i, step in enumerate(spec["steps"], start=1):
                result.steps += 1
                problem = run.step(step)
                if problem:
                    result.problems.append(f"step {i} {next(iter(step))}: {problem.strip()[:400]}")
                    break
                result.passed += 1
        finally:
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, check=False)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="artigov-rehearse-playbooks", description="Run rollback playbooks.")
    parser.add_argument("playbooks", nargs="*", type=Path, help="default: playbooks/*.yaml")
    args = parser.parse_args(argv)
    paths = args.playbooks or sorted((REPO / "playbooks").glob("*.yaml"))
    results = [run_playbook(p) for p in paths]
    width = max(len(r.name) for r in results) + 2
    print(f"{'playbook':<{width}}{'steps':>6}{'passed':>8}")
    print("-" * (width + 14))
    for r in results:
        print(f"{r.name:<{width}}{r.steps:>6}{r.passed:>8}")
        for p in r.problems:
            print(f"    ! {p}")
    bad = [r for r in results if not r.ok]
    print(f"playbooks: {len(results) - len(bad)}/{len(results)} passed")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
