"""File and YAML edge cases: each gets its own code and a line, never a traceback (issue 15, items 2, 3, 7)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artigov.core import YamlSafetyError
from artigov.core._safeyaml import _load_full, load_yaml, parse_plain
from artigov.schema._loader import load_frontmatter_artifact, load_sidecar_artifact
from artigov.schema._validator import SchemaSet
from artigov.schema.errors import ArtifactLoadError

GOOD = 'id: a\nversion: "1.0"\nstatus: draft\nframework: f\nkind: technical-plan\n'


def _load(tmp_path: Path, data: bytes, name: str = "a.md") -> ArtifactLoadError:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ArtifactLoadError) as info:
        load_frontmatter_artifact(tmp_path, name)
    return info.value


# -- one YAML entry point: the fast path and the full loader agree -----------------------------------


@pytest.mark.parametrize("odd", ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_odd_line_breaks_are_never_read_as_line_ends_by_the_fast_path(odd: str, tmp_path: Path) -> None:
    text = f"id: a{odd}version: b\n"
    assert parse_plain(text) is None  # declined: the full loader judges
    data = f"---\n{GOOD}title: x{odd}y\n---\nbody\n".encode()
    (tmp_path / "a.md").write_bytes(data)
    try:
        artifact = load_frontmatter_artifact(tmp_path, "a.md")
    except ArtifactLoadError as e:
        assert e.code == "Y001" and e.line is not None  # YAML forbids the control characters
    else:  # NEL and U+2028/9 are printable YAML: then both readers give the full loader's value
        assert artifact.metadata == _load_full(data.decode()[4:].split("\n---\n")[0] + "\n")
        SchemaSet().check(artifact)  # and checking it never raises


def test_a_form_feed_in_simple_frontmatter_is_one_finding_for_that_file(tmp_path: Path) -> None:
    error = _load(tmp_path, f"---\n{GOOD}title: a\x0cb\n---\n".encode())
    assert error.code == "Y001" and error.line == 7 and "U+000C" in error.problem


@pytest.mark.parametrize("key", ["null", "true", "false", "Null", "~", "1", "2026-01-01"])
def test_keys_yaml_reads_as_non_text_are_refused_the_same_way_by_both_readers(key: str) -> None:
    text = f"{key}: x\nid: a\n"
    assert parse_plain(text) is None
    with pytest.raises(YamlSafetyError) as info:
        load_yaml(text)
    assert info.value.code == "Y004" and info.value.line == 1 and "quote the key" in str(info.value)
    assert load_yaml(f'"{key}": x\n') == {key: "x"}  # quoted, it is text


def test_a_hugo_template_value_is_explained_as_a_template_not_a_duplicate(tmp_path: Path) -> None:
    error = _load(tmp_path, b"---\nid: a\ntitle: {{ .Title }}\ndate: {{ .Date }}\n---\n")
    assert error.code == "Y004" and "flow mapping" in error.problem and "template" in error.problem
    assert "duplicate" not in error.problem and error.line == 3


def test_u2028_does_not_shift_reported_lines(tmp_path: Path) -> None:
    text = f'---\n{GOOD}title: "a\u2028b\u2028c"\nbad: x: y\n---\n'
    error = _load(tmp_path, text.encode())
    assert error.code == "Y001" and error.line == 8  # the editor's line: \u2028 is not a line end
    unquoted = GOOD.replace('"1.0"', "1.10")
    (tmp_path / "b.md").write_text(f'---\ntitle: "x\u2028y"\n{unquoted}---\n')
    artifact = load_frontmatter_artifact(tmp_path, "b.md")
    [finding] = SchemaSet().check(artifact)
    assert finding.pointer == "/version" and finding.line == 4


def test_the_line_map_never_raises() -> None:
    from artigov.core import pointer_lines

    assert pointer_lines("a: [unclosed\n", 1) == {"": 2}
    assert pointer_lines("[" * 10_000, 0) == {"": 1}
    assert pointer_lines("a:\n  b: 1\n", 1) == {"": 2, "/a": 2, "/a/b": 3}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.binary(max_size=120)
    | st.text(alphabet="-:ab \n\r\t\x0c\x0b\x85\u2028[]{}\"'#&*!|>~\x00é", max_size=80).map(str.encode)
)
def test_random_bytes_are_a_finding_or_an_artifact_never_a_crash(tmp_path: Path, junk: bytes) -> None:
    schemas = SchemaSet()
    for data in (junk, b"---\n" + junk + b"\n---\nbody\n", b"---\n" + GOOD.encode() + junk + b"\n---\n"):
        (tmp_path / "r.md").write_bytes(data)
        try:
            artifact = load_frontmatter_artifact(tmp_path, "r.md")
        except ArtifactLoadError as e:
            assert e.code and e.line is not None
            continue
        for finding in schemas.check(artifact):
            assert finding.code in {"S014", "S015"} and finding.line is not None
    (tmp_path / "r.bin").write_bytes(b"x")
    (tmp_path / "r.bin.meta.yaml").write_bytes(junk)
    try:
        schemas.check(load_sidecar_artifact(tmp_path, "r.bin", "r.bin.meta.yaml"))
    except ArtifactLoadError as e:
        assert e.code and e.line is not None


# -- file edge cases ------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32-be", "utf-32"])
def test_utf16_and_utf32_are_not_utf8_with_a_conversion_hint_not_binary(encoding: str, tmp_path: Path) -> None:
    error = _load(tmp_path, f"---\n{GOOD}---\nbody\n".encode(encoding))
    assert error.code == "S004" and error.line == 1
    assert "UTF-16" in error.problem or "UTF-32" in error.problem
    assert error.fix is not None and "iconv" in error.fix


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=2, max_size=10),
    st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=30),
    st.sampled_from(["utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32-be", "utf-32"]),
)
def test_wide_text_is_recognised_whatever_follows(start: str, rest: str, encoding: str) -> None:
    """Wide text with a mark, or starting like ASCII without one, is recognised: the quick exit
    (no mark byte first, no NUL second: not wide) never hides it."""
    from artigov.schema._loader import _wide_encoding

    text = start + "".join(c for c in rest if c.isprintable())
    assert _wide_encoding(text.encode(encoding)) is not None
    assert _wide_encoding(text.encode("utf-8")) is None


def test_cr_only_line_endings_are_line_ends(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes(f"---\r{GOOD.replace(chr(10), chr(13))}---\rbody\r".encode())
    artifact = load_frontmatter_artifact(tmp_path, "a.md")
    assert artifact.metadata["kind"] == "technical-plan" and SchemaSet().check(artifact) == []
    bad = f"---\r{GOOD.replace(chr(10), chr(13)).replace('1.0', '1.10').replace(chr(34), '')}---\r"
    (tmp_path / "b.md").write_bytes(bad.encode())
    [finding] = SchemaSet().check(load_frontmatter_artifact(tmp_path, "b.md"))
    assert finding.pointer == "/version" and finding.line == 3


def test_a_nul_byte_anywhere_is_binary(tmp_path: Path) -> None:
    error = _load(tmp_path, f"---\n{GOOD}---\n".encode() + b"x\n" * 10_000 + b"\x00")
    assert error.code == "S003" and error.line == 10_008


def test_toml_frontmatter_has_its_own_code_and_fix(tmp_path: Path) -> None:
    error = _load(tmp_path, b'+++\ntitle = "x"\n+++\nbody\n')
    assert error.code == "S020" and error.line == 1 and "TOML" in error.problem and "---" in str(error.fix)


def test_dots_close_frontmatter_as_the_readme_says(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert "or `...`" in readme
    (tmp_path / "a.md").write_bytes(f"---\n{GOOD}...\nbody\n".encode())
    assert load_frontmatter_artifact(tmp_path, "a.md").checksum.startswith("sha256:")


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "S002"), (b"\x00\x01\x02", "S003"), (b"no frontmatter\n", "S005"), (b"---\nid: a\n", "S006")],
)
def test_whole_file_findings_carry_line_one(tmp_path: Path, data: bytes, code: str) -> None:
    error = _load(tmp_path, data)
    assert error.code == code and error.line == 1


# -- what already holds stays so (generous limits) ------------------------------------------------------


def test_a_million_line_frontmatter_is_refused_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    error = _load(tmp_path, b"---\n" + b"a: b\n" * 1_000_000 + b"---\n")
    assert error.code == "S007" and time.monotonic() - started < 20


def test_two_hundred_deep_nesting_is_refused_quickly() -> None:
    started = time.monotonic()
    for text in ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)) + "  " * 200 + "v\n", "[" * 200):
        with pytest.raises(YamlSafetyError) as info:
            load_yaml(text)
        assert info.value.code in {"Y005", "Y001"}
    assert time.monotonic() - started < 20


def test_a_loaded_artifact_carries_the_stamps_of_the_files_it_was_read_from(tmp_path: Path) -> None:
    """What the index's stat cache records: taken from the open files, equal to a stat of them."""
    from artigov.schema import stamp_of

    (tmp_path / "a.md").write_text(f"---\n{GOOD}---\nbody\n")
    (tmp_path / "c.bin").write_bytes(b"\x00\x01")
    (tmp_path / "c.bin.meta.yaml").write_text(GOOD)
    front = load_frontmatter_artifact(tmp_path, "a.md")
    side = load_sidecar_artifact(tmp_path, "c.bin", "c.bin.meta.yaml")
    assert front.stamps == (stamp_of(tmp_path / "a.md"), None)
    assert side.stamps == (stamp_of(tmp_path / "c.bin"), stamp_of(tmp_path / "c.bin.meta.yaml"))
    given = load_frontmatter_artifact(tmp_path, "a.md", data=(tmp_path / "a.md").read_bytes())
    assert given.stamps == (None, None) and given == front  # read by the caller: not known; not compared
