"""A fast "certainly valid" check for simple JSON Schemas.

jsonschema costs ~0.1 s to import and tens of microseconds per document;
most documents artigov checks (workspace configs, kind metadata) are valid
and their schemas simple. :func:`schema_valid` answers True only when the
schema certainly accepts the value, using jsonschema's own semantics for the
keywords it knows; for anything else it answers False, and the caller asks
jsonschema, which judges and explains. A hypothesis test checks that True
always agrees with jsonschema.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["schema_valid"]

#: The keywords :func:`schema_valid` understands; a schema using any other is left to jsonschema.
_SIMPLE_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "type",
        "required",
        "properties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "pattern",
        "minLength",
        "maxLength",
        "additionalProperties",
    }
)
_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


@lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def schema_valid(schema: Any, value: Any) -> bool:
    """True only if ``schema`` certainly accepts ``value`` (False: ask jsonschema, which reports why).

    Understands a small subset of JSON Schema (the keywords above; a ``type`` given as one name)
    with jsonschema's own semantics (``pattern`` is ``re.search``); anything else answers False.
    """
    if not isinstance(schema, dict) or not schema.keys() <= _SIMPLE_KEYWORDS:
        return False
    kind = schema.get("type")
    if kind is not None:
        names = [kind] if isinstance(kind, str) else kind
        if not isinstance(names, list) or not names:
            return False
        checks = [_TYPES.get(n) if isinstance(n, str) else None for n in names]
        if any(c is None for c in checks) or not any(c(value) for c in checks):  # type: ignore[misc]
            return False
    if isinstance(value, dict):
        required = schema.get("required", [])
        properties = schema.get("properties", {})
        if not isinstance(required, list) or not isinstance(properties, dict):
            return False
        if not all(isinstance(k, str) and k in value for k in required):
            return False
        if not all(name not in value or schema_valid(sub, value[name]) for name, sub in properties.items()):
            return False
        extra = schema.get("additionalProperties", True)
        if extra is False:
            if not value.keys() <= properties.keys():
                return False
        elif extra is not True:
            return False
    elif isinstance(value, list):
        low, high = schema.get("minItems", 0), schema.get("maxItems", len(value))
        if not (isinstance(low, int) and isinstance(high, int) and low <= len(value) <= high):
            return False
        if schema.get("uniqueItems") is True:
            if not all(isinstance(v, str) for v in value) or len(set(value)) != len(value):
                return False
        elif "uniqueItems" in schema and schema["uniqueItems"] is not False:
            return False
        if "items" in schema and not all(schema_valid(schema["items"], v) for v in value):
            return False
    elif isinstance(value, str):
        low, high = schema.get("minLength", 0), schema.get("maxLength", len(value))
        if not (isinstance(low, int) and isinstance(high, int) and low <= len(value) <= high):
            return False
        pattern = schema.get("pattern")
        if pattern is not None:
            try:
                if not (isinstance(pattern, str) and _pattern(pattern).search(value)):
                    return False
            except re.error:
                return False
    return True
