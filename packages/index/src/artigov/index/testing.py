"""A small synthetic workspace for crash tests and rehearsals (real files, deterministic)."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path
from typing import Any

__all__ = ["KINDS", "mutate", "reseal", "synth_workspace"]

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


def synth_workspace(root: Path, n: int, seed: int = 0) -> Path:
    """Create a workspace of ``n`` valid artifacts at ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "artigov.yaml").write_text(
        textwrap.dedent("""\
        artifacts: [frameworks/**]
        index: artifacts_index.json
        state_dir: .artigov
        """)
    )
    for i in range(n):
        rel, text = _artifact(i, rng)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


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
