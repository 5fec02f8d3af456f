"""The fast path must never disagree with the real YAML loader and the real validator."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from artigov.core.errors import YamlSafetyError
from artigov.core.safeyaml import load_yaml
from artigov.schema.fastpath import base_valid, parse_plain, schema_valid
from artigov.schema.validator import base_schema

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
        slow = load_yaml(text)
    except YamlSafetyError as e:  # pragma: no cover - a failure means the fast path accepted bad YAML
        raise AssertionError(f"fast path accepted what the loader refuses: {text!r}: {e}") from e
    assert fast == slow, text


meta_values: st.SearchStrategy[Any] = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "draft",
            "review",
            "approved",
            "fwk-1",
            "a",
            "1.0",
            "sha256:" + "a" * 64,
            "2026-01-31T12:00:00Z",
            "2026-01-31",
            "x@y",
        ]
    ),
    st.integers(),
    st.booleans(),
    st.lists(st.sampled_from(["alice@example.org", "bo", "x@y", 3]), max_size=3),
)


@settings(max_examples=800, deadline=None)
@given(st.dictionaries(keys, meta_values, max_size=9))
def test_base_valid_only_when_jsonschema_agrees(meta: dict[str, Any]) -> None:
    if base_valid(meta):
        assert list(VALIDATOR.iter_errors(meta)) == [], meta


# -- kind schemas: schema_valid may only ever say "certainly valid" ---------------------------------

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
        "enum": st.just(["x"]),
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
            "additionalProperties": st.booleans(),
            "uniqueItems": st.booleans(),
            "minItems": st.integers(0, 2),
        },
    ),
    max_leaves=5,
)


@settings(max_examples=1500, deadline=None)
@given(schema=_schemas, value=_values)
def test_schema_valid_only_when_jsonschema_agrees(schema: dict[str, Any], value: Any) -> None:
    if schema_valid(schema, value):
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        assert list(validator.iter_errors(value)) == [], (schema, value)


def test_schema_valid_answers_for_the_packaged_kind_schemas() -> None:
    """The fast check really answers for what artigov ships (else it would only ever defer)."""
    from artigov.schema.validator import _read_packaged

    risk = _read_packaged("kinds/risk-register.schema.json")
    assert schema_valid(risk, {"kind": "risk-register", "risks": ["R-001", "R-002"]})
    for bad in ({"risks": []}, {"risks": ["R-1"]}, {"risks": ["R-001", "R-001"]}, {}, {"risks": "R-001"}):
        assert not schema_valid(risk, bad)
    confirms = _read_packaged("kinds/validation-report.schema.json")
    assert schema_valid(confirms, {"confirms": []}) and not schema_valid(confirms, {"confirms": ["x"]})
