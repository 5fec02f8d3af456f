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
import sys
import tempfile
from pathlib import Path


def measure(size: int, pairs: int, committed: bool, base: Path, seed: int = 7) -> dict[str, int]:
    """Clean merges of ``pairs`` PR pairs in a workspace of ``size`` artifacts."""
    from artigov.index.testing import merge_pairs, pr_pairs, pr_repository

    root = pr_repository(base / f"ws-{size}-{'committed' if committed else 'local'}", size, committed=committed)
    clean, index_only = merge_pairs(root, pr_pairs(root, pairs, seed))
    return {"size": size, "pairs": pairs, "clean": clean, "conflicts_only_on_the_index": index_only}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 2000])
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from artigov.core import configure_logging

    configure_logging("console", "error")
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
