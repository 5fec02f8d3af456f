"""One verdict on every machine: the YAML loader and the fast schema check against the public suites.

The pinned copies of yaml-test-suite and JSON-Schema-Test-Suite (MIT; see
``tests/data/conformance/``) are run here, and so is fuzzed text. Every YAML case runs twice:
with libyaml's parser allowed (when this PyYAML has it) and with the pure-Python parser only.
``nox -s yaml_pure`` runs this file again with a PyYAML built without libyaml.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.core import _safeyaml, compile_schema, format_checker
from artigov.core._safeyaml import LIBYAML, load_yaml
from artigov.core.errors import YamlSafetyError

CONFORMANCE = Path(__file__).resolve().parents[3] / "tests" / "data" / "conformance"
YAML_CASES: dict[str, dict[str, Any]] = json.loads((CONFORMANCE / "yaml-test-suite.json").read_text("utf-8"))["cases"]
SCHEMA_FILES: dict[str, list[dict[str, Any]]] = json.loads(
    (CONFORMANCE / "json-schema-test-suite-draft2020-12.json").read_text("utf-8")
)["files"]


@pytest.fixture
def pure_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The loader as it runs where PyYAML has no libyaml."""
    monkeypatch.setattr(_safeyaml, "_C_LOADER", None)
    yield


def _verdict(text: str) -> tuple[str, Any]:
    """("ok", value) or ("refused", code): anything else escaping the loader fails the test."""
    try:
        return ("ok", load_yaml(text))
    except YamlSafetyError as e:
        return ("refused", e.code)


def _both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[str, Any], tuple[str, Any]]:
    first = _verdict(text)
    with monkeypatch.context() as m:
        m.setattr(_safeyaml, "_C_LOADER", None)
        second = _verdict(text)
    return first, second


class _Reference(yaml.SafeLoader):
    """PyYAML's own pure-Python safe loader, with the two reading rules artigov documents:
    YAML 1.2 booleans, and timestamps kept as the text written."""


_Reference.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Reference.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Reference.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def test_the_session_runs_the_parser_it_says() -> None:
    """``nox -s yaml_pure`` sets ARTIGOV_EXPECT_LIBYAML=0: the run must really be without libyaml."""
    expected = os.environ.get("ARTIGOV_EXPECT_LIBYAML")
    if expected is not None:
        assert LIBYAML is (expected == "1")


@pytest.mark.parametrize("name", sorted(YAML_CASES))
def test_yaml_suite_same_verdict_with_and_without_libyaml(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = YAML_CASES[name]["yaml"]
    with_c, pure = _both(text, monkeypatch)
    assert with_c == pure


def test_yaml_suite_accepted_values_equal_the_pure_python_parser() -> None:
    """Whatever the loader accepts, PyYAML's pure-Python loader accepts too, with the same value;
    and the loader refuses nothing that suite marks valid but for its documented rules."""
    accepted = 0
    for name, case in sorted(YAML_CASES.items()):
        got = _verdict(case["yaml"])
        if got[0] != "ok":
            continue
        accepted += 1
        reference = list(yaml.load_all(case["yaml"], Loader=_Reference))
        assert len(reference) <= 1, name
        assert got[1] == (reference[0] if reference else None), name
    assert accepted > 150  # most of the suite is plain YAML the loader reads


def test_the_divergent_text_pattern_matches_every_suite_case_the_parsers_read_differently() -> None:
    """Where the raw parsers differ on the suite and libyaml accepts, the loader never asks libyaml
    (:data:`_DIVERGENT`); where libyaml refuses, the pure-Python parser judges again anyway."""
    if not LIBYAML:
        pytest.skip("this PyYAML has no libyaml: there is one parser only")
    differ = []
    for name, case in sorted(YAML_CASES.items()):
        text = case["yaml"]
        verdicts = []
        for loader in (_safeyaml._C_LOADER, _safeyaml._PyLoader):
            assert loader is not None
            try:
                verdicts.append(("ok", _safeyaml._load_with(loader, text)))
            except _safeyaml._REFUSALS:
                verdicts.append(("refused", None))
        if verdicts[0] != verdicts[1]:
            differ.append(name)
            if verdicts[0][0] == "ok":
                assert _safeyaml._DIVERGENT.search(text), name
    assert len(differ) >= 20  # the suite still exercises the difference (25 cases at the pinned commit)


_PIECES = [
    "a", "key", ":", ": ", " ", "  ", "\n", "\n", "\r\n", "\r", "- ", "[", "]", "{", "}", ", ", "'", '"',
    "|", ">", "|-", ">+", "#", " #", "a#b", "&a ", "*a", "!", "\\", "1", "0.5", "~", "null", "true", "yes",
    "---", "...", "@", "`", "\t", "?", "? ", "%YAML 1.1\n", "\ufeff", "\x85", "\u2028", "\u00e9", "2001-12-14",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=24).map("".join))
