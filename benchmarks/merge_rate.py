"""How many pull requests merge with git's own merge (a hosting service's merge button runs no
custom driver), with the index committed and with the index local (git-ignored, the default).

    python benchmarks/merge_rate.py [--sizes 20 200 2000] [--pairs 50] [--out results/merge-rate.json]

For each size: a generated workspace in git, then ``--pairs`` pairs of branches from main, each
branch changing 1-3 artifacts (add, edit or remove) that the other branch does not touch, running
``index update`` and committing what a contributor would commit (with the index, when it is
committed). Each pair is merged with ``git merge`` (no driver); a clean merge counts. Deterministic
(seeded); no timing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=check,
    )


def _plans(existing: list[str], rng: random.Random) -> list[list[tuple[str, str]]]:
    """Two sets of 1-3 operations on DIFFERENT artifacts."""
    chosen = rng.sample(existing, 6)
    sides: list[list[tuple[str, str]]] = [[], []]
    for side in (0, 1):
        for k in range(rng.randint(1, 3)):
            op = rng.choice(["add", "edit", "edit", "remove"])
            base = chosen[side * 3 + k]
            if op == "add":
                folder, name = base.rsplit("/", 1)
                sides[side].append(("add", f"{folder}/{name[:-3]}-new{side}.md"))
            else:
                sides[side].append((op, base))
    return sides


def _branch(root: Path, name: str, ops: list[tuple[str, str]], seed: int) -> None:
    from artigov.core import load_workspace
    from artigov.index import update

    git(root, "checkout", "-q", "-b", name, "main")
    for op, rel in ops:
        path = root / rel
        if op == "remove":
            path.unlink()
        elif op == "edit":
            path.write_text(path.read_text() + f"Edited on {name}\n")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                f'---\nid: new{90000 + seed}\nversion: "1.0.{seed}"\nstatus: draft\nframework: fwk-000\n'
                f"kind: technical-plan\n---\n# New {name}\n"
            )
    update(load_workspace(root))  # what the pre-commit hook does
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", name)


def measure(size: int, pairs: int, committed: bool, base: Path, seed: int = 7) -> dict[str, int]:
    """Clean merges of ``pairs`` PR pairs in a workspace of ``size`` artifacts."""
    from artigov.core import load_workspace
    from artigov.index import rebuild
    from artigov.index.testing import synth_workspace

    root = synth_workspace(base / f"ws-{size}-{'committed' if committed else 'local'}", size)
    ignored = ".artigov/\nartifacts_index.json.lock\n" + ("" if committed else "artifacts_index.json\n")
    (root / ".gitignore").write_text(ignored)
    if committed:
        with (root / "artigov.yaml").open("a") as f:
            f.write("index_committed: true\n")
    rebuild(load_workspace(root))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    existing = sorted(p.relative_to(root).as_posix() for p in (root / "frameworks").rglob("*.md"))
    rng = random.Random(seed)
    names = []
    for i in range(pairs):
        a_ops, b_ops = _plans(existing, rng)
        _branch(root, f"a{i}", a_ops, 2 * i)
        _branch(root, f"b{i}", b_ops, 2 * i + 1)
        names.append((f"a{i}", f"b{i}"))
    clean = index_only = 0
    for a, b in names:
        git(root, "checkout", "-q", "-B", "m", a)
        merged = git(root, "merge", "-q", "--no-edit", b, check=False)
        if merged.returncode == 0:
            clean += 1
        else:
            conflicted = git(root, "diff", "--name-only", "--diff-filter=U").stdout.split()
            index_only += conflicted == ["artifacts_index.json"]
            git(root, "merge", "--abort", check=False)
    git(root, "checkout", "-q", "main")
    return {"size": size, "pairs": pairs, "clean": clean, "conflicts_only_on_the_index": index_only}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 2000])
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="agmerge-") as tmp:
        for size in args.sizes:
            for committed in (True, False):
                row = measure(size, args.pairs, committed, Path(tmp))
                row["mode"] = "committed" if committed else "local"
                rows.append(row)
                print(
                    f"{size:>6} artifacts, index {row['mode']:<9}: {row['clean']}/{row['pairs']} PR pairs merge "
                    f"with git's own merge ({row['conflicts_only_on_the_index']} conflict only on the index)",
                    flush=True,
                )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
