from __future__ import annotations

import hashlib
import json
import math
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artigov.core._canonical import canonical_json, digest_bytes, digest_file, sha256_hex


def test_canonical_json_sorts_keys_compacts_and_ends_with_newline() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": "x", "c": None}]}) == b'{"a":[1,{"c":null,"d":"x"}],"b":1}\n'


def test_canonical_json_is_utf8_not_ascii_escaped() -> None:
    assert canonical_json({"t": "café — ✓"}) == '{"t":"café — ✓"}\n'.encode()


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": math.nan})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_round_trips_and_is_independent_of_key_order(value: object) -> None:
    data = canonical_json(value)
    assert json.loads(data) == value
    if isinstance(value, dict):
        reversed_value = dict(reversed(list(value.items())))
        assert canonical_json(reversed_value) == data


def test_digests_match_hashlib(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = b"x" * 3_000_000
    path = tmp_path / "f"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_hex(data) == expected
    assert digest_bytes(data) == "sha256:" + expected
    assert digest_file(path) == "sha256:" + expected


plain_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(plain_values)
def test_fast_canonical_json_gives_the_same_bytes(value: object) -> None:
    from artigov.core._canonical import canonical_json_plain

    assert canonical_json_plain(value) == canonical_json(value)


def test_printable_keeps_text_and_shows_bytes_that_were_not_utf8() -> None:
    from artigov.core import printable

    assert printable("plain/path.md") == "plain/path.md"
    assert printable("café/ü.md") == "café/ü.md"
    assert printable(os.fsdecode(b"caf\xe9.md")) == "caf\\xe9.md"  # a Latin-1 file name
    assert printable("a\ud800b") == "a\\ud800b"  # a lone surrogate that is no byte
    canonical_json({"path": printable(os.fsdecode(b"\xff"))})  # JSON can hold what it gives


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12), max_size=40))
def test_utf8_sorted_is_the_order_of_the_utf8_bytes(paths: list[str]) -> None:
    """The index is in the order of its paths' UTF-8 bytes; Python's string order is that order for
    every text UTF-8 holds (astral characters, U+E000-U+FFFF and ASCII mixed included)."""
    from artigov.core import utf8_sorted

    assert utf8_sorted(paths) == sorted(paths, key=lambda p: p.encode("utf-8"))
    tricky = ["\ue000", "\U00010000", "\uffff", "a", "\u07ff", "\u0800", "~"]
    assert utf8_sorted(tricky) == sorted(tricky, key=lambda p: p.encode("utf-8"))