def test_fuzzed_text_same_verdict_with_and_without_libyaml(text: str) -> None:
    first = _verdict(text)
    saved = _safeyaml._C_LOADER
    _safeyaml._C_LOADER = None
    try:
        assert _verdict(text) == first
    finally:
        _safeyaml._C_LOADER = saved


# -- the four cases of issue 33's first and last items, on both parsers --------------------------


@pytest.mark.parametrize("parser", ["default", "pure"])
def test_a_tab_after_a_colon_is_refused_on_every_machine(parser: str, request: pytest.FixtureRequest) -> None:
    if parser == "pure":
        request.getfixturevalue("pure_only")
    for text, line in (("a:\tb\n", 1), ("id: x\nseq:\t\n - a\n", 2), ("key:\n  value\n  \t\n  more\n", 3)):
        with pytest.raises(YamlSafetyError) as info:
            load_yaml(text)
        assert (info.value.code, info.value.line) == ("Y001", line)
        assert "'\\t'" in info.value.message
        assert "replace the tab with spaces" in str(info.value.fix)


@pytest.mark.parametrize("parser", ["default", "pure"])
def test_directives_have_one_verdict(parser: str, request: pytest.FixtureRequest) -> None:
    if parser == "pure":
        request.getfixturevalue("pure_only")
    assert load_yaml("%YAML 1.1\n---\nid: x\n") == {"id": "x"}
    with pytest.raises(YamlSafetyError) as info:
        load_yaml("%YAML 1.1#...\n---\n")
    assert info.value.code == "Y001"
    assert load_yaml('%FOO  bar baz\n---\n"foo"\n') == "foo"  # an unknown directive is ignored


@pytest.mark.parametrize("parser", ["default", "pure"])
def test_a_bare_question_mark_is_named_as_the_complex_key_indicator(
    parser: str, request: pytest.FixtureRequest
) -> None:
    if parser == "pure":
        request.getfixturevalue("pure_only")
    with pytest.raises(YamlSafetyError) as info:
        load_yaml("title: Aliases\naliases:\n  - ?\n", line_offset=1)
    error = info.value
    assert (error.code, error.line) == ("Y004", 4)
    assert "`?` at column 5" in error.message
    assert "complex key" in error.message
    assert "key ''" not in error.message
    assert '"?"' in str(error.fix)


def test_a_question_mark_inside_text_stays_text() -> None:
    assert load_yaml("- a?string\n- key: value?\n") == ["a?string", {"key": "value?"}]


# -- the fast schema check against JSON-Schema-Test-Suite (draft 2020-12) -------------------------


def _schema_pairs() -> Iterator[tuple[str, Any, Any]]:
    for file, cases in sorted(SCHEMA_FILES.items()):
        for case in cases:
            for test in case["tests"]:
                yield f"{file}: {case['description']}: {test['description']}", case["schema"], test["data"]


def test_the_fast_schema_check_is_never_decided_and_wrong() -> None:
    """Wherever the fast check says "certainly valid", jsonschema agrees, format checking on and off."""
    pairs = decided = 0
    checks: dict[str, Any] = {}
    for name, schema, data in _schema_pairs():
        pairs += 1
        key = json.dumps(schema, sort_keys=True)
        check = checks.setdefault(key, compile_schema(schema))
        if not check(data):
            continue
        decided += 1
        for formats in (format_checker(), None):
            assert jsonschema.Draft202012Validator(schema, format_checker=formats).is_valid(data), name
    assert pairs == 2225  # the pinned suite, whole
    assert decided > 200  # the fast check decides a good part of it, not none
