"""Kind schemas explained to authors: `schema show` and the fixes of kind findings come from the
schema files (their descriptions and examples), never from code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from artigov.core import load_workspace
from artigov.core.testing import make_workspace
from artigov.schema._explain import explain_kind
from artigov.schema._validate import validate_workspace
from artigov.schema._validator import SchemaSet, base_schema, packaged_kind_schema_names


@pytest.mark.parametrize("kind", [*packaged_kind_schema_names(), "technical-plan"])
def test_the_example_of_every_kind_is_a_valid_artifact(tmp_path: Path, kind: str) -> None:
    ws = load_workspace(make_workspace(tmp_path))
    schema, _ = SchemaSet(ws.kind_schemas_dir).kind_schema(kind)
    doc = explain_kind(kind, base_schema(), schema, None)
    (ws.root / "frameworks").mkdir()
    (ws.root / "frameworks" / "example.md").write_text(doc.example)
    report = validate_workspace(ws)
    assert report.findings == [] and len(report.artifacts) == 1
    assert {f.name for f in doc.fields if f.required} >= {"id", "version", "status", "framework", "kind"}


def test_a_missing_kind_field_is_fixed_with_the_schemas_own_example(tmp_path: Path) -> None:
    ws = load_workspace(make_workspace(tmp_path, files={"frameworks/rr.md": _doc("risk-register", "")}))
    [finding] = validate_workspace(ws).findings
    assert "'risks' is a required property" in finding.message
    assert "e.g. `risks: [R-001, R-002]`" in finding.fix and "^R-[0-9]{3}$" in finding.fix


def test_a_teams_own_kind_schema_speaks_in_every_fix(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "required": ["controls"],
        "properties": {
            "controls": {
                "description": "ISO 27001 Annex A controls covered",
                "type": "array",
                "items": {"type": "string", "pattern": "^A\\.[0-9]+\\.[0-9]+$"},
                "examples": [["A.5.1", "A.8.24"]],
            }
        },
    }
    files = {
        "schemas/kinds/control-map.schema.json": json.dumps(schema),
        "frameworks/cm.md": _doc("control-map", "controls: [A5]\n"),
    }
    ws = load_workspace(make_workspace(tmp_path, files=files))
    [finding] = validate_workspace(ws).findings
    assert finding.pointer == "/controls/0"
    assert "e.g. `controls: [A.5.1, A.8.24]`" in finding.fix and "ISO 27001 Annex A controls covered" in finding.fix
    schema_now, source = SchemaSet(ws.kind_schemas_dir).kind_schema("control-map")
    doc = explain_kind("control-map", base_schema(), schema_now, source)
    assert "controls: [A.5.1, A.8.24]" in doc.example and source and source.endswith("control-map.schema.json")


def _doc(kind: str, extra: str) -> str:
    return f'---\nid: x\nversion: "1.0.0"\nstatus: draft\nframework: f\nkind: {kind}\n{extra}---\n# Body\n'
