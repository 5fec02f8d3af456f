"""`artigov schema show KIND`: the Typer-free command function (see :mod:`artigov.commands`)."""

from __future__ import annotations

from pathlib import Path

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_OK, Workspace

__all__ = ["run_schema_show"]


def run_schema_show(root: Path | None, kind: str, fmt: Format) -> int:
    """Print the fields an artifact of ``kind`` needs, each with its shape, and an example."""

    def action(ws: Workspace) -> int:
        import re

        from artigov.commands.render import emit_json
        from artigov.core import ArtigovError
        from artigov.schema import SchemaSet, base_schema, explain_kind

        pattern = base_schema()["properties"]["kind"]["pattern"]  # what a kind may be, from the schema
        if not re.fullmatch(pattern, kind):
            raise ArtigovError(f"{kind!r} is not a kind name", fix=f"a kind matches {pattern} (e.g. risk-register)")
        schema, source = SchemaSet(ws.kind_schemas_dir).kind_schema(kind)
        if source and source != "packaged":
            source = ws.rel(Path(source))
        doc = explain_kind(kind, base_schema(), schema, source)
        if fmt is Format.json:
            emit_json(doc.to_dict())
            return EXIT_OK
        where = f"schema: {source}" if source else "no kind schema: only the base fields are checked"
        print(f"kind {kind} ({where})")
        if doc.description:
            print(f"  {doc.description}")
        for title, required in (("required fields", True), ("optional fields", False)):
            print(f"\n{title}:")
            for f in (f for f in doc.fields if f.required == required):
                about = f" ({f.description})" if f.description else ""
                print(f"  {f.name:<12} {f.shape}{about}")
        print("\nexample:\n" + doc.example)
        return EXIT_OK

    return execute(Command.SCHEMA_SHOW, root, action, audit=False)
