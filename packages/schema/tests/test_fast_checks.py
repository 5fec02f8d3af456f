"""The fast paths must never disagree with the real YAML loader and the real validator.

``parse_plain`` (core.safeyaml) against the full hardened loader; the checks compiled from each
schema file (core.fastschema) against jsonschema, on documents generated from the schema itself
and on mutations of them.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from artigov.core import compile_schema
from artigov.core._safeyaml import _load_full, parse_plain
from artigov.schema._validator import _read_packaged, base_schema

VALIDATOR = Draft202012Validator(base_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)

tokens = st.sampled_from(
    [
        "x",
        "abc",
        "R-001",
        "a:b",
        "a:",
        "sha256:" + "0" * 64,
        "alice@example.org",
        "1.0",
        "1.10",
        "01",
        "true",
        "True",
        "TRUE",
        "false",
        "FALSE",
        "fAlse",
        "0",
        "-0",
        "12",
        "-12",
        "007",
        "010",
        "1_000",
        "1:20",
        "0x1f",
        "0o17",
        "+5",
        "123456789012345678",
        "99999999999999999999",
        "1e3",
        "no",
        "yes",
        "on",
        "null",
        "~",
        "",
        "a b",
        "a #b",
        "a# b",
        "'q'",
        '"q"',
        '"a: b"',
        '"x\\"y"',
        "[a, b]",
        "[a,b]",
        "[]",
        "[x]",
        "{a: 1}",
        "&a x",
        "*a",
        "!!str x",
        "2026-01-31",
        '"2026-01-31T12:00:00Z"',
        "-x",
        "a/b",
        "é",
        '"é"',
        "draft",
        "review",
        "approved",
        "fwk-001",
        "technical-plan",
        "..",
        ".x",
        "x.",
        '"\u2028"',
        "a\tb",
        "a\x0cb",
        '"a\x0bb"',
        "a\x1cb",
        "a\x85b",
        "a\u2028b",
        "a\rb",
        "x\r",
    ]
)
keys = st.sampled_from(
    [
        "id",
        "version",
        "status",
        "framework",
        "kind",
        "title",
        "checksum",
        "approved_by",
        "supersedes",
        "created_at",
        "updated_at",
        "other",
        "Bad",
        "a-b",
        "null",
        "true",
        "false",
        "Null",
        "~",
    ]
)
lines = st.one_of(
    st.tuples(keys, tokens).map(lambda kv: f"{kv[0]}: {kv[1]}"),
    st.tuples(keys).map(lambda k: f"{k[0]}:"),
    tokens.map(lambda t: f"  - {t}"),
    st.sampled_from(["# comment", "", "  nested: x", "- top"]),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(lines, max_size=8))
def test_parse_plain_agrees_with_the_yaml_loader(body: list[str]) -> None:
    text = "\n".join(body) + "\n"
    fast = parse_plain(text)
    if fast is None:
        return  # the fast path declined: the loader decides
    try:
        slow = _load_full(text)
    except Exception as e:  # pragma: no cover - a failure means the fast path accepted bad YAML
        raise AssertionError(f"fast path accepted what the loader refuses: {text!r}: {e}") from e
    assert fast == slow, text


# -- checks compiled from a schema: documents generated from the schema, and mutations of them -------

_MUTANTS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.text(max_size=8),
    st.sampled_from(["", "x\n", "\n", "a" * 300, "2026-01-31", "2026-01-31T12:00:00Z", "sha256:" + "0" * 64]),
    st.lists(st.one_of(st.text(max_size=4), st.integers(0, 1)), max_size=3),
    st.just({}),
)


def from_schema(schema: Any) -> st.SearchStrategy[Any]:
    """Values the schema is meant to accept, each part sometimes swapped for a mutant."""
    return st.one_of(_valid_for(schema), _MUTANTS) if isinstance(schema, dict) else _MUTANTS


def _valid_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        required = [k for k in schema.get("required", []) if k in props]
        optional = {k: from_schema(v) for k, v in props.items() if k not in required}
        return st.fixed_dictionaries({k: from_schema(props[k]) for k in required}, optional=optional)
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    return _valid_string(schema) if kind == "string" else _MUTANTS


def _valid_string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") == "date-time":
        return st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 80), 80)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"]).filter(lambda v: low <= len(v) <= high)
    return st.text(min_size=low, max_size=high)


def _agrees(schema: dict[str, Any], value: Any) -> None:
    if compile_schema(schema)(value):
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        assert list(validator.iter_errors(value)) == [], (schema.get("title"), value)


@functools.cache
def _generated(kind: str | None) -> st.SearchStrategy[Any]:
    """Documents of the base schema (``kind`` None) or of a kind's schema: the strategy is built once
    per schema, not in every example (its regex strategies took half the test's time)."""
    return from_schema(base_schema() if kind is None else _read_packaged(f"kinds/{kind}.schema.json"))


@settings(max_examples=1500, deadline=None)
@given(st.data())
def test_base_check_never_says_valid_where_jsonschema_does_not(data: st.DataObject) -> None:
    _agrees(base_schema(), data.draw(_generated(None)))


@settings(max_examples=400, deadline=None)
@given(st.data(), st.sampled_from(["risk-register", "validation-report"]))
def test_kind_checks_never_say_valid_where_jsonschema_does_not(data: st.DataObject, kind: str) -> None:
    _agrees(_read_packaged(f"kinds/{kind}.schema.json"), data.draw(_generated(kind)))


def test_the_base_check_really_answers() -> None:
    """It says valid for ordinary metadata (else it would only ever defer to jsonschema)."""
    meta = {"id": "a", "version": "1.0", "status": "draft", "framework": "f", "kind": "technical-plan"}
    check = compile_schema(base_schema())
    assert check(meta)
    assert check({**meta, "created_at": "2026-01-31T12:00:00Z", "approved_by": ["al@x.org"], "title": "T"})


@pytest.mark.parametrize("field", ["title", "checksum", "created_at", "updated_at", "approved_by", "supersedes"])
def test_explicit_nulls_are_not_certainly_valid(field: str) -> None:
    meta = {"id": "a", "version": "1.0", "status": "draft", "framework": "f", "kind": "k", field: None}
    assert not compile_schema(base_schema())(meta)
    validator = Draft202012Validator(base_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(meta)), "the published schema refuses an explicit null"


def test_a_tightened_schema_file_is_enforced_without_touching_code() -> None:
    """The fast check is derived from the schema text: tighten the file and it follows."""
    tight = copy.deepcopy(base_schema())
    tight["properties"]["version"]["maxLength"] = 10
    meta = {"id": "a", "version": "1.0.0-rc.12345", "status": "draft", "framework": "f", "kind": "k"}
    assert compile_schema(base_schema())(meta)
    assert not compile_schema(tight)(meta)
    tight["properties"]["status"]["enum"] = ["draft"]
    assert not compile_schema(tight)({**meta, "version": "1", "status": "approved"})


# -- kind schemas: the compiled check may only ever say "certainly valid" ---------------------------


def schema_valid(schema: Any, value: Any) -> bool:
    return compile_schema(schema)(value)


_leaf_values = st.one_of(
    st.sampled_from(["R-001", "R-002", "R-1", "x", "", "R-001\n", "r-001"]),
    st.integers(-2, 2),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
)
_values = st.recursive(
    _leaf_values,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["risks", "confirms", "a"]), inner, max_size=3)
    ),
    max_leaves=8,
)
_leaf_schemas = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(
            ["string", "integer", "boolean", "null", "array", "object", "number", ["string", "null"]]
        ),
        "pattern": st.sampled_from(["^R-[0-9]{3}$", "R", "^$", "["[:0] + "x+"]),
        "minLength": st.integers(0, 3),
        "maxLength": st.integers(0, 6),
        "minItems": st.integers(0, 2),
        "maxItems": st.integers(0, 3),
        "uniqueItems": st.booleans(),
        "enum": st.sampled_from([["x"], [1, "x"], [0, 2], [True], [1.0], [False, 0]]),
        "const": st.sampled_from([1, "x", True, 0, 1.0]),
        "minimum": st.integers(-1, 2),
        "exclusiveMaximum": st.sampled_from([0, 1.5, 2]),
    },
)
_schemas = st.recursive(
    _leaf_schemas,
    lambda inner: st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["object", "array"]),
            "items": inner,
            "properties": st.dictionaries(st.sampled_from(["risks", "confirms", "a"]), inner, max_size=2),
            "required": st.lists(st.sampled_from(["risks", "confirms", "a"]), max_size=2, unique=True),
            "additionalProperties": st.booleans() | inner,
            "uniqueItems": st.booleans(),
            "minItems": st.integers(0, 2),
            "propertyNames": inner,
            "minProperties": st.integers(0, 2),
            "maxProperties": st.integers(0, 2),
            "$ref": st.sampled_from(["#/$defs/a", "#/$defs/b", "#/$defs/none", "#/defs/a", "other.json#/$defs/a"]),
            "$id": st.just("https://example.org/inner.json"),
        },
    ),
    max_leaves=5,
)
#: Whole documents: a body and the ``$defs`` its references may name (recursive ones too).
_documents = st.builds(
    lambda body, defs: {**body, "$defs": defs},
    _schemas,
    st.dictionaries(st.sampled_from(["a", "b"]), _schemas, max_size=2),
)


