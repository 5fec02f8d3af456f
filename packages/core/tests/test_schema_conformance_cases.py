"""Cases where the fast schema check and the validator must agree with JSON Schema itself (issue 33):
the fast check decides only when it is certainly right, and artigov's date-time is one rule for both."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from artigov.core import compile_schema, format_checker


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "string", "enum": ["a", 1]}, 1),  # jsonschema: 1 is not a string, whatever the enum says
        ({"type": "string", "const": 1}, 1),
        ({"type": "string", "enum": ["a", 1], "minLength": 1}, 1),
        ({"type": "integer", "enum": ["a", 1]}, "a"),
    ],
)
def test_the_fast_check_never_says_valid_where_jsonschema_does_not(schema: dict[str, object], value: object) -> None:
    assert not Draft202012Validator(schema).is_valid(value)
    assert compile_schema(schema)(value) is False


@pytest.mark.parametrize("value", ["2026-01-31T12:00:00Z\n", "2026-01-31T12:00:00+01:00\n"])
def test_a_date_time_with_a_line_break_is_refused_by_both_checks(value: str) -> None:
    schema = {"type": "string", "format": "date-time"}
    assert compile_schema(schema)(value) is False
    assert not Draft202012Validator(schema, format_checker=format_checker()).is_valid(value)
    assert Draft202012Validator(schema, format_checker=format_checker()).is_valid(value.rstrip("\n"))
    assert compile_schema(schema)(value.rstrip("\n")) is True
