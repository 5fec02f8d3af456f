"""The fast check's applicators (``allOf``, ``not``, ``if``/``then``/``else``) and the refutation they
need: whatever schema of that family and whatever value, "certainly valid" is never said where
jsonschema refuses, and "certainly refused" never where it accepts (real jsonschema, generated
schemas and values)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from artigov.core import compile_schema
from artigov.core._fastschema import _Compiler

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 3), st.sampled_from([1.0, 2.5]), st.sampled_from(["", "a", "b", "1"])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=6,
)
_LEAF_SCHEMAS = st.one_of(
    st.booleans(),
    st.builds(lambda t: {"type": t}, st.sampled_from(["string", "integer", "number", "object", "null", "boolean"])),
    st.builds(lambda c: {"const": c}, _SCALARS),
    st.builds(lambda e: {"enum": e}, st.lists(_SCALARS, min_size=1, max_size=3)),
    st.builds(lambda r: {"required": r}, st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True)),
    st.just({"type": "string", "minLength": 1}),
)


def _schemas(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(lambda s: {"not": s}, inner),
        st.builds(lambda parts: {"allOf": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(
            lambda c, t, e: {
                "if": c,
                **({"then": t} if t is not None else {}),
                **({"else": e} if e is not None else {}),
            },
            inner,
            st.none() | inner,
            st.none() | inner,
        ),
        st.builds(lambda p: {"properties": p}, st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)),
        st.builds(lambda s, r: {**s, "required": r} if isinstance(s, dict) else s, inner, st.just(["a"])),
    )


SCHEMAS = st.recursive(_LEAF_SCHEMAS, _schemas, max_leaves=8)


@settings(max_examples=800, deadline=None)
@given(SCHEMAS, st.lists(_VALUES, min_size=1, max_size=6))
def test_certainly_valid_and_certainly_refused_agree_with_jsonschema(schema: Any, values: list[Any]) -> None:
    validator = Draft202012Validator(schema)
    valid, refused = compile_schema(schema), _Compiler(schema).refute(schema)
    for value in values:
        verdict = validator.is_valid(value)
        assert not (valid(value) and not verdict), (schema, value)
        assert not (refused(value) and verdict), (schema, value)


MANIFEST_LIKE = {
    "type": "object",
    "required": ["format_version"],
    "if": {"properties": {"format_version": {"const": 1}}},
    "then": {"required": ["audit_head"]},
    "else": {"required": ["decisions"], "not": {"required": ["audit_head"]}},
    "allOf": [{"if": {"properties": {"format_version": {"const": 3}}}, "then": {"required": ["trust"]}}],
}


@pytest.mark.parametrize(
    ("value", "certain"),
    [
        ({"format_version": 1, "audit_head": "x"}, True),
        ({"format_version": 2, "decisions": "x"}, True),
        ({"format_version": 3, "decisions": "x", "trust": 1}, True),
        ({"format_version": 3, "decisions": "x"}, False),  # version 3 without its trust version
        ({"format_version": 2, "decisions": "x", "audit_head": "x"}, False),  # the else's `not`
        ({"format_version": 1}, False),
        ({"format_version": 1.0, "audit_head": "x"}, False),  # 1.0 is 1 to jsonschema: not judged here
    ],
)
def test_a_manifest_shaped_schema_is_decided_for_what_is_written_and_left_to_jsonschema_otherwise(
    value: dict[str, Any], certain: bool
) -> None:
    assert compile_schema(MANIFEST_LIKE)(value) is certain
    if certain:
        assert Draft202012Validator(MANIFEST_LIKE).is_valid(value)
