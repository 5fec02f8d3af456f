"""A fast "certainly valid" check derived from a JSON Schema file.

jsonschema costs ~0.1 s to import and tens of microseconds per document;
most documents artigov checks (artifact metadata, workspace configs) are
valid and their schemas simple. :func:`compile_schema` turns a schema, once,
into a function that answers True only when the schema certainly accepts the
value, with jsonschema's own semantics for the keywords it knows (``pattern``
is ``re.search``, ``date-time`` is rfc3339-validator on the upper-cased text,
as jsonschema's format checker does). For anything else (a keyword it does
not know, a value it cannot judge) it answers False, and the caller asks
jsonschema, which judges and explains. Nothing here restates a schema: edit
the schema file and the fast check follows. Property tests check that True
always agrees with jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

__all__ = ["Check", "compile_schema", "format_checker"]

#: Returns True only if the schema it was compiled from certainly accepts the value.
Check = Callable[[Any], bool]

#: Keywords that never change whether a value is valid (``$id`` and ``$defs`` only at the root:
#: an inner ``$id`` would change what a ``$ref`` names).
_ANNOTATIONS = frozenset({"$schema", "$comment", "title", "description", "examples", "default"})
#: Annotations allowed only at a document's root.
_ROOT_ONLY = frozenset({"$id", "$defs"})
#: The keywords compiled here; a schema using any other is left to jsonschema (its check says False).
_KNOWN = _ANNOTATIONS | {
    "$ref",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "type",
    "enum",
    "const",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "pattern",
    "minLength",
    "maxLength",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "allOf",
    "not",
    "if",
    "then",
    "else",
}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _undecided(value: Any) -> bool:
    return False


def _always(value: Any) -> bool:
    return True


def _date_time() -> Check | None:
    try:
        from rfc3339_validator import validate_rfc3339  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a declared dependency; without it, leave dates to jsonschema
        return None

    def check(value: str) -> bool:
        # the validator's pattern ends in `$`, which also matches before a final line break
        return not value.endswith("\n") and bool(validate_rfc3339(value.upper()))

    return check


@lru_cache(maxsize=1)
def format_checker() -> Any:
    """jsonschema's format checker with artigov's ``date-time``: the one the fast check uses, so the
    two never differ (a date-time followed by a line break is refused by both)."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    date_time = _date_time()
    if date_time is not None:
        strict = date_time
        checker.checks("date-time")(lambda value: not isinstance(value, str) or strict(value))
    return checker


def _type_check(schema: dict[str, Any]) -> Check | None:
    kind = schema.get("type")
    if kind is None:
        return _always
    names = [kind] if isinstance(kind, str) else kind
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n in _TYPES for n in names):
        return None
    checks = [_TYPES[n] for n in names]
    if len(checks) == 1:
        return checks[0]
    return lambda v: any(c(v) for c in checks)


def _string_parts(schema: dict[str, Any]) -> tuple[int, float, Any, Check | None] | None:
    """(minLength, maxLength or infinity, the pattern's search, the date-time check) of the string
    keywords, or None when one is not a shape the fast check decides."""
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if not isinstance(low, int) or not (high is None or isinstance(high, int)):
        return None
    pattern = schema.get("pattern")
    try:
        search = re.compile(pattern).search if isinstance(pattern, str) else None
    except re.error:
        return None
    if pattern is not None and search is None:
        return None
    fmt = schema.get("format")
    date_time = _date_time() if fmt == "date-time" else None
    if fmt is not None and date_time is None:
        return None
    return low, high if high is not None else float("inf"), search, date_time


def _string_check(schema: dict[str, Any]) -> Check | None:
    """The check of the string keywords, for a value known to be a string."""
    parts = _string_parts(schema)
    if parts is None:
        return None
    low, limit, search, date_time = parts
    unbounded = low == 0 and limit == float("inf")
    if unbounded and date_time is None:  # the common shapes, without needless calls
        if search is None:
            return _always
        found = search
        return lambda v: found(v) is not None
    if unbounded and search is None:
        return date_time

    def check(value: str) -> bool:
        if not low <= len(value) <= limit:
            return False
        if search is not None and search(value) is None:
            return False
        return date_time is None or date_time(value)

    return check


