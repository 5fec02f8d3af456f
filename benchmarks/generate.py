"""Generate a realistic synthetic workspace for benchmarks, deterministic for a seed.

    python benchmarks/generate.py --artifacts 100000 --seed 1 --out /tmp/ws100k

50 frameworks, 10 kinds, all three statuses, several versions per id, 1-4 KiB
bodies, 5% sidecar artifacts, a routing map, a routing matrix and a contract
per framework that cover it. The workspace is committed to a git repository
(fixed author and dates) so git-based steps (commit times, `git status`) work.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
from pathlib import Path

FRAMEWORKS = [f"fwk-{i:03d}" for i in range(1, 51)]
KINDS = [
    "technical-plan",
    "action-plan",
    "migration-plan",
    "summary-report",
    "validation-report",
    "risk-register",
    "acceptance-record",
    "runtime-config",
    "decision-log",
    "test-report",
]
STATUSES = ["draft", "review", "approved"]
WORDS = [
    "governance",
    "artifact",
    "framework",
    "plan",
    "risk",
    "register",
    "report",
    "review",
    "approve",
    "gate",
    "snapshot",
    "index",
    "journal",
    "routing",
    "contract",
    "evidence",
    "control",
    "owner",
    "milestone",
    "rollout",
    "migration",
    "baseline",
    "threshold",
]
PEOPLE = ["alice@example.org", "bob@example.org", "carol@example.org", "dave@example.org"]


def _dir(kind: str) -> str:
    return f"frameworks/{{framework}}/{kind}"


def _body(rng: random.Random) -> str:
    target = rng.randint(1024, 4096)
    lines = [f"# {rng.choice(WORDS).title()} {rng.randint(1, 999)}", ""]
    size = 0
    while size < target:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))) + "."
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def _extra(kind: str, rng: random.Random) -> dict[str, object]:
    if kind == "risk-register":
        return {"risks": sorted({f"R-{rng.randint(1, 40):03d}" for _ in range(rng.randint(1, 6))})}
    if kind == "validation-report":
        return {"confirms": sorted({f"R-{rng.randint(1, 40):03d}" for _ in range(rng.randint(0, 4))})}
    return {}


def _yaml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def generate(n: int, seed: int, out: Path, *, commit: bool = True) -> Path:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "artigov.yaml").write_text("artifacts: [frameworks/**]\nstate_dir: .artigov\n")
    (out / ".gitignore").write_text(".artigov/\nartifacts_index.json\nartifacts_index.json.lock\n")
    routes = "\n".join(f"  {k}:\n    dir: {_dir(k)}" for k in KINDS)
    (out / "artifact_routing.mdc").write_text(f"---\nversion: 1\nroutes:\n{routes}\n---\n# Routing\n")
    matrix = {"version": 1, "commands": {"author": {"produces": {k: _dir(k) for k in KINDS}}}}
    (out / "routing_matrix.json").write_text(json.dumps(matrix, indent=2, sort_keys=True) + "\n")
    (out / "contracts").mkdir(exist_ok=True)
    for fw in FRAMEWORKS:
        raci = "\n".join(f"  {k}:\n    accountable: [{PEOPLE[i % 4]}]" for i, k in enumerate(KINDS))
        (out / "contracts" / f"{fw}.yaml").write_text(
            f"framework: {fw}\nallowed_kinds: [{', '.join(KINDS)}]\ndraft_fallback: newest\nraci:\n{raci}\n"
            "gates:\n  - name: design\n    requires:\n      technical-plan: review\n      risk-register: draft\n"
            "  - name: release\n    requires:\n"
            + "".join(f"      {k}: draft\n" for k in KINDS[:6])
            + "retention:\n  keep_last: 5\n"
        )
    written = 0
    ident = 0
    while written < n:
        fw = FRAMEWORKS[ident % len(FRAMEWORKS)]
        kind = KINDS[(ident // len(FRAMEWORKS)) % len(KINDS)]
        versions = rng.randint(1, 4)
        for v in range(versions):
            if written >= n:
                break
            status = STATUSES[min(2, v + rng.randint(0, 1))] if v < versions - 1 else rng.choice(STATUSES)
            meta: dict[str, object] = {
                "id": f"{kind[:3]}-{ident:06d}",
                "version": f'"1.{v}.0"',
                "status": status,
                "framework": fw,
                "kind": kind,
                **_extra(kind, rng),
            }
            if status == "approved":
                meta["approved_by"] = [PEOPLE[KINDS.index(kind) % 4]]
            body = _body(rng)
            folder = out / "frameworks" / fw / kind
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{kind[:3]}-{ident:06d}-1.{v}.0"
            if rng.random() < 0.05:
                data = folder / f"{name}.txt"
                data.write_text(body)
                meta["checksum"] = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
                (folder / f"{name}.txt.meta.yaml").write_text(
                    "".join(f"{k}: {_yaml_value(val)}\n" for k, val in meta.items())
                )
            else:
                if rng.random() < 0.5:
                    meta["checksum"] = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
                head = "".join(f"{k}: {_yaml_value(val)}\n" for k, val in meta.items())
                (folder / f"{name}.md").write_text(f"---\n{head}---\n{body}")
            written += 1
        ident += 1
    if commit:
        env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
        git = ["git", "-c", "user.email=bench@example.org", "-c", "user.name=bench", "-c", "init.defaultBranch=main"]
        # No `git gc --auto` after the commit: it packs every object in the background (300,000 at
        # N=300,000: a minute of CPU on two cores) while the first rows are timed.
        git += ["-c", "gc.auto=0", "-c", "maintenance.auto=false"]
        subprocess.run([*git, "init", "-q"], cwd=out, check=True)
        subprocess.run([*git, "add", "-A"], cwd=out, check=True, env=env)
        subprocess.run(
            [*git, "commit", "-qm", f"synthetic workspace: {n} artifacts, seed {seed}"], cwd=out, check=True, env=env
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-commit", action="store_true", help="do not commit the workspace to git")
    args = parser.parse_args()
    generate(args.artifacts, args.seed, args.out, commit=not args.no_commit)
    print(f"generated {args.artifacts} artifacts in {args.out}")


if __name__ == "__main__":
    main()