@settings(max_examples=1500, deadline=None)
@given(schema=_documents, value=_values)
def test_schema_valid_only_when_jsonschema_agrees(schema: dict[str, Any], value: Any) -> None:
    if schema_valid(schema, value):
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        assert list(validator.iter_errors(value)) == [], (schema, value)


def test_schema_valid_answers_for_the_packaged_kind_schemas() -> None:
    """The fast check really answers for what artigov ships (else it would only ever defer)."""
    risk = _read_packaged("kinds/risk-register.schema.json")
    assert schema_valid(risk, {"kind": "risk-register", "risks": ["R-001", "R-002"]})
    for bad in ({"risks": []}, {"risks": ["R-1"]}, {"risks": ["R-001", "R-001"]}, {}, {"risks": "R-001"}):
        assert not schema_valid(risk, bad)
    confirms = _read_packaged("kinds/validation-report.schema.json")
    assert schema_valid(confirms, {"confirms": []}) and not schema_valid(confirms, {"confirms": ["x"]})


def test_references_to_the_documents_own_defs_are_followed() -> None:
    """``$ref`` to ``#/$defs/<name>`` is compiled (with its sibling keywords); anything else defers."""
    doc = {
        "$defs": {"code": {"type": "string", "pattern": "^R-[0-9]{3}$"}, "loop": {"$ref": "#/$defs/loop"}},
        "type": "object",
        "propertyNames": {"$ref": "#/$defs/code"},
        "additionalProperties": {"type": "array", "items": {"$ref": "#/$defs/code"}, "minItems": 1},
        "minProperties": 1,
    }
    check = compile_schema(doc)
    assert check({"R-001": ["R-002"]})
    for bad in ({}, {"R-1": ["R-002"]}, {"R-001": []}, {"R-001": ["x"]}, {"R-001": "R-002"}):
        assert not check(bad)
    with_sibling = compile_schema({**doc, "additionalProperties": {"$ref": "#/$defs/code", "minLength": 9}})
    assert not with_sibling({"R-001": "R-002"})
    for target in ("#/$defs/loop", "#/$defs/none", "other.json#/$defs/code", "#/$defs/co~1de", 5, None):
        assert not compile_schema({**doc, "propertyNames": {"$ref": target}})({"R-001": ["R-002"]})
    inner_id = {**doc, "additionalProperties": {"$id": "https://example.org/x", "$ref": "#/$defs/code"}}
    assert not compile_schema(inner_id)({"R-001": "R-002"})