class _Compiler:
    """Compiles the parts of one schema document: a ``$ref`` names one of the root's ``$defs``
    (``#/$defs/<name>``), compiled once; any other reference, or a cycle of them, is undecided."""

    def __init__(self, root: Any) -> None:
        defs = root.get("$defs", {}) if isinstance(root, dict) else {}
        self.defs: dict[str, Any] = defs if isinstance(defs, dict) else {}
        self.done: dict[str, Check] = {}

    def ref(self, target: Any) -> Check:
        if not isinstance(target, str) or not target.startswith("#/$defs/"):
            return _undecided
        name = target.removeprefix("#/$defs/")
        if not _PLAIN_NAME.fullmatch(name) or name not in self.defs:
            return _undecided
        if name not in self.done:
            self.done[name] = _undecided  # a cycle back to this name stays undecided
            self.done[name] = self.compile(self.defs[name])
        return self.done[name]

    def compile(self, schema: Any, *, root: bool = False) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _undecided  # nothing is valid: never certainly valid
        known = _KNOWN | _ROOT_ONLY if root else _KNOWN
        if not isinstance(schema, dict) or not schema.keys() <= known:
            return _undecided
        if "$ref" not in schema:
            return _compiled(schema, self)
        ref, rest = self.ref(schema["$ref"]), {k: v for k, v in schema.items() if k != "$ref"}
        if not rest.keys() - _ANNOTATIONS - _ROOT_ONLY:
            return ref
        others = _compiled(rest, self)
        return lambda v: ref(v) and others(v)

    def refute(self, schema: Any) -> Check:
        """A check answering True only when ``schema`` certainly REFUSES the value (False: not known),
        for the keywords whose failure is plain to see (:func:`_refuted`); what ``not`` and ``if``
        need."""
        if schema is False:
            return _always
        if not isinstance(schema, dict) or not schema.keys() <= _ANNOTATIONS | _REFUTED:
            return _undecided
        return _refuted(schema, self)


#: A ``$defs`` name a reference may use as is (no JSON-pointer or percent escapes to undo).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _array_check(schema: dict[str, Any], sub: _Compiler) -> Check | None:
    low, high = schema.get("minItems", 0), schema.get("maxItems")
    unique = schema.get("uniqueItems", False)
    if not isinstance(low, int) or not (high is None or isinstance(high, int)) or not isinstance(unique, bool):
        return None
    items = sub.compile(schema["items"]) if "items" in schema else _always
    limit = high if high is not None else float("inf")

    def check(value: list[Any]) -> bool:
        if not low <= len(value) <= limit:
            return False
        if unique and not (all(isinstance(v, str) for v in value) and len(set(value)) == len(value)):
            return False  # only all-text lists are judged here: jsonschema's equality has its own rules
        return all(items(v) for v in value)

    return check


def _object_check(schema: dict[str, Any], sub: _Compiler) -> Check | None:
    required = schema.get("required", [])
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    low, high = schema.get("minProperties", 0), schema.get("maxProperties")
    if not (isinstance(required, list) and all(isinstance(k, str) for k in required)):
        return None
    if not isinstance(properties, dict) or not isinstance(extra, (bool, dict)):
        return None
    if not isinstance(low, int) or isinstance(low, bool) or not (high is None or type(high) is int):
        return None
    props = {name: sub.compile(s) for name, s in properties.items()}
    needed = frozenset(required)
    other = sub.compile(extra) if isinstance(extra, dict) else _always if extra else _undecided
    names = sub.compile(schema["propertyNames"]) if "propertyNames" in schema else None
    limit: float = high if high is not None else float("inf")

    def check(value: dict[str, Any]) -> bool:
        if not needed <= value.keys() or not low <= len(value) <= limit:
            return False
        if names is not None and not all(names(k) for k in value):
            return False
        get = props.get
        for name, item in value.items():  # noqa: SIM110 - a loop, not all(genexpr): it runs per artifact
            if not get(name, other)(item):
                return False
        return True

    return check


