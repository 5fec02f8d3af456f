"""The fast path must never disagree with the real YAML loader and the real validator."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from artigov.core.errors import YamlSafetyError
from artigov.core.safeyaml import load_yaml
from artigov.schema.fastpath import base_valid, parse_plain
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
