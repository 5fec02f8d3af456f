"""invoke tasks for this repository: artigov's own collection plus dev tasks.

A governance repository needs only the first import line.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

from invoke.context import Context
from invoke.tasks import task

from artigov.tasks import ns

ROOT = Path(__file__).parent
PACKAGED_SCHEMAS = {
    "packages/core/src/artigov/core/schemas": ["workspace-config.schema.json"],
    "packages/schema/src/artigov/schema/schemas": ["framework-artifact.schema.json", "kinds/*.schema.json"],
    "packages/index/src/artigov/index/schemas": ["artifacts-index.schema.json"],
    "packages/router/src/artigov/router/schemas": ["artifact-routing.schema.json", "routing-matrix.schema.json"],
    "packages/contract/src/artigov/contract/schemas": ["contract.schema.json"],
    "packages/hydrate/src/artigov/hydrate/schemas": ["hydration-plan.schema.json"],
    "packages/promote/src/artigov/promote/schemas": ["snapshot.schema.json"],
    "src/artigov/rehearse/schemas": ["playbook.schema.json"],
}


@task
def sync_schemas(c: Context) -> None:
    """Copy schemas/ (the source of truth) into the packages that ship them."""
    for dest, patterns in PACKAGED_SCHEMAS.items():
        for pattern in patterns:
            for src in sorted((ROOT / "schemas").glob(pattern)):
                target = ROOT / dest / src.relative_to(ROOT / "schemas")
                if not target.exists() or not filecmp.cmp(src, target, shallow=False):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(src.read_bytes())
                    print(f"synced {target.relative_to(ROOT)}")


ns.add_task(sync_schemas)
