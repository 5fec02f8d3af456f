"""The decision log is read without holding it: its head from the end, a pinned line by counting
newlines in chunks. Held equal to reading the whole file, on logs of every shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.core import GENESIS, digest_bytes
from artigov.promote import _decisions as decisions
from artigov.promote._decisions import DecisionLog, LogState


def _whole_file(data: bytes, lines: int) -> LogState | None:
    raw = data.split(b"\n")
    complete = [r + b"\n" for r in raw[:-1]]  # every piece before the last newline is a complete line
    if lines == 0:
        return LogState(0, GENESIS, 0)
    if len(complete) < lines:
        return None
    return LogState(lines, digest_bytes(complete[lines - 1]), sum(map(len, complete[:lines])))


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.binary(min_size=0, max_size=40).map(lambda b: b.replace(b"\n", b"x")), max_size=30),
    torn=st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"y")),
    chunk=st.sampled_from([1, 2, 3, 7, 64, 1 << 20]),
)
def test_state_and_pins_are_what_the_whole_file_says(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], torn: bytes, chunk: int
) -> None:
    path = tmp_path_factory.mktemp("log") / "decisions.jsonl"
    data = b"".join(line + b"\n" for line in lines) + torn
    path.write_bytes(data)
    old = decisions._CHUNK
    decisions._CHUNK = chunk  # chunk boundaries anywhere, even inside a line
    try:
        log = DecisionLog(path)
        assert log.state() == _whole_file(data, len(lines))
        for k in range(len(lines) + 2):
            assert log.state_at(k) == _whole_file(data, k)
    finally:
        decisions._CHUNK = old


def test_a_missing_log_is_empty(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "none.jsonl")
    assert log.state() == LogState(0, GENESIS, 0) and log.state_at(1) is None and list(log.events()) == []


def test_an_event_reads_through_its_type_and_writes_back_its_exact_line(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "decisions.jsonl")
    log.append_batch(
        [
            {"event": "snapshot_promoted", "framework": "f", "subject": "f#3", "outcome": "promoted",
             "actor": "a@example.org", "ts": "2026-12-05T00:00:00.000Z", "data": {"sequence": 3, "inputs": []}},
            {"event": "gate_checked", "outcome": "passed", "data": ["not", "an", "object"]},
            {"event": "candidate_won", "data": {"sequence": True}},
        ]
    )  # fmt: skip
    lines = list(log.lines())
    promoted, checked, won = log.events()
    assert (promoted.name, promoted.framework, promoted.subject, promoted.outcome) == (
        "snapshot_promoted", "f", "f#3", "promoted"
    )  # fmt: skip
    assert (promoted.actor, promoted.ts, promoted.sequence) == ("a@example.org", "2026-12-05T00:00:00.000Z", 3)
    assert checked.data == {} and checked.sequence is None and checked.framework is None
    assert won.sequence is None  # a boolean is not a sequence
    assert [e.to_bytes() for e in (promoted, checked, won)] == lines
    assert log.recorded() == {3: promoted}


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=12),
    torn=st.booleans(),
    size=st.integers(min_value=1, max_value=20),
)
def test_blocks_are_the_file_cut_at_line_ends(lines: list[bytes], torn: bool, size: int) -> None:
    """Every block ends at a line end (but a torn last line), and the blocks are the file's bytes."""
    import tempfile

    data = b"".join(line + b"\n" for line in lines) + (b'{"torn"' if torn else b"")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "decisions.jsonl"
        path.write_bytes(data)
        blocks = list(DecisionLog(path).blocks(size))
    assert b"".join(blocks) == data
    assert all(blocks) and all(b.endswith(b"\n") for b in blocks[:-1])
    assert not blocks or blocks[-1].endswith(b"\n") or torn
