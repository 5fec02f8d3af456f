"""A small synthetic workspace for crash tests and rehearsals (real files, deterministic)."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path
from typing import Any

__all__ = [
    "KINDS",
    "merge_pairs",
    "mutate",
    "pr_branch",
    "pr_pairs",
    "pr_repository",
    "reseal",
    "synth_workspace",
    "wide_gate_workspace",
]

KINDS = ("technical-plan", "action-plan", "summary-report", "risk-register", "acceptance-record")
_STATUSES = ("draft", "review", "approved")


def _artifact(i: int, rng: random.Random) -> tuple[str, str]:
    kind = KINDS[i % len(KINDS)]
    framework = f"fwk-{i % 3:03d}"
    version = f"1.{i // 50}.{i % 50}"
    extra = "risks: [R-001]\n" if kind == "risk-register" else ""
    body = "".join(f"Line {j} of artifact {i}: {rng.random():.12f}\n" for j in range(rng.randint(3, 30)))
    text = (
        f'---\nid: a{i:05d}\nversion: "{version}"\nstatus: {_STATUSES[i % 3]}\n'
        f"framework: {framework}\nkind: {kind}\n{extra}---\n# Artifact {i}\n{body}"
    )
    return f"frameworks/{framework}/{kind}/a{i:05d}.md", text


def synth_workspace(root: Path, n: int, seed: int = 0, *, committed: bool = False) -> Path:
    """Create a workspace of ``n`` valid artifacts at ``root`` (``committed``: its index is committed,
    so a stale or corrupt one is reported instead of brought up to date)."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "artigov.yaml").write_text(
        textwrap.dedent("""\
        artifacts: [frameworks/**]
        index: artifacts_index.json
        state_dir: .artigov
        """)
        + ("index_committed: true\n" if committed else "")
    )
    for i in range(n):
        rel, text = _artifact(i, rng)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def wide_gate_workspace(root: Path, kinds: int, body: str = "body line\n") -> list[str]:
    """A workspace at ``root`` whose framework ``bulk`` has one gate, ``all``, that requires
    ``kinds`` kinds, with one draft of each (so a promotion of it stores ``kinds`` inputs); no
    index yet. Returns the kinds."""
    names = [f"k{i:04d}" for i in range(kinds)]
    (root / "contracts").mkdir(parents=True)
    (root / "artigov.yaml").write_text("artifacts: [frameworks/**]\n")
    (root / "contracts" / "bulk.yaml").write_text(
        f"framework: bulk\nallowed_kinds: [{', '.join(names)}]\ngates:\n  - name: all\n    requires:\n"
        + "".join(f"      {k}: draft\n" for k in names)
    )
    for k in names:
        folder = root / "frameworks" / "bulk" / k
        folder.mkdir(parents=True)
        (folder / f"{k}.md").write_text(
            f'---\nid: {k}\nversion: "1.0.0"\nstatus: draft\nframework: bulk\nkind: {k}\n---\n' + body
        )
    return names


def mutate(root: Path, seed: int, *, n_existing: int, changes: int = 3, edits_only: bool = False) -> list[str]:
    """Change ``changes`` artifacts, add as many new ones, delete one; return the touched paths.

    ``edits_only``: only change existing artifacts (no file added or deleted).
    """
    rng = random.Random(seed)
    touched: list[str] = []
    existing = sorted(p.relative_to(root).as_posix() for p in (root / "frameworks").rglob("*.md"))
    for rel in rng.sample(existing, min(changes + 1, len(existing))):
        touched.append(rel)
        path = root / rel
        if len(touched) == 1 and not edits_only:
            path.unlink()
        else:
            path.write_text(path.read_text() + f"Changed {rng.random()}\n")
    for j in range(0 if edits_only else changes):
        rel, text = _artifact(n_existing + 1000 + j + seed * 10, rng)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        touched.append(rel)
    return sorted(touched)


def reseal(path: Path, held: dict[str, Any]) -> None:
    """Write a kept derived result ``held`` (edited by a test) with a matching seal, as the tool
    itself would have kept it: a test of what a kept value is used for (an unsealed edit is ignored)."""

    from artigov.index._derived import _sealed

    path.write_bytes(_sealed({k: v for k, v in held.items() if k != "seal"}))


def _git(root: Path, *args: str, check: bool = True) -> Any:
    from artigov.core.testing import git

    return git(root, *args, check=check)


def _plans(existing: list[str], rng: random.Random) -> list[list[tuple[str, str]]]:
    """Two sets of 1-3 operations (add, edit, remove) on DIFFERENT artifacts."""
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


def pr_branch(root: Path, name: str, ops: list[tuple[str, str]], seed: int) -> None:
    """On a new branch from main: apply ``ops``, bring the index up to date, commit what git tracks."""
    from artigov.core import load_workspace
    from artigov.index import update

    _git(root, "checkout", "-q", "-b", name, "main")
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
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", name)


def pr_pairs(root: Path, pairs: int, seed: int = 7) -> list[tuple[str, str]]:
    """``pairs`` pairs of branches from ``main`` of the git repository at ``root``, each branch
    changing 1-3 artifacts the other does not touch (what two pull requests look like)."""
    existing = sorted(p.relative_to(root).as_posix() for p in (root / "frameworks").rglob("*.md"))
    rng = random.Random(seed)
    names = []
    for i in range(pairs):
        a_ops, b_ops = _plans(existing, rng)
        pr_branch(root, f"a{i}", a_ops, 2 * i)
        pr_branch(root, f"b{i}", b_ops, 2 * i + 1)
        names.append((f"a{i}", f"b{i}"))
    _git(root, "checkout", "-q", "main")
    return names


def merge_pairs(root: Path, names: list[tuple[str, str]]) -> tuple[int, int]:
    """Merge each pair with git's own merge (no driver): (clean merges, conflicts only on the index)."""
    clean = index_only = 0
    for a, b in names:
        _git(root, "checkout", "-q", "-B", "m", a)
        if _git(root, "merge", "-q", "--no-edit", b, check=False).returncode == 0:
            clean += 1
        else:
            conflicted = _git(root, "diff", "--name-only", "--diff-filter=U").stdout.split()
            index_only += conflicted == ["artifacts_index.json"]
            _git(root, "merge", "--abort", check=False)
    _git(root, "checkout", "-q", "main")
    return clean, index_only


def pr_repository(root: Path, n: int, *, committed: bool) -> Path:
    """A git repository of a generated workspace of ``n`` artifacts, its index committed
    (``index_committed: true``) or local (git-ignored, the default)."""
    from artigov.core import load_workspace
    from artigov.index import rebuild

    synth_workspace(root, n, committed=committed)
    (root / ".gitignore").write_text(
        ".artigov/\nartifacts_index.json.lock\n" + ("" if committed else "artifacts_index.json\n")
    )
    rebuild(load_workspace(root))
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root
