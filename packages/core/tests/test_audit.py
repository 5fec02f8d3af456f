from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.core import _events as ev
from artigov.core._audit import GENESIS, AuditLog, prefix_intact, verify_log
from artigov.core._logconfig import configure_logging, flush_audit, set_audit_path
from artigov.core.testing import force_forked


def _check_chain(path: Path) -> list[dict[str, object]]:
    prev = GENESIS
    events = []
    for raw in path.read_bytes().splitlines(keepends=True):
        event = json.loads(raw)
        assert event["prev"] == prev
        prev = "sha256:" + hashlib.sha256(raw).hexdigest()
        events.append(event)
    assert verify_log(path).ok
    return events


@pytest.fixture(params=[1, 3], ids=["one-slice", "three-slices"])
def slices(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Verify in one pass, or cut into three slices checked by forked workers (as a big log is)."""
    import artigov.core._audit as audit_mod

    if request.param > 1:
        force_forked(monkeypatch, request.param, audit_mod, "PARALLEL_BYTES")
    return int(request.param)


def _log_of(path: Path, n: int) -> list[bytes]:
    AuditLog(path).append([{"event": "e", "i": i, "subject": f"s{i}"} for i in range(n)])
    return path.read_bytes().splitlines(keepends=True)


def test_append_chains_each_line_to_the_previous(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append([{"event": "a"}, {"event": "b"}])
    head = log.append([{"event": "c"}])
    events = _check_chain(tmp_path / "audit.jsonl")
    assert [e["event"] for e in events] == ["a", "b", "c"]
    last = (tmp_path / "audit.jsonl").read_bytes().splitlines(keepends=True)[-1]
    assert head == "sha256:" + hashlib.sha256(last).hexdigest()


def test_a_torn_last_line_is_set_aside_and_the_log_verifies_again(tmp_path: Path) -> None:
    """A crash mid-write leaves a torn line: kept as evidence in the rotated file, never a failure
    of `audit verify` for good (the next writer opens a new file chained to the last whole line)."""
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([{"event": "a"}])
    first = path.read_bytes()
    with open(path, "ab") as f:
        f.write(b'{"event":"tor')
    assert not verify_log(path).ok
    log = AuditLog(path)
    log.append([{"event": "b"}])
    assert log.torn_lines_repaired == 1
    kept = path.with_name("audit.jsonl.1").read_bytes()
    assert kept == first + b'{"event":"tor'  # the evidence, untouched
    lines = [json.loads(x) for x in path.read_bytes().splitlines()]
    assert [e["event"] for e in lines] == ["audit_torn_line_detected", "b"]
    assert lines[0]["data"]["previous_head"] == "sha256:" + hashlib.sha256(first).hexdigest()
    assert verify_log(path).ok


def test_concurrent_writers_lose_nothing_and_keep_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from artigov.core._audit import AuditLog
        log = AuditLog(Path({str(path)!r}))
        for i in range(200):
            log.append([{{"event": "e", "writer": sys.argv[1], "i": i}}])
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(w)]) for w in range(4)]
    assert all(p.wait() == 0 for p in procs)
    events = _check_chain(path)
    assert len(events) == 800
    assert {(e["writer"], e["i"]) for e in events} == {(str(w), i) for w in range(4) for i in range(200)}


def test_a_command_run_is_one_summary_event_with_its_context(tmp_path: Path) -> None:
    """The operational log gets ONE event per command run: counts, the small fields of the last
    event of each kind and the exit code; never one event per finding."""
    path = tmp_path / "audit.jsonl"
    configure_logging("json", "error")
    set_audit_path(path)
    try:
        ev.bind(command="validate")
        log = ev.get_logger("t")
        for i in range(50):
            log.info("artifact_invalid", audit=True, subject=f"a{i}.md", outcome="rejected", code="S014")
        log.info("not_audited", detail=1)
        flush_audit(1)
    finally:
        ev.clear()
        set_audit_path(None)
    (event,) = _check_chain(path)
    assert event["event"] == "command_completed"
    assert event["command"] == "validate" and event["outcome"] == "failed"
    assert event["data"]["exit_code"] == 1
    assert event["data"]["events"] == {"artifact_invalid": 50}
    assert event["data"]["last"]["artifact_invalid"] == {"subject": "a49.md", "outcome": "rejected", "code": "S014"}
    assert str(event["ts"]).endswith("Z")
    assert event["actor"]


def test_the_operational_log_rotates_at_its_size_limit(tmp_path: Path) -> None:
    from artigov.core._audit import AuditLog, verify_log

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, rotate_bytes=2000)
    for i in range(40):
        log.append([{"event": "e", "data": {"i": i, "pad": "x" * 100}}])
    rotated = sorted(p.name for p in tmp_path.iterdir())
    assert rotated[:2] == ["audit.jsonl", "audit.jsonl.1"] and len(rotated) <= 4
    assert path.stat().st_size <= 2000 + 400
    assert verify_log(path).ok and verify_log(tmp_path / "audit.jsonl.1").ok
    first = _check_chain(path)[0]
    assert first["event"] == "log_rotated"


def test_a_failed_append_leaves_the_log_as_it_was(tmp_path: Path) -> None:
    """A file-size limit (like a full disk) during the append: the log keeps only whole lines, the
    caller gets a DiskError, and the next append chains on."""
    code = textwrap.dedent(
        f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        from artigov.core._audit import AuditLog
        from artigov.core.errors import DiskError
        log = AuditLog(__import__("pathlib").Path({str(tmp_path / "audit.jsonl")!r}))
        log.append([{{"event": "small"}}])
        resource.setrlimit(resource.RLIMIT_FSIZE, (600, 600))
        try:
            log.append([{{"event": "big", "data": {{"pad": "x" * 5000}}}}])
        except DiskError as e:
            print("refused:", e)
            sys.exit(3)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 3, done.stderr
    assert "write failed" in done.stdout
    events = _check_chain(tmp_path / "audit.jsonl")
    assert [e["event"] for e in events] == ["small"]


def test_structlog_loads_only_to_show_an_event(tmp_path: Path) -> None:
    """Audit-only events cost no structlog import; a shown one is rendered by structlog on stderr."""
    code = textwrap.dedent(
        """
        import sys
        from artigov.core._events import get_logger
        from artigov.core._logconfig import configure_logging
        configure_logging("console", "warning")
        log = get_logger("t")
        log.info("quiet_event", audit=True, detail=1)
        print("structlog" in sys.modules)
        log.warning("loud_event", detail=2)
        print("structlog" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
    assert "loud_event" in done.stderr and "detail=2" in done.stderr and "quiet_event" not in done.stderr


def test_one_flipped_byte_in_any_line_is_named(tmp_path: Path, slices: int) -> None:
    path = tmp_path / "audit.jsonl"
    lines = _log_of(path, 12)
    for number, line in enumerate(lines, start=1):
        for offset in (0, len(line) // 3, len(line) // 2, len(line) - 3, len(line) - 1):
            damaged = bytearray(line)
            damaged[offset] ^= 0x01
            path.write_bytes(b"".join([*lines[: number - 1], bytes(damaged), *lines[number:]]))
            result = verify_log(path)
            assert not result.ok
            assert result.bad_line == number, (number, offset, result)


@pytest.mark.parametrize(
    ("tamper", "bad_line", "word"),
    [
        (lambda ls: ls[:4] + ls[5:], 5, "deleted"),
        (lambda ls: [*ls[:4], ls[2], *ls[4:]], 5, "inserted"),
        (lambda ls: [*ls[:3], ls[4], ls[3], *ls[5:]], 4, "reordered"),
        (lambda ls: [ls[0].replace(b'"i":0', b'"i":9'), *ls[1:]], 1, "edited"),
        (lambda ls: [*ls[:-1], ls[-1][:-5]], 12, "torn"),
    ],
)
def test_deleted_inserted_reordered_edited_torn(tmp_path: Path, tamper, bad_line: int, word: str, slices: int) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "audit.jsonl"
    lines = _log_of(path, 12)
    path.write_bytes(b"".join(tamper(lines)))
    result = verify_log(path)
    assert not result.ok and result.bad_line == bad_line
    assert word in result.problem
    assert result.events == bad_line - 1


def test_sliced_verification_counts_and_heads_like_one_pass(tmp_path: Path, slices: int) -> None:
    path = tmp_path / "audit.jsonl"
    lines = _log_of(path, 40)
    result = verify_log(path)
    assert result.ok and result.events == 40
    assert result.head == "sha256:" + hashlib.sha256(lines[-1]).hexdigest()
    # A bad link exactly at a slice boundary is still found (the slice after checks the one before).
    for cut in (13, 14, 27):
        path.write_bytes(b"".join([*lines[:cut], *lines[cut + 1 :]]))
        bad = verify_log(path)
        assert not bad.ok and bad.bad_line == cut + 1 and bad.events == cut


def test_prefix_pin_survives_appends_but_not_edits(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    head = AuditLog(path).append([{"event": "a"}, {"event": "b"}])
    AuditLog(path).append([{"event": "c"}])
    assert prefix_intact(path, head)
    path.write_bytes(path.read_bytes().replace(b'"event":"a"', b'"event":"x"'))
    assert not prefix_intact(path, head)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300).map(lambda b: b.replace(b"\r", b"\n")), tail=st.sampled_from([1, 3, 16, 4096]))
def test_last_line_reads_backwards_exactly(tmp_path_factory: pytest.TempPathFactory, data: bytes, tail: int) -> None:
    """The tail reader (chunked, growing) agrees with the obvious definition for any bytes and chunk size."""
    import artigov.core._audit as audit_mod

    path = tmp_path_factory.mktemp("tail") / "f"
    path.write_bytes(data)
    cut = data.rfind(b"\n", 0, len(data) - 1) if data else -1
    expected = data[cut + 1 :]
    original = audit_mod._TAIL
    audit_mod._TAIL = tail
    try:
        with open(path, "rb") as f:
            assert audit_mod.last_line(f.fileno(), len(data)) == expected
    finally:
        audit_mod._TAIL = original


def test_a_100_mb_line_is_appended_after_and_verified_quickly(tmp_path: Path) -> None:
    """Kept as it holds today (issue 15, item 7): one huge event neither hangs the next append nor verify."""
    import time

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, rotate_bytes=None)
    started = time.monotonic()
    log.append([{"event": "huge", "blob": "x" * 100_000_000}])
    head = log.append([{"event": "after"}])
    result = verify_log(path)
    assert result.ok and result.events == 2 and result.head == head
    assert time.monotonic() - started < 60


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=11),
    st.sampled_from(["flip", "delete", "insert", "crlf", "none"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=255),
)
def test_the_quick_line_check_never_passes_a_line_the_full_check_refuses(
    tmp_path_factory: pytest.TempPathFactory, number: int, change: str, where: int, byte: int
) -> None:
    """``_plainly_good`` (audit verify's speed seam) says yes only where ``_line_problem`` finds
    nothing, and says yes to every good line (so verification takes it)."""
    from artigov.core._audit import _line_problem, _plainly_good

    path = tmp_path_factory.mktemp("log") / "audit.jsonl"
    lines = _log_of(path, 12)
    prev = GENESIS if number == 0 else "sha256:" + hashlib.sha256(lines[number - 1]).hexdigest()
    raw = bytearray(lines[number])
    at = where % len(raw)
    if change == "flip":
        raw[at] ^= byte or 1
    elif change == "delete":
        del raw[at]
    elif change == "insert":
        raw.insert(at, byte)
    elif change == "crlf":
        raw[-1:] = b"\r\n"
    line = bytes(raw)
    quick, full = _plainly_good(line, prev), _line_problem(line, prev)
    assert not quick or full is None, (line, full)
    if change == "none":
        assert quick
    # The same line chained to another line's hash is refused by both.
    assert not _plainly_good(line, GENESIS if number else "sha256:" + "0" * 63 + "1")


def test_a_second_id_key_is_judged_the_same_by_both_checks(tmp_path: Path) -> None:
    from artigov.core._audit import _line_problem, _plainly_good

    lines = _log_of(tmp_path / "audit.jsonl", 2)
    good = lines[0]
    at = good.rfind(b',"id":"sha256:')
    field = good[at + 1 : at + 1 + 6 + 64 + 8]  # "id":"sha256:<64 hex>"
    twice = good[:1] + field + b"," + good[1:]  # the same id once more, as the first key
    assert _plainly_good(twice, GENESIS) == (_line_problem(twice, GENESIS) is None)
    other = twice.replace(field, field[:-2] + (b'0"' if field[-2:-1] != b"0" else b'1"'), 1)
    assert _plainly_good(other, GENESIS) == (_line_problem(other, GENESIS) is None)