def _number_check(schema: dict[str, Any]) -> Check | None:
    """The check of the numeric bounds, for a value known to be a number (not a boolean)."""
    bounds = {k: schema[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") if k in schema}
    if not bounds:
        return _always
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bounds.values()):
        return None
    low, high = bounds.get("minimum"), bounds.get("maximum")
    above, below = bounds.get("exclusiveMinimum"), bounds.get("exclusiveMaximum")

    def check(value: float) -> bool:
        return (
            (low is None or value >= low)
            and (high is None or value <= high)
            and (above is None or value > above)
            and (below is None or value < below)
        )

    return check


def _enum_check(schema: dict[str, Any]) -> Check | None:
    if "const" in schema:
        options = [schema["const"]]
        if "enum" in schema:
            return None
    elif "enum" in schema:
        options = schema["enum"]
        if not isinstance(options, list):
            return None
    else:
        return _always
    texts = frozenset(o for o in options if isinstance(o, str))
    # Only text and integers are judged: jsonschema's equality for floats, booleans and containers
    # has its own rules (1.0 equals 1 there; an integer here must be one).
    ints = frozenset(o for o in options if type(o) is int)
    if not ints:
        return lambda v: isinstance(v, str) and v in texts
    return lambda v: (isinstance(v, str) and v in texts) or (type(v) is int and v in ints)


def compile_schema(schema: Any) -> Check:
    """A function answering True only when ``schema`` certainly accepts a value (False: ask jsonschema).

    Built once per schema; a schema (or any part of it) using a keyword outside the compiled subset
    gives a function that always answers False there, so jsonschema judges. A ``$ref`` may name one
    of the document's own ``$defs`` (``#/$defs/<name>``).
    """
    return _Compiler(schema).compile(schema, root=True)


def _compiled(schema: dict[str, Any], sub: _Compiler) -> Check:
    """The check of one (sub)schema's keywords (no ``$ref``), its parts compiled by ``sub``: its own
    and, when it has any, the applicators (``allOf``, ``not``, ``if``/``then``/``else``)."""
    own = _own(schema, sub)
    applied = _applied(schema, sub)
    if applied is _always:
        return own
    return lambda v: own(v) and applied(v)


def _applied(schema: dict[str, Any], sub: _Compiler) -> Check:
    """``allOf`` (each certainly valid), ``not`` (its schema certainly refused) and
    ``if``/``then``/``else`` (``if`` certainly valid and ``then`` too, or ``if`` certainly refused and
    ``else`` valid); ``then`` or ``else`` without an ``if`` is left to jsonschema."""
    parts: list[Check] = []
    every = schema.get("allOf")
    if every is not None:
        if not isinstance(every, list) or not every:
            return _undecided
        parts += [sub.compile(s) for s in every]
    if "not" in schema:
        parts.append(sub.refute(schema["not"]))
    if "if" in schema:
        parts.append(_conditional(schema, sub))
    elif "then" in schema or "else" in schema:
        return _undecided
    if not parts:
        return _always
    if len(parts) == 1:
        return parts[0]
    return lambda v: all(part(v) for part in parts)


def _conditional(schema: dict[str, Any], sub: _Compiler) -> Check:
    condition, refused = sub.compile(schema["if"]), sub.refute(schema["if"])
    then = sub.compile(schema["then"]) if "then" in schema else _always
    otherwise = sub.compile(schema["else"]) if "else" in schema else _always
    return lambda v: (then(v) and condition(v)) or (otherwise(v) and refused(v))


#: The keywords :meth:`_Compiler.refute` judges; a schema with any other is never refuted here.
_REFUTED = frozenset({"type", "const", "enum", "required", "properties", "allOf", "not"})
#: What each JSON type of a value can be called in ``type`` (a number may be an "integer": 1.0 is one).
_KINDS: dict[type, frozenset[str]] = {
    bool: frozenset({"boolean"}),
    type(None): frozenset({"null"}),
    str: frozenset({"string"}),
    list: frozenset({"array"}),
    dict: frozenset({"object"}),
    int: frozenset({"integer", "number"}),
    float: frozenset({"integer", "number"}),
}


def _refuted(schema: dict[str, Any], sub: _Compiler) -> Check:
    """True when one of ``schema``'s keywords (each a condition the value must meet) certainly fails:
    a ``type`` the value's kind cannot be, a ``const`` or ``enum`` it cannot equal, a ``required`` key
    it lacks, a ``properties`` entry it refuses, an ``allOf`` part it refuses, a ``not`` it meets."""
    parts: list[Check] = []
    kind = schema.get("type")
    if kind is not None:
        listed = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
        names = frozenset(n for n in listed if isinstance(n, str))
        if not names or len(names) != len(listed) or not names <= _TYPES.keys():
            return _undecided  # a malformed schema: jsonschema says what it makes of it
        parts.append(lambda v: type(v) in _KINDS and not _KINDS[type(v)] & names)
    if "const" in schema or "enum" in schema:
        options = [schema["const"]] if "const" in schema else schema["enum"]
        parts.append(_unequal_to_all(options) if isinstance(options, list) else _undecided)
    required = schema.get("required")
    if isinstance(required, list):
        parts.append(lambda v: isinstance(v, dict) and not all(k in v for k in required))
    properties = schema.get("properties")
    if isinstance(properties, dict):
        refusals = {name: sub.refute(s) for name, s in properties.items()}
        parts.append(lambda v: isinstance(v, dict) and any(r(v[n]) for n, r in refusals.items() if n in v))
    every = schema.get("allOf")
    if isinstance(every, list):
        parts += [sub.refute(s) for s in every]
    if "not" in schema:
        parts.append(sub.compile(schema["not"]))
    return lambda v: any(part(v) for part in parts)


def _unequal_to_all(options: list[Any]) -> Check:
    """True when the value certainly equals none of ``options`` in jsonschema's sense: only text and
    integers are judged (there 1.0 equals 1, and a boolean never equals a number)."""
    if not all(isinstance(o, str) or type(o) is int for o in options):
        return _undecided
    texts = frozenset(o for o in options if isinstance(o, str))
    ints = frozenset(o for o in options if type(o) is int)
    return lambda v: (isinstance(v, str) and v not in texts) or (type(v) is int and v not in ints)


def _own(schema: dict[str, Any], sub: _Compiler) -> Check:
    """The check of one (sub)schema's own keywords (no ``$ref``, no applicators)."""
    of_type = _type_check(schema)
    enum = _enum_check(schema)
    text = _string_check(schema)
    array = _array_check(schema, sub)
    obj = _object_check(schema, sub)
    number = _number_check(schema)
    if of_type is None or enum is None or text is None or array is None or obj is None or number is None:
        return _undecided
    if schema.get("type") == "string" and enum is _always:  # most properties: one call, no dispatch
        return lambda v: isinstance(v, str) and text(v)
    if schema.get("type") == "string" and text is _always:  # an enum of text (never a 1 among them)
        return lambda v: isinstance(v, str) and enum(v)
    if schema.get("type") == "object" and enum is _always:
        return lambda v: isinstance(v, dict) and obj(v)
    return _by_type((of_type, enum, text, array, obj, number))


def _by_type(parts: tuple[Check, Check, Check, Check, Check, Check]) -> Check:
    """One check for any value (``parts``: the type, enum, string, array, object and number
    checks): its type and enum where they constrain it, then its own type's keywords."""
    of_type, enum, text, array, obj, number = parts
    simple = of_type is not _always or enum is not _always

    def check(value: Any) -> bool:
        if simple and not (of_type(value) and enum(value)):
            return False
        if isinstance(value, str):
            return text(value)
        if isinstance(value, dict):
            return obj(value)
        if isinstance(value, list):
            return array(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return number(value)
        return True

    return check
