"""Rebuild the pinned copies of the two public conformance suites from local checkouts.

    python tests/data/conformance/refresh.py JSON-SCHEMA-TEST-SUITE-CHECKOUT YAML-TEST-SUITE-DATA-CHECKOUT

The first argument is a checkout of https://github.com/json-schema-org/JSON-Schema-Test-Suite
(its ``tests/draft2020-12`` folder is kept, every file); the second a checkout of the ``data``
branch of https://github.com/yaml/yaml-test-suite (each case's ``in.yaml`` and whether it has an
``error`` file are kept). Both are MIT-licensed; their licences are the ``LICENSE.*`` files here.
Each output records the commit it was taken from (``git rev-parse HEAD`` in the checkout).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def _commit(checkout: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _write(name: str, document: dict[str, object]) -> None:
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=0)
    (HERE / name).write_text(text + "\n", encoding="utf-8")


def main(json_schema: Path, yaml_suite: Path) -> None:
    root = json_schema / "tests" / "draft2020-12"
    files = {f.relative_to(root).as_posix(): json.loads(f.read_text("utf-8")) for f in sorted(root.rglob("*.json"))}
    _write(
        "json-schema-test-suite-draft2020-12.json",
        {
            "source": "https://github.com/json-schema-org/JSON-Schema-Test-Suite",
            "commit": _commit(json_schema),
            "folder": "tests/draft2020-12",
            "files": files,
        },
    )
    cases = {
        case.parent.relative_to(yaml_suite).as_posix(): {
            "yaml": case.read_bytes().decode("utf-8"),
            "error": (case.parent / "error").exists(),
        }
        for case in sorted(yaml_suite.rglob("in.yaml"))
    }
    _write(
        "yaml-test-suite.json",
        {
            "source": "https://github.com/yaml/yaml-test-suite (branch data)",
            "commit": _commit(yaml_suite),
            "cases": cases,
        },
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
