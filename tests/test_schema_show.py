"""`artigov schema show`: a kind's fields from the schema files; a bad kind name is one line, exit 2."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

Runner = Callable[..., subprocess.CompletedProcess[str]]


def test_a_kind_is_explained_and_a_bad_name_refused(artigov: Runner, example_copy: Path) -> None:
    shown = artigov("schema", "show", "risk-register", "--format", "json", "--root", example_copy)
    assert shown.returncode == 0
    doc = json.loads(shown.stdout)
    assert "risks" in [f["name"] for f in doc["required"]] and "risks: [R-001, R-002]" in doc["example"]
    for bad in ("Bad/Kind", "../x", ""):
        refused = artigov("schema", "show", bad, "--root", example_copy)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.startswith("artigov: error:") and "not a kind name" in refused.stderr
        assert "Traceback" not in refused.stderr
