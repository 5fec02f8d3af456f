"""A result says itself as JSON: every field once, under its own name (the commands add only
``command`` and ``ok``), so a new field reaches ``--format json`` without a second list."""

from __future__ import annotations

import dataclasses

from artigov.promote import Promotion, PruneResult


def test_a_promotion_says_every_field() -> None:
    p = Promotion("fwk-001", "design", 3, "sha256:" + "a" * 64, "F" * 40, 7, rollback_of=1, record_commit="c0ffee")
    said = p.to_dict()
    assert list(said) == [f.name for f in dataclasses.fields(Promotion)]
    assert said == dataclasses.asdict(p)


def test_a_prune_result_says_every_field() -> None:
    r = PruneResult(deleted=[1, 2], kept=[3], objects_deleted=["sha256:" + "b" * 64], applied=True)
    assert r.to_dict() == dataclasses.asdict(r)
    assert set(r.to_dict()) == {f.name for f in dataclasses.fields(PruneResult)}
