from __future__ import annotations

import time
import tracemalloc

import pytest

from artigov.core._safeyaml import LIBYAML, MAX_DEPTH, load_yaml
from artigov.core.errors import YamlSafetyError

BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)),
    ]
)


def _code(text: str) -> str:
    with pytest.raises(YamlSafetyError) as info:
        load_yaml(text)
    return info.value.code


def test_plain_mapping_loads() -> None:
    assert load_yaml('id: x\nversion: "1.10"\nlist: [1, 2]\n') == {"id": "x", "version": "1.10", "list": [1, 2]}


def test_libyaml_is_used_when_available() -> None:
    import yaml

    assert bool(getattr(yaml, "__with_libyaml__", False)) == LIBYAML


def test_alias_bomb_fails_fast_with_bounded_memory() -> None:
    tracemalloc.start()
    start = time.process_time()
    try:
        with pytest.raises(YamlSafetyError) as info:
            load_yaml(BOMB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == "Y002"
    assert peak < 5 * 1024 * 1024, f"peak memory {peak} bytes"
    # Not a timing assertion on speed: a bomb that expanded would take minutes.
    assert time.process_time() - start < 30


def test_anchor_without_alias_is_refused() -> None:
    assert _code("a: &x 1\nb: 2\n") == "Y002"


def test_alias_is_refused_with_its_line() -> None:
    with pytest.raises(YamlSafetyError) as info:
        load_yaml("a: &x [1]\nb: *x\n", line_offset=1)
    assert info.value.code == "Y002"
    assert info.value.line == 2


def test_duplicate_keys_are_refused_naming_both_lines() -> None:
    with pytest.raises(YamlSafetyError) as info:
        load_yaml("a: 1\nb: 2\na: 3\n")
    assert info.value.code == "Y004"
    assert info.value.line == 3
    assert "line 1" in info.value.message


def test_nested_duplicate_keys_are_refused() -> None:
    assert _code("outer:\n  k: 1\n  k: 2\n") == "Y004"


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object/apply:os.system ['true']\n",
        "x: !!python/name:os.system\n",
        "x: !custom value\n",
        "x: !!str 12\n",
        "x: !!binary aGVsbG8=\n",
        "x: !!set {a, b}\n",
        "--- !!map\nx: 1\n",
    ],
)
def test_explicit_tags_are_refused(text: str) -> None:
    assert _code(text) == "Y003"


def test_merge_keys_are_refused() -> None:
    assert _code("x:\n  <<: {a: 1}\n  b: 2\n") == "Y004"


def test_timestamps_stay_strings() -> None:
    value = load_yaml("d: 2026-01-31\nt: 2026-01-31T12:00:00Z\nu: 2026-01-31 12:00:00\n")
    assert value == {"d": "2026-01-31", "t": "2026-01-31T12:00:00Z", "u": "2026-01-31 12:00:00"}


def test_yaml_11_number_quirk_is_visible_not_hidden() -> None:
    # 1.10 is the float 1.1: the schema then rejects it with a hint to quote it.
    assert load_yaml("v: 1.10\n") == {"v": 1.1}


def test_booleans_follow_yaml_12() -> None:
    value = load_yaml("a: no\nb: yes\non: verify_failed\noff: x\nc: true\nd: False\n")
    assert value == {"a": "no", "b": "yes", "on": "verify_failed", "off": "x", "c": True, "d": False}


def test_deep_flow_nesting_is_refused_before_parsing() -> None:
    depth = 100_000
    assert _code("x: " + "[" * depth + "]" * depth + "\n") == "Y005"


def test_deep_block_nesting_is_refused() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 5) + "v\n"
    assert _code(text) == "Y005"


def test_syntax_error_reports_line_with_offset() -> None:
    with pytest.raises(YamlSafetyError) as info:
        load_yaml("a: 1\nb: [unclosed\n", line_offset=1)
    assert info.value.code == "Y001"
    assert info.value.line is not None and info.value.line >= 3


def test_empty_document_is_none() -> None:
    assert load_yaml("") is None
    assert load_yaml("# only a comment\n") is None


def test_multiple_documents_are_refused() -> None:
    assert _code("a: 1\n---\nb: 2\n") == "Y001"


def test_quoted_special_characters_are_fine() -> None:
    assert load_yaml('a: "x & y * z ! w"\n') == {"a": "x & y * z ! w"}


def test_brackets_inside_scalars_are_text_not_nesting() -> None:
    """Issue 33, case 3: the depth pre-check counts structure, not characters inside scalars."""
    block = "a: |\n  " + "{" * 70 + "\n"
    assert load_yaml(block) == {"a": "{" * 70 + "\n"}
    quoted = 'a: "' + "[" * 70 + "\"\nb: '" + "{" * 70 + "'\n"
    assert load_yaml(quoted) == {"a": "[" * 70, "b": "{" * 70}


def test_real_flow_nesting_past_the_limit_is_still_refused_at_its_line() -> None:
    with pytest.raises(YamlSafetyError) as refused:
        load_yaml("x: 1\na: " + "[" * 70 + "]" * 70 + "\n", line_offset=1)
    assert refused.value.code == "Y005" and refused.value.line == 3
