"""audit show --framework F --format json passes decision-log lines through (the log field spliced in)
and prints exactly what parsing every event prints."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.commands.audit_lines import event_line, lines_of, plain, splice_block, splice_lines
from artigov.core import canonical_json

Runner = Callable[..., subprocess.CompletedProcess[str]]

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    subject=_TEXT,
    outcome=_TEXT,
    data=st.dictionaries(st.sampled_from(["outcome", "log", "x", "prev", "reason"]), _TEXT, max_size=4),
    level=st.booleans(),
)
def test_a_printed_line_is_the_event_and_its_log_and_holds_the_recorded_bytes(
    subject: str, outcome: str, data: dict[str, str], level: bool
) -> None:
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
    raw = canonical_json(event)  # a sealed line's bytes
    suffix = b',"log":"decisions"}\n'
    for line in (event_line(raw, event, "decisions"), event_line(None, event, "decisions")):
        assert json.loads(line) == {**event, "log": "decisions"}
        assert line.endswith(suffix) and line[: -len(suffix)] + b"}\n" == raw  # the record's bytes, cut back


def test_an_event_without_fields_still_prints_json() -> None:
    assert json.loads(event_line(b"{}\n", {}, "operational")) == {"log": "operational"}
    assert json.loads(event_line(b"{ }\n", {}, "decisions")) == {"log": "decisions"}


def test_the_fast_path_prints_what_the_parsing_path_prints(artigov: Runner, tmp_path: Path) -> None:
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    fast = artigov("audit", "show", "--framework", "fwk-001", "--format", "json", "--root", ws)
    parsed = artigov(
        "audit", "show", "--framework", "fwk-001", "--since", "2000-01-01", "--format", "json", "--root", ws
    )
    assert fast.returncode == parsed.returncode == 0
    assert fast.stdout == parsed.stdout and fast.stdout.count("\n") > 20


def test_a_framework_is_shown_its_whole_decision_log_as_recorded(artigov: Runner, tmp_path: Path) -> None:
    """``--framework F``: every event of F's decision log (its record, whatever an event's fields
    say), each line the recorded bytes plus its log field, then the operational events of F; the
    same with a filter that makes every event parsed."""
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    (log,) = ws.glob("*/fwk-001/decisions.jsonl")
    odd = canonical_json({"event": "odd_event", "framework": "other", "ts": "2026-12-01T00:00:00Z"})
    with log.open("ab") as f:  # a hand edit (audit verify names the broken chain): still F's record
        f.write(odd)
    recorded = log.read_bytes().splitlines(keepends=True)
    fast = artigov("audit", "show", "--framework", "fwk-001", "--format", "json", "--root", ws)
    parsed = artigov("audit", "show", "-f", "fwk-001", "--since", "2000-01-01", "--format", "json", "--root", ws)
    assert fast.returncode == parsed.returncode == 0 and fast.stdout == parsed.stdout
    lines = fast.stdout.encode().splitlines(keepends=True)
    suffix = b',"log":"decisions"}\n'
    decisions = [line[: -len(suffix)] + b"}\n" for line in lines if line.endswith(suffix)]
    assert decisions == recorded and decisions[-1] == odd
    operational = [json.loads(line) for line in lines if line.endswith(b',"log":"operational"}\n')]
    assert len(operational) > 3 and {e["framework"] for e in operational} == {"fwk-001"}
    assert len(decisions) + len(operational) == len(lines)
    text = artigov("audit", "show", "-f", "fwk-001", "--event", "odd_event", "--root", ws)
    assert text.returncode == 0 and "odd_event" in text.stdout and "1 event(s)" in text.stdout
    elsewhere = artigov("audit", "show", "-f", "other", "--format", "json", "--root", ws)
    assert elsewhere.returncode == 0 and "odd_event" not in elsewhere.stdout


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
    raw = canonical_json(event)
    odd = {
        "crlf": raw[:-1] + b"\r\n",
        "garbage": b'{"framework":"f","outcome":\n',
        "log": canonical_json({**event, "log": "x"}),
        "list": b'["framework","f"]\n',
        "empty": b"{}\n",
        "spaced": json.dumps(event).encode() + b"\n",
        "inner space": b'{ "a": 1}\n',
        "brace": b'{"}\n',
    }
    return draw(st.sampled_from([raw, raw, raw, raw, *odd.values()]))


@settings(max_examples=500, deadline=None)
@given(lines=st.lists(st.composite(_line)(), max_size=12), torn=st.booleans())
def test_the_block_splice_is_the_line_by_line_splice(lines: list[bytes], torn: bool) -> None:
    """Two passes over a block give what splicing (or parsing) each line gives, or decline."""
    if torn and lines:
        lines[-1] = lines[-1].rstrip(b"\n")  # the log's last line cut short
    block = b"".join(lines)
    assert lines_of(block) == lines
    by_line = b"".join(splice_lines(lines, "decisions"))
    spliced = splice_block(block, "decisions")
    if spliced is not None:
        assert spliced == by_line
    if lines and all(plain(line) for line in lines):
        assert spliced is not None  # the common shape is never declined
    for raw in lines:
        if plain(raw):  # passed through as the log holds it
            assert list(splice_lines([raw], "decisions")) == [raw[:-2] + b',"log":"decisions"}\n']


def test_a_line_that_is_not_an_object_is_skipped_and_an_odd_object_is_written_canonical() -> None:
    lines = [b'["framework","f"]\n', b'{"a": 1}\r\n', b"{}\n", b'{"b":2}']
    assert list(splice_lines(lines, "decisions")) == [
        b'{"a":1,"log":"decisions"}\n',
        b'{"log":"decisions"}\n',
        b'{"b":2,"log":"decisions"}\n',
    ]
    assert splice_block(b"".join(lines), "decisions") is None