@pytest.mark.parametrize(
    ("schema", "value", "certain"),
    [
        ({"const": 1}, 1, True),
        ({"const": 1}, True, False),  # a boolean is not the number 1 to jsonschema
        ({"const": 1}, 1.0, False),  # equal to jsonschema, but left to it here
        ({"enum": [0, "x"]}, False, False),
        ({"enum": [0, "x"]}, 0, True),
        ({"enum": [True]}, True, False),  # booleans are left to jsonschema
        ({"type": "object", "properties": {"version": {"const": 1}}}, {"version": 1}, True),
    ],
)
def test_integer_constants_are_judged_and_booleans_never_pass_for_them(schema: Any, value: Any, certain: bool) -> None:
    assert schema_valid(schema, value) is certain
    if certain:
        assert list(Draft202012Validator(schema).iter_errors(value)) == []


@pytest.mark.parametrize(
    "text",
    [
        'weight: 12\ndraft: false\ntitle: "Page 1"\ntags: [docs, s1]\n',
        "a: -3\nb: 0\nc: TRUE\n",
        "n: 123456789012345678\n",
    ],
)
def test_the_fast_path_takes_decimal_integers_and_booleans_as_the_loader_reads_them(text: str) -> None:
    """Docs trees' ``weight: 12`` and ``draft: false`` no longer send a file to the full loader."""
    fast = parse_plain(text)
    assert fast is not None and fast == _load_full(text)


@pytest.mark.parametrize("value", ["007", "1_000", "1:20", "0x1f", "+5", "1234567890123456789", "~", "null"])
def test_integers_either_yaml_version_may_read_otherwise_go_to_the_loader(value: str) -> None:
    assert parse_plain(f"a: {value}\n") is None
