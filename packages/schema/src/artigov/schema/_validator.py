"""JSON Schema validation of artifact metadata: base schema plus kind schemas.

One ``Draft202012Validator`` per schema, built once and reused (a fresh
``jsonschema.validate()`` per document is ~50x slower), with the format
checker on so ``date-time`` is really checked (``rfc3339-validator`` is a
declared dependency; without it jsonschema silently passes any string).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.core import (
    CRLF_FIX,
    CRLF_HINT,
    Check,
    ConfigError,
    Finding,
    code_info,
    compile_schema,
    format_checker,
    packaged_schema,
    packaged_schema_names,
)
from artigov.core import pointer_lines as yaml_pointer_lines
from artigov.schema._model import Artifact

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

__all__ = ["SchemaSet", "base_schema", "packaged_kind_schema_names"]

# Fields whose pattern must match the whole string: jsonschema's `pattern`
# uses re.search, where `$` also matches before a trailing newline.
_FULLMATCH_FIELDS = ("id", "version", "framework", "kind", "supersedes")


def _read_packaged(name: str) -> dict[str, Any]:
    return copy.deepcopy(packaged_schema("artigov.schema", name))  # callers may adjust their copy


def base_schema() -> dict[str, Any]:
    """The base artifact schema (``framework-artifact.schema.json``)."""
    return _read_packaged("framework-artifact.schema.json")


#: What a kind's name must look like before a schema file is looked up by it.
_KIND_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


@lru_cache(maxsize=1)
def _base_check() -> Check:
    return compile_schema(base_schema())


def packaged_kind_schema_names() -> tuple[str, ...]:
    """Kinds that artigov ships a schema for."""
    return packaged_schema_names("artigov.schema", "kinds")


_PATTERN_HINTS = {
    "id": "use letters, digits, '_', '.' and '-' only",
    "version": "start with a letter or digit; use letters, digits and . _ + ! - only (e.g. 1.2.0)",
    "framework": "use letters, digits, '_', '.' and '-', not starting with '.' (it is used in paths)",
    "kind": "use lowercase letters, digits and '-' (e.g. risk-register)",
    "checksum": "write sha256:<64 lowercase hex digits>",
    "supersedes": "write <id> or <id>@<version>",
}


def _raw_text(artifact: Artifact, line: int | None) -> str | None:
    """The value as written on its line, e.g. ``1.10`` where YAML loaded 1.1."""
    if line is None:
        return None
    lines = re.split(r"\r\n?|\n", artifact.meta_text)
    index = line - artifact.meta_line
    if 0 <= index < len(lines) and ":" in lines[index]:
        return lines[index].split(":", 1)[1].split(" #", 1)[0].strip() or None
    return None


def _shape_of(name: str, schema: Any) -> str:
    """ ", e.g. risks: [R-001, R-002] (what the schema says it is)" for a property of ``schema``."""
    prop = (schema.get("properties") or {}).get(name) if isinstance(schema, dict) else None
    if not isinstance(prop, dict):
        return ""
    from artigov.schema._explain import describe, example_line

    example = example_line(name, prop)
    said = f": {describe(prop)}" + (f", e.g. `{example}`" if example else "")
    about = str(prop.get("description") or "")
    return said + (f" ({about.rstrip('.')})" if about else "")


def _hint(err: ValidationError, raw: str | None = None, schema: dict[str, Any] | None = None) -> str:
    """The fix for one schema error; ``schema`` is the (kind) schema whose properties explain a field."""
    field = err.absolute_path[0] if err.absolute_path else None
    if err.validator == "required":
        return _required_hint(err)
    if err.validator == "type" and err.validator_value == "string":
        return _string_hint(err, field, raw)
    if err.validator == "enum":
        allowed: Any = err.validator_value
        return "use one of: " + ", ".join(str(v) for v in allowed)
    if err.validator == "format" and err.validator_value == "date-time":
        return 'use an RFC 3339 date-time in quotes, e.g. "2026-01-31T12:00:00Z"'
    if err.validator == "pattern":
        return _pattern_hint(err, field, schema)
    return code_info("S014").help


def _pattern_hint(err: ValidationError, field: Any, schema: dict[str, Any] | None) -> str:
    """The fix for a value that does not match its pattern: the field's own hint, else the pattern."""
    if len(err.absolute_path) == 1 and str(field) in _PATTERN_HINTS:
        return _PATTERN_HINTS[str(field)]
    return f"make it match {err.validator_value}" + _shape_of(str(field), schema)


