"""The contract schema's compiled "certainly valid" check: it answers for real contracts, and it
never says valid where jsonschema (with the same schema file) does not."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from artigov.core import compile_schema, load_yaml, packaged_schema

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "workspace" / "contracts" / "fwk-001.yaml"
SCALED = """\
framework: fwk-007
allowed_kinds: [technical-plan, action-plan, risk-register]
people:
  ana@example.org: [0123456789ABCDEF0123456789ABCDEF01234567]
raci:
  technical-plan: {accountable: [ana@example.org], responsible: [bob@example.org]}
require_signed_approvals: true
gates:
  - {name: design, requires: {technical-plan: review}}
  - {name: release, requires: {technical-plan: approved, action-plan: draft}}
"""


def _schema() -> dict[str, Any]:
    return packaged_schema("artigov.contract", "contract.schema.json")


def _contracts() -> list[dict[str, Any]]:
    return [load_yaml(EXAMPLE.read_text("utf-8")), load_yaml(SCALED)]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document: mapping keys and list positions, to the leaves."""
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*at, i))
    return out


_MUTANTS = st.one_of(
    st.sampled_from(["", "x", "Bad Name", "draft", "approved", "zzz", "a" * 41, "0123456789abcdef" * 3]),
    st.integers(-1, 2),
    st.booleans(),
    st.none(),
    # fresh containers each time: a later mutation may edit inside them
    st.builds(list),
    st.builds(dict),
    st.builds(lambda: ["x", "x"]),
    st.builds(lambda: {"accountable": []}),
)


@st.composite
def _mutated(draw: Any) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from(_contracts())))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(_paths(doc)))
        if not where:
            continue
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        how = draw(st.sampled_from(["replace", "drop", "rename"]))
        if how == "replace":
            parent[where[-1]] = draw(_MUTANTS)
        elif how == "drop":
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["Bad Key", "x", "extra", "on"]))] = parent.pop(where[-1])
    return doc


def test_the_check_answers_for_real_contracts() -> None:
    check = compile_schema(_schema())
    for contract in _contracts():
        assert check(contract)
        assert list(Draft202012Validator(_schema()).iter_errors(contract)) == []


@settings(max_examples=800, deadline=None)
@given(_mutated())
def test_the_check_never_says_valid_where_jsonschema_does_not(contract: dict[str, Any]) -> None:
    if compile_schema(_schema())(contract):
        assert list(Draft202012Validator(_schema()).iter_errors(contract)) == [], contract
