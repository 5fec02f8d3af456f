"""``python -m artigov.hydrate._selfcheck ROOT FRAMEWORK STAGE``: print a plan's bytes (for the determinism check)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from artigov.contract import load_contract
from artigov.core import load_workspace
from artigov.hydrate._hydrate import Pool, select
from artigov.hydrate._precedence import CommitTimes
from artigov.index import read_framework


def main() -> int:
    """Print the hydration plan of ROOT FRAMEWORK STAGE (argv) in a fresh process; its exit status."""
    from artigov.core import configure_logging, write_every_byte

    write_every_byte()  # a plan cut by a short write would read as a different plan
    configure_logging("console", "error")  # stdout carries the plan's bytes, nothing else
    root, framework, stage = sys.argv[1:4]
    ws = load_workspace(Path(root))
    pairs = json.loads(os.environ.get("ARTIGOV_WITHDRAWN", "[]"))
    withdrawn = {(str(i), str(v)): str(why) for i, v, why in pairs}
    index = read_framework(ws, framework, refresh=False)  # the slice the parent selected from
    pool = Pool(load_contract(ws, framework), index, CommitTimes(ws.root), withdrawn)
    result = select(pool, stage)
    if result.plan is None:
        print("no plan", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(result.plan.to_bytes())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