def _required_hint(err: ValidationError) -> str:
    """The fix for a missing field: its name and the shape its value takes."""
    missing = re.findall(r"'([^']+)' is a required property", err.message)
    if not missing:
        return "add the missing field"
    return f"add the field `{missing[0]}`" + _shape_of(missing[0], err.schema)


def _string_hint(err: ValidationError, field: Any, raw: str | None) -> str:
    """The fix for a value that must be a string: YAML read it as a boolean or a number, or it is
    something else (``raw``: the value as written)."""
    if isinstance(err.instance, bool):
        return "quote the value: YAML reads true/false unquoted as booleans"
    if isinstance(err.instance, (int, float)):
        shown = raw if raw is not None else err.instance
        return f'quote the value: {field}: "{shown}" (unquoted, YAML reads it as the number {err.instance})'
    return "write the value as a quoted string"


class SchemaSet:
    """The base schema and the kind schemas, each compiled once."""

    def __init__(self, kind_schemas_dir: Path | None = None) -> None:
        self.kind_schemas_dir = kind_schemas_dir
        self._base_validator: Draft202012Validator | None = None
        self._kind_schemas: dict[str, dict[str, Any] | None] = {}
        self._kind_checks: dict[str, Check] = {}
        self._kinds: dict[str, Draft202012Validator] = {}

    @staticmethod
    def _compile(schema: dict[str, Any]) -> Draft202012Validator:
        from jsonschema import Draft202012Validator  # loaded on first need: most artifacts never need it

        return Draft202012Validator(schema, format_checker=format_checker())

    @property
    def _base(self) -> Draft202012Validator:
        if self._base_validator is None:
            self._base_validator = self._compile(base_schema())
        return self._base_validator

    def _kind_schema(self, kind: str) -> dict[str, Any] | None:
        if kind in self._kind_schemas:
            return self._kind_schemas[kind]
        schema: dict[str, Any] | None = None
        name = f"{kind}.schema.json"
        local = self.kind_schemas_dir / name if self.kind_schemas_dir else None
        if local is not None and local.is_file():
            try:
                schema = json.loads(local.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
                raise ConfigError(local, None, f"kind schema is not valid JSON: {e}", fix="fix the schema file") from e
            from jsonschema import Draft202012Validator

            Draft202012Validator.check_schema(schema)
        elif kind in packaged_kind_schema_names():
            schema = _read_packaged(f"kinds/{name}")
        self._kind_schemas[kind] = schema or None
        if schema:
            self._kind_checks[kind] = compile_schema(schema)
        return self._kind_schemas[kind]

    def kind_schema(self, kind: str) -> tuple[dict[str, Any] | None, str | None]:
        """The schema of ``kind`` and where it comes from (the workspace's file, or "packaged")."""
        if not _KIND_NAME.fullmatch(kind):
            return None, None
        schema = self._kind_schema(kind)
        local = self.kind_schemas_dir / f"{kind}.schema.json" if self.kind_schemas_dir else None
        if schema is None:
            return None, None
        return schema, (str(local) if local is not None and local.is_file() else "packaged")

    def explaining_schema(self, kind: Any) -> dict[str, Any]:
        """Base and kind properties in one schema-like mapping, to explain any field of ``kind``."""
        props = dict(base_schema().get("properties", {}))
        if isinstance(kind, str):
            schema, _ = self.kind_schema(kind)
            props.update((schema or {}).get("properties", {}))
        return {"properties": props}

    def _kind_of(self, metadata: dict[str, Any]) -> str | None:
        """The metadata's kind when it names one with a schema (the workspace's or packaged)."""
        kind = metadata.get("kind")
        if isinstance(kind, str) and _KIND_NAME.fullmatch(kind) and self._kind_schema(kind) is not None:
            return kind
        return None

    def certainly_valid(self, metadata: dict[str, Any]) -> bool:
        """True when the checks compiled from the base and kind schema files accept ``metadata``
        (then :meth:`errors` has none); False means: ask :meth:`errors`."""
        if not _base_check()(metadata):
            return False
        kind = self._kind_of(metadata)
        return kind is None or self._kind_checks[kind](metadata)

    def errors(self, metadata: dict[str, Any]) -> Iterator[ValidationError]:
        """Every schema error of ``metadata``: the base schema's, then its kind's (none: valid)."""
        # The checks compiled from each schema file only ever say "certainly valid"; otherwise
        # jsonschema judges and explains.
        if not _base_check()(metadata):
            yield from self._base.iter_errors(metadata)
        kind = self._kind_of(metadata)
        schema = self._kind_schemas[kind] if kind is not None else None
        if kind is not None and schema is not None and not self._kind_checks[kind](metadata):
            if kind not in self._kinds:
                self._kinds[kind] = self._compile(schema)
            yield from self._kinds[kind].iter_errors(metadata)

    def check(self, artifact: Artifact) -> list[Finding]:
        """Every schema problem of ``artifact``, plus a checksum mismatch."""
        findings: list[Finding] = []
        lines: dict[str, int] | None = None
        explained: dict[str, Any] | None = None
        errors = (
            []
            if self.certainly_valid(artifact.metadata)  # most artifacts: no generator, no sort
            else sorted(self.errors(artifact.metadata), key=lambda e: (list(map(str, e.absolute_path)), e.message))
        )
        for err in errors:
            pointer = "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in err.absolute_path)
            if lines is None:
                lines = pointer_lines(artifact)
                explained = self.explaining_schema(artifact.metadata.get("kind"))
            line = _line_for(lines, pointer)
            findings.append(
                Finding(
                    code="S014",
                    file=artifact.source,
                    line=line,
                    pointer=pointer if err.absolute_path else "",
                    message=err.message,
                    fix=_hint(err, _raw_text(artifact, line) if err.absolute_path else None, explained),
                )
            )
        for field in _FULLMATCH_FIELDS:
            value = artifact.metadata.get(field)
            if isinstance(value, str) and ("\n" in value or "\r" in value):
                if lines is None:
                    lines = pointer_lines(artifact)
                findings.append(
                    Finding(
                        code="S014",
                        file=artifact.source,
                        line=_line_for(lines, f"/{field}"),
                        pointer=f"/{field}",
                        message=f"{value!r} contains a line break",
                        fix="remove the line break (a `|` or `>` block adds one at the end)",
                    )
                )
        declared = artifact.metadata.get("checksum")
        if isinstance(declared, str) and declared.startswith("sha256:") and declared != artifact.checksum:
            if lines is None:
                lines = pointer_lines(artifact)
            findings.append(
                Finding(
                    code="S015",
                    file=artifact.source,
                    line=_line_for(lines, "/checksum"),
                    pointer="/checksum",
                    message=f"declared {declared} but the content hashes to {artifact.checksum}"
                    + (f" ({CRLF_HINT}, not edited)" if "\r\n" in artifact.meta_text else ""),
                    fix=CRLF_FIX
                    if "\r\n" in artifact.meta_text
                    else f"set checksum: {artifact.checksum} if the content change is intended, else restore it",
                )
            )
        return findings


def _line_for(lines: dict[str, int], pointer: str) -> int | None:
    while pointer:
        if pointer in lines:
            return lines[pointer]
        pointer = pointer.rsplit("/", 1)[0]
    return lines.get("")


def pointer_lines(artifact: Artifact) -> dict[str, int]:
    """Map JSON pointers of the metadata to 1-based lines in the metadata file."""
    base = artifact.meta_line
    if artifact.meta_path and artifact.meta_path.endswith(".json"):
        out: dict[str, int] = {"": 1}
        for i, text in enumerate(artifact.meta_text.split("\n"), start=1):
            m = re.match(r'\s*"([^"\\]+)"\s*:', text)
            if m and f"/{m.group(1)}" not in out:
                out[f"/{m.group(1)}"] = i
        return out
    out = yaml_pointer_lines(artifact.meta_text, base - 1)
    out[""] = base - 1 if base > 1 else 1
    return out
