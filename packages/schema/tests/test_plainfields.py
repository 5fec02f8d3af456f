"""The speed seam for metadata lines (``_plainfields``) against PyYAML and the loader's fast path:
every line it writes loads back to exactly the value with both, and a plain one is PyYAML's own."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.core import load_yaml
from artigov.core._safeyaml import parse_plain
from artigov.schema import render_fields
from artigov.schema._plainfields import plain_field

KEYS = st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True)


def _dumped(key: str, value: object) -> str:
    return yaml.safe_dump({key: value}, default_flow_style=False, sort_keys=False, allow_unicode=True, width=4096)


@settings(max_examples=3000, deadline=None)
@given(key=KEYS, value=st.text(max_size=40) | st.from_regex(r"[a-z0-9:. '\"#\\-]{0,20}", fullmatch=True))
def test_every_line_it_writes_loads_back_to_the_value(key: str, value: str) -> None:
    line = plain_field(key, value)
    if line is None:
        return
    assert yaml.safe_load(line) == {key: value} and load_yaml(line + "\n") == {key: value}
    if not line.endswith(("'", '"')):
        assert line + "\n" == _dumped(key, value)  # plain exactly as PyYAML writes it
    if "'" not in line:  # plain or double-quoted: the loader's fast path reads it, no full parse
        assert parse_plain(line + "\n") == {key: value}


def test_typical_values_are_words_or_double_quoted_and_lookalikes_are_quoted() -> None:
    values = {
        "status": "draft",
        "kind": "technical-plan",
        "checksum": "sha256:" + "ab" * 32,
        "version": "0.1.0",
        "title": "Q3 report (final)",
        "created_at": "2020-02-03T04:05:06Z",  # a timestamp to YAML: quoted
        "id": "1.10",  # a number to YAML: quoted, never 1.1
        "framework": "yes",  # a boolean to YAML 1.1
        "note": 'say "hi"',
    }
    lines = render_fields(values)
    assert lines.splitlines()[:4] == ["status: draft", "kind: technical-plan", f"checksum: {values['checksum']}",
                                      'version: "0.1.0"']  # fmt: skip
    assert 'created_at: "2020-02-03T04:05:06Z"' in lines and 'id: "1.10"' in lines and 'framework: "yes"' in lines
    assert "note: 'say \"hi\"'" in lines
    assert yaml.safe_load(lines) == values and load_yaml(lines) == values


def test_what_it_does_not_take_goes_to_pyyaml() -> None:
    for value in ["Überblick", "two\nlines", "tab\there", 1.5, ["a"], None]:
        assert plain_field("k", value) is None
    assert render_fields({"title": "Überblick"}) == "title: Überblick\n"
