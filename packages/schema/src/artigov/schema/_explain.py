"""Explaining schemas to authors: what a field must look like, with an example, read from the schema.

Everything here is derived from the schema files (their ``type``, ``pattern``, ``enum``, ``items``,
``description`` and ``examples``); nothing about a kind is written in code, so a team that edits
``schemas/kinds/<kind>.schema.json`` sees its own words in ``schema show`` and in every fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["Field", "KindDoc", "describe", "example_line", "explain_kind"]


@dataclass(frozen=True)
class Field:
    """One metadata field of a kind, as ``schema show`` explains it."""

    name: str
    required: bool
    source: str  # "base" or "kind"
    shape: str
    description: str
    example: str | None

    def to_dict(self) -> dict[str, Any]:
        """The field as JSON values."""
        return {
            "name": self.name,
            "required": self.required,
            "from": self.source,
            "shape": self.shape,
            "description": self.description,
            "example": self.example,
        }


@dataclass(frozen=True)
class KindDoc:
    """A kind's metadata, as ``schema show`` explains it: where its schema is and each field."""

    kind: str
    schema_source: str | None
    description: str
    fields: list[Field]
    example: str

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON values."""
        return {
            "kind": self.kind,
            "schema": self.schema_source,
            "description": self.description,
            "required": [f.to_dict() for f in self.fields if f.required],
            "optional": [f.to_dict() for f in self.fields if not f.required],
            "example": self.example,
        }


def describe(prop: dict[str, Any]) -> str:
    """The shape a property's schema asks for, in words ("a list of text matching ^R-[0-9]{3}$, at least 1")."""
    if "enum" in prop:
        return "one of: " + ", ".join(map(str, prop["enum"]))
    kind = prop.get("type")
    parts: list[str] = []
    if kind == "array":
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        parts.append("a list of " + (describe(items) if items else "values"))
        if prop.get("minItems"):
            parts.append(f"at least {prop['minItems']}")
        if prop.get("uniqueItems"):
            parts.append("no repeats")
        return ", ".join(parts)
    noun = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false"}
    parts.append(noun.get(str(kind), "a value") if kind else "a value")
    if prop.get("format") == "date-time":
        parts.append('an RFC 3339 date-time, quoted ("2026-01-31T12:00:00Z")')
    if "pattern" in prop:
        parts[0] += f" matching {prop['pattern']}"
    low, high = prop.get("minLength", 0), prop.get("maxLength")
    if low > 1 and high is not None:
        parts.append(f"{low}-{high} characters")
    elif low > 1:
        parts.append(f"at least {low} characters")
    elif high is not None:
        parts.append(f"at most {high} characters")
    return ", ".join(parts)


def example_line(name: str, prop: dict[str, Any] | None) -> str | None:
    """``name: <the schema's first example>`` as a YAML line, or None if the schema gives none."""
    if not prop or not isinstance(prop.get("examples"), list) or not prop["examples"]:
        return None
    value = prop["examples"][0]
    flow = isinstance(value, (list, dict))
    dumped = yaml.safe_dump({name: value}, default_flow_style=flow, sort_keys=False, width=4096).strip()
    if flow:  # {risks: } -> risks
        dumped = dumped[1:-1]
    lines = dumped.splitlines()
    return lines[0] if len(lines) == 1 else None


def _fields(schema: dict[str, Any], source: str) -> list[Field]:
    required = set(schema.get("required", []))
    return [
        Field(
            name,
            name in required,
            source,
            describe(prop),
            str(prop.get("description", "")),
            example_line(name, prop),
        )
        for name, prop in (schema.get("properties") or {}).items()
        if isinstance(prop, dict)
    ]


def explain_kind(kind: str, base: dict[str, Any], schema: dict[str, Any] | None, source: str | None) -> KindDoc:
    """Every field an artifact of ``kind`` has (base schema, then the kind's own), with an example
    frontmatter block made of the schemas' examples (``<…>`` where a required field has none)."""
    fields = _fields(base, "base") + (_fields(schema, "kind") if schema else [])
    seen: dict[str, Field] = {}
    for f in fields:  # a kind schema may tighten a base field: its words win
        seen[f.name] = f if f.name not in seen or f.source == "kind" else seen[f.name]
    ordered = sorted(seen.values(), key=lambda f: (not f.required, f.source != "base", fields.index(f)))
    lines = ["---"]
    for f in ordered:
        if not f.required:
            continue
        if f.name == "kind":
            lines.append(f"kind: {kind}")
        elif f.example:
            lines.append(f.example)
        else:
            lines.append(f"{f.name}: <{f.shape}>")
    lines += ["---", f"# {kind}", ""]
    return KindDoc(
        kind,
        source,
        str((schema or {}).get("description", "")),
        ordered,
        "\n".join(lines),
    )
