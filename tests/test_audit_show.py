"""audit show --framework F --format json passes decision-log lines through (the log field spliced in)
and prints exactly what parsing every event prints."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.commands.audit import with_log_field

Runner = Callable[..., subprocess.CompletedProcess[str]]

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    subject=_TEXT,
    outcome=_TEXT,
    data=st.dictionaries(st.sampled_from(["outcome", "log", "x", "prev", "reason"]), _TEXT, max_size=4),
    level=st.booleans(),
)
def test_the_splice_is_parse_add_serialize(subject: str, outcome: str, data: dict[str, str], level: bool) -> None:
    event = {
        "actor": "a@x.org",
        "data": data,
        "event": "candidate_lost",
        "framework": "f",
        "id": "sha256:" + "0" * 64,
        "outcome": outcome,
        "prev": "sha256:" + "1" * 64,
        "subject": subject,
        "ts": "2026-01-01T00:00:00Z",
        **({"level": "info"} if level else {}),
    }
    raw = orjson.dumps(event, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    expected = orjson.dumps({**event, "log": "decisions"}, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    assert with_log_field(raw, b'"decisions"') == expected


def test_the_fast_path_prints_what_the_parsing_path_prints(artigov: Runner, tmp_path: Path) -> None:
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    fast = artigov("audit", "show", "--framework", "fwk-001", "--format", "json", "--root", ws)
    parsed = artigov(
        "audit", "show", "--framework", "fwk-001", "--since", "2000-01-01", "--format", "json", "--root", ws
    )
    assert fast.returncode == parsed.returncode == 0
    assert fast.stdout == parsed.stdout and fast.stdout.count("\n") > 20


def _line(draw: st.DrawFn) -> bytes:
    """A decision-log line as the log holds it, or one of the odd ones a reader must survive."""
    event = {
        "actor": "a@x.org",
        "data": draw(st.dictionaries(st.sampled_from(["outcome", "log", "framework", "x"]), _TEXT, max_size=3)),
        "event": "candidate_lost",
        "framework": draw(st.sampled_from(["f", "f", "f", "g"])),
        "outcome": draw(_TEXT),
        "prev": "sha256:" + "1" * 64,
        "subject": draw(_TEXT),
        "ts": "2026-01-01T00:00:00Z",
    }
    raw = orjson.dumps(event, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    odd = draw(st.sampled_from(["", "", "", "crlf", "garbage", "log", "list"]))
    if odd == "crlf":
        return raw[:-1] + b"\r\n"
    if odd == "garbage":
        return b'{"framework":"f","outcome":\n'
    if odd == "log":
        return orjson.dumps({**event, "log": "x"}, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    if odd == "list":
        return b'["framework","f"]\n'
    return raw


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.composite(_line)(), max_size=12), torn=st.booleans())
def test_the_block_splice_is_the_line_by_line_splice(lines: list[bytes], torn: bool) -> None:
    """One regex pass over a block gives what splicing (or parsing) each line gives, or declines."""
    from artigov.commands.audit import _decision_lines, splice_block

    if torn and lines:
        lines[-1] = lines[-1].rstrip(b"\n")  # the log's last line cut short
    block = b"".join(lines)
    by_line = b"".join(_decision_lines(lines, b'"framework":"f"', "f"))
    spliced = splice_block(block, b'"framework":"f"')
    if spliced is not None:
        assert spliced == by_line
    plain = all(
        line.endswith(b"}\n")
        and b'"log"' not in line
        and line.count(b'"framework":"f"') == 1 == line.count(b'"outcome"')
        for line in lines
    )
    if plain and lines:
        assert spliced is not None  # the common shape is never declined
