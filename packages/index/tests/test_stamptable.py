"""The packed stamp table (a memory seam of the walk) behaves as the dict of pairs it replaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artigov.index._stamptable import StampPair, StampTable, pack_pair, unpack_pair
from artigov.index._statcache import StatCache

_INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_STAMP = st.tuples(_INT64, _INT64, _INT64, _INT64)
_PAIR = st.tuples(_STAMP, st.none() | _STAMP)
_PAIRS = st.dictionaries(st.text(min_size=1, max_size=12), _PAIR, max_size=20)


@given(_PAIR)
def test_a_pair_unpacks_to_what_was_packed(pair: StampPair) -> None:
    assert unpack_pair(pack_pair(pair)) == pair


@given(_PAIRS, _PAIRS)
def test_the_table_is_the_mapping_of_its_pairs(pairs: dict[str, StampPair], others: dict[str, StampPair]) -> None:
    table = StampTable(pairs)
    assert dict(table.items()) == pairs
    assert len(table) == len(pairs)
    assert list(table) == list(pairs)  # insertion order, as a dict
    assert (table == StampTable(others)) == (pairs == others)
    assert (table == others) == (pairs == others)  # against a plain dict too
    copy = StampTable()
    for rel in table:
        copy.put_raw(rel, table.raw(rel))
    assert copy == table
    some = set(list(pairs)[::2])
    assert dict(table.only(some).items()) == {rel: pair for rel, pair in pairs.items() if rel in some}
    for rel in list(pairs)[:3]:
        del table[rel]
        assert rel not in table
        assert table.get(rel) is None


def test_a_raw_pair_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 or 64 bytes, not 31"):
        StampTable().put_raw("a.md", b"\0" * 31)


def test_a_cache_from_a_table_is_the_cache_from_the_same_pairs(tmp_path: Path) -> None:
    pairs: dict[str, StampPair] = {
        "b.md": ((10, 2_000_000_001, 2_000_000_002, 7), None),
        "a.md": ((11, 1_000_000_001, 1_000_000_002, 8), (3, 1_000_000_003, 1_000_000_004, 9)),
    }
    entries = {"a.md": {"meta": "a.meta.yaml"}, "b.md": {}}
    from_dict = StatCache(tmp_path / "one.bin", pairs, entries=entries)
    from_table = StatCache(tmp_path / "two.bin", StampTable(pairs), entries=entries)
    from_dict.save("sha256:x")
    from_table.save("sha256:x")
    assert (tmp_path / "one.bin").read_bytes() == (tmp_path / "two.bin").read_bytes()
    loaded = StatCache.load(tmp_path / "two.bin")
    assert dict(loaded.stamps.items()) == pairs
    assert loaded.meta_of("a.md") == "a.meta.yaml"
